"""Phase 2 randomization: the sealed list generated up front, verified at start-up, consumed atomically.

- The list (:mod:`mexards.randomization`) is stratified by the protocol's strata, in permuted blocks whose
  sizes are drawn at random among the protocol's block sizes, 1:1:1 (or the protocol's ratio) over the
  protocol's Phase 2 arms; its seed is kept in the list and its SHA-256 seal is recorded (ICH E9 2.3.2;
  ``edc-and-standards.md`` RND-1, RND-2). Only the unblinded statistician or an administrator generates it,
  and what they get back is a summary with no arm, block size or seed (the seed would reproduce the list).
- The stored list must still hash to its seal: it is re-read in full and re-hashed at start-up, by the
  verification use case, and by the first allocation of each process; a list found sound is kept in memory by
  (list id, seal) (:data:`VERIFIED_LISTS`), so that later allocations read only the header and the stratum's
  next free slot, and check that slot (arm, block, kit) and the count of used slots against the verified list.
  An edited, deleted or inserted slot is therefore refused when randomization reaches it; ``mexards audit
  verify`` and the verification use case report any edit at once (``docs/reliability.md``).
- A participant is randomized once, after eligibility, consent and enrolment, with every stratification
  value present (RND-3); the slot is the next free one of the stratum in list order, taken under the
  adapter's lock (E9: "the next free number"); an exhausted stratum is a hard error naming the stratum only.
- Blinded roles get a kit code and "study drug" (BLD-2, RND-6); the arm and its dose (quarter-MTD, MTD in
  particles, or saline) are returned only to unblinded roles.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from mexards.domain.dose import fraction_of_dose
from mexards.domain.errors import ConflictError, NotFoundError, ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ParticipantAction, RandomizationRecord, next_state
from mexards.domain.role import Actor
from mexards.domain.trial import Trial, TrialPhase
from mexards.protocol.model import Phase2, Protocol
from mexards.randomization import (
    STUDY_DRUG,
    AllocationList,
    AllocationSlot,
    BlockScheme,
    StratificationDesign,
    integrity_errors,
    verify,
)
from mexards.randomization import (
    generate_allocation_list as generate_list,
)
from mexards.services.event import AllocationListGenerated
from mexards.services.operation import (
    checked_protocol,
    current_trial,
    editable_trial,
    new_id,
    operation,
    participant_for,
    record,
)
from mexards.services.policy import Action, require, require_unblinded
from mexards.services.port import AllocationRepository, UnitOfWork
from mexards.services.record import SealedList, SlotUse


def phase2_of(protocol: Protocol) -> Phase2:
    if protocol.phase2 is None:
        raise ValidationError("protocol.phase2", "this protocol has no randomised phase")
    return protocol.phase2


def block_scheme(protocol: Protocol) -> BlockScheme:
    """Arms (protocol arm ids) with the protocol's ratio; block sizes as multiples of the ratio's sum."""
    phase2 = phase2_of(protocol)
    scheme = BlockScheme.from_ratio(zip(phase2.arms, phase2.allocation_ratio, strict=True))
    sizes = phase2.block_sizes or scheme.block_sizes
    multipliers = []
    for size in sizes:
        if size % scheme.ratio_sum:
            raise ValidationError("phase2.block_sizes", f"must be multiples of {scheme.ratio_sum}", size)
        multipliers.append(size // scheme.ratio_sum)
    return BlockScheme(scheme.arms, tuple(multipliers))


def stratification_design(protocol: Protocol) -> StratificationDesign:
    return StratificationDesign.of({s.name: s.levels for s in phase2_of(protocol).strata})


@dataclass(frozen=True)
class AllocationListSummary:
    """What anyone may know about the sealed list: its seal and size, never an arm, block size or seed."""

    list_id: str
    sha256: str
    strata: tuple[str, ...]
    slots: int
    generated_at: datetime


def generate_allocation_list(
    uow: UnitOfWork,
    actor: Actor,
    protocol: Protocol,
    slots_per_stratum: int | Mapping[str, int],
    seed: int | None = None,
) -> AllocationListSummary:
    """Generate and store the trial's sealed list (once)."""
    with operation(uow, actor, Action.GENERATE_ALLOCATION_LIST) as u:
        trial = editable_trial(u)
        checked_protocol(trial, protocol)
        if u.allocation.find_list() is not None:
            raise ConflictError("the allocation list has already been generated")
        allocation_list = generate_list(block_scheme(protocol), stratification_design(protocol),
                                        slots_per_stratum, seed)
        now = u.clock.now()
        sealed = SealedList(new_id(u, "LIST"), allocation_list, allocation_list.sha256, actor.user_id, now,
                            trial.protocol_id, trial.protocol_version)
        u.allocation.add_list(sealed)
        record(u, AllocationListGenerated(
            list_id=sealed.list_id, sha256=sealed.sha256, strata=len(allocation_list.strata),
            slots=allocation_list.slot_count, generated_by=actor.user_id, occurred_at=now,
        ))  # fmt: skip
        u.commit()
    return AllocationListSummary(sealed.list_id, sealed.sha256, allocation_list.strata,
                                 allocation_list.slot_count, now)


@dataclass(frozen=True)
class ListVerification:
    """The start-up check of the sealed list."""

    ok: bool
    sha256: str
    problems: tuple[str, ...]
    list_id: str = ""


@dataclass(frozen=True)
class ListSeal:
    """Which list is stored: its id and recorded SHA-256 seal (no arm, block size or seed)."""

    list_id: str
    sha256: str


SEAL_BROKEN = "the allocation list does not match its recorded seal; randomization stopped"


class VerifiedLists:
    """Sealed lists this process has re-read in full and found to hash to their seal, by (list id, seal).

    An entry is the sealed content itself (it hashes to the seal), so stored slots may be compared with it
    whatever database they come from. Bounded (least recently used out); thread-safe."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._lists: OrderedDict[ListSeal, AllocationList] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, seal: ListSeal) -> AllocationList | None:
        with self._lock:
            found = self._lists.get(seal)
            if found is not None:
                self._lists.move_to_end(seal)
            return found

    def add(self, seal: ListSeal, allocation_list: AllocationList) -> None:
        with self._lock:
            self._lists[seal] = allocation_list
            self._lists.move_to_end(seal)
            while len(self._lists) > self._size:
                self._lists.popitem(last=False)

    def discard(self, seal: ListSeal) -> None:
        with self._lock:
            self._lists.pop(seal, None)

    def clear(self) -> None:
        with self._lock:
            self._lists.clear()


VERIFIED_LISTS = VerifiedLists()
"""The process's verified lists (start-up check, verification use case, first allocation)."""


def _check_seal(sealed: SealedList) -> list[str]:
    problems = [f"{e.field}: {e.rule}" for e in integrity_errors(sealed.allocation_list)]
    if not verify(sealed.allocation_list, sealed.sha256):
        problems.insert(0, "sha256: the stored list no longer matches its recorded seal")
    return problems


def verify_allocation_list(uow: UnitOfWork, actor: Actor) -> ListVerification:
    """Re-read the stored list and check it against its seal and its structural rules (read only).

    A sound list is remembered in :data:`VERIFIED_LISTS`; a broken one is forgotten there."""
    with operation(uow, actor, Action.VERIFY_ALLOCATION_LIST) as u:
        sealed = u.allocation.find_list()
        if sealed is None:
            raise NotFoundError("no allocation list has been generated")
        problems = _check_seal(sealed)
        seal = ListSeal(sealed.list_id, sealed.sha256)
        if problems:
            VERIFIED_LISTS.discard(seal)
        else:
            VERIFIED_LISTS.add(seal, sealed.allocation_list)
        return ListVerification(not problems, sealed.sha256, tuple(problems), sealed.list_id)


def stored_seal(uow: UnitOfWork, actor: Actor) -> ListSeal | None:
    """The stored list's id and seal (None before it is generated), read without its slots; for a cheap
    health check (read only)."""
    with operation(uow, actor, Action.VERIFY_ALLOCATION_LIST) as u:
        found = u.allocation.find_seal()
        return None if found is None else ListSeal(*found)


def seal_verified(seal: ListSeal) -> bool:
    """True if this process has verified the list with this id and seal and seen no mismatch since."""
    return VERIFIED_LISTS.get(seal) is not None


def _verified_list(u: UnitOfWork) -> tuple[AllocationList, ListSeal]:
    """The stored list, verified against its seal: from :data:`VERIFIED_LISTS` when the stored header names
    a list verified before, else re-read in full and re-hashed (ConflictError if it does not match)."""
    found = u.allocation.find_seal()
    if found is None:
        raise ConflictError("no allocation list has been generated")
    cached = VERIFIED_LISTS.get(ListSeal(*found))
    if cached is not None:
        return cached, ListSeal(*found)
    sealed = u.allocation.find_list()
    if sealed is None:
        raise ConflictError("no allocation list has been generated")
    seal = ListSeal(sealed.list_id, sealed.sha256)
    if not verify(sealed.allocation_list, sealed.sha256):
        VERIFIED_LISTS.discard(seal)
        raise ConflictError(SEAL_BROKEN)
    VERIFIED_LISTS.add(seal, sealed.allocation_list)
    return sealed.allocation_list, seal


def _check_slot(
    repository: AllocationRepository, allocation_list: AllocationList, seal: ListSeal, stratum: str,
    slot: AllocationSlot,
) -> None:
    """The stored slot about to be used must be the verified list's slot of that number (same arm, block
    and kit), and exactly the slots before it used (none deleted, skipped or inserted)."""
    expected = allocation_list.slots_by_stratum.get(stratum, ())
    number = slot.sequence_number
    if not 1 <= number <= len(expected) or expected[number - 1] != slot or repository.used_count(stratum) != number - 1:
        VERIFIED_LISTS.discard(seal)
        raise ConflictError(SEAL_BROKEN)


@dataclass(frozen=True)
class BlindedRandomization:
    """A randomization as a blinded role sees it: no arm, no dose, no sequence number."""

    participant_id: ParticipantId
    stratum: str
    kit_code: str
    randomized_at: datetime
    treatment: str = STUDY_DRUG


def arm_daily_dose_particles(protocol: Protocol, trial: Trial, arm_id: str) -> int:
    """Particles per daily dose of a Phase 2 arm: a fraction of the declared MTD (quarter-MTD, MTD; exact,
    ``clinical-examples.md`` X02), or 0 for placebo."""
    arm = protocol.arm(arm_id)
    intervention = protocol.intervention(arm.interventions[0])
    dose = intervention.dose
    if dose.placebo is not None:
        return 0
    if dose.particles is not None:
        return dose.particles
    if dose.fraction_of_mtd is None or trial.mtd_dose_particles is None:
        raise ConflictError("no MTD has been declared, so the Phase 2 doses are not known")
    return fraction_of_dose(trial.mtd_dose_particles, Fraction(dose.fraction_of_mtd))


@dataclass(frozen=True)
class UnblindedAllocation:
    """A participant's allocation with its arm: unblinded roles only (pharmacist, unblinded statistician)."""

    participant_id: ParticipantId
    stratum: str
    sequence_number: int
    kit_code: str
    arm_code: str
    arm_label: str
    daily_dose_particles: int


def randomize_participant(
    uow: UnitOfWork,
    actor: Actor,
    participant_id: ParticipantId,
    stratification: Mapping[str, str | None] | None = None,
) -> BlindedRandomization:
    """Randomize an enrolled participant to the next free slot of their stratum.

    Stratification values come from the screening log, overridden by ``stratification`` where given."""
    with operation(uow, actor, Action.RANDOMIZE) as u:
        trial = editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.RANDOMIZE, participant.site_id)
        if trial.phase is not TrialPhase.PHASE2:
            raise ConflictError("randomization starts with Phase 2, after the MTD declaration")
        next_state(participant.state, ParticipantAction.RANDOMIZE)
        allocation_list, seal = _verified_list(u)
        entry = u.screening_log.find(participant_id)
        values: dict[str, str | None] = dict(entry.stratification) if entry is not None else {}
        values.update(stratification or {})
        design = allocation_list.design
        values = {name: values.get(name) for name in design.factor_names}
        key = design.stratum_for(values).key
        slot = u.allocation.next_free_slot(key)
        _check_slot(u.allocation, allocation_list, seal, key, slot)
        now = u.clock.now()
        u.allocation.use_slot(SlotUse(key, slot.sequence_number, slot.kit_code, participant_id, now, actor.user_id))
        event = participant.randomize(RandomizationRecord(key, slot.sequence_number, slot.kit_code, now))
        u.participants.update(participant)
        record(u, event)
        u.commit()
    return BlindedRandomization(participant_id, key, slot.kit_code, now)


def unblinded_allocation(
    protocol: Protocol, trial: Trial, participant_id: ParticipantId, slot: AllocationSlot
) -> UnblindedAllocation:
    arm = protocol.arm(slot.arm_code)
    dose = arm_daily_dose_particles(protocol, trial, slot.arm_code)
    return UnblindedAllocation(participant_id, slot.stratum, slot.sequence_number, slot.kit_code, arm.id,
                               arm.label, dose)


def reveal_allocation(
    uow: UnitOfWork, actor: Actor, protocol: Protocol, participant_id: ParticipantId
) -> UnblindedAllocation:
    """Kit -> arm and daily dose for the pharmacist who prepares the product (unblinded roles only)."""
    require_unblinded(actor, "treatment allocations")
    with operation(uow, actor, Action.READ_ARM) as u:
        trial = current_trial(u)
        checked_protocol(trial, protocol)
        participant_for(u, actor, participant_id)
        slot = u.allocation.slot_of(participant_id)
        if slot is None:
            raise NotFoundError(f"participant {participant_id} has not been randomized")
        return unblinded_allocation(protocol, trial, participant_id, slot)


def allocation_list_of(uow: UnitOfWork) -> AllocationList:
    sealed = uow.allocation.find_list()
    if sealed is None:
        raise NotFoundError("no allocation list has been generated")
    return sealed.allocation_list
