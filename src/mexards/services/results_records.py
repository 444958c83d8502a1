"""The subject-level records the clinical-data exports (ODM, SDTM, FHIR) are built from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from mexards.domain.administration import Administration
from mexards.domain.adverse_event import AdverseEvent
from mexards.domain.errors import ConflictError, PermissionDeniedError
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import Participant
from mexards.domain.role import Actor
from mexards.domain.visit import Visit
from mexards.protocol.model import Protocol
from mexards.services.allocation import arm_daily_dose_particles
from mexards.services.operation import checked_protocol, current_trial, operation
from mexards.services.policy import Action, require, visible_sites
from mexards.services.port import UnitOfWork
from mexards.services.record import CRFRecord, ScreeningLogEntry
from mexards.services.results_access import allocated_arms, may_see_arm_level


@dataclass(frozen=True)
class ClinicalRecords:
    """The subject-level records the clinical-data exports (ODM, SDTM, FHIR) are built from, in the actor's
    site scope. ``phase2_arm`` and ``arm_dose_particles`` are empty unless ``unblinded`` (locked database and
    an unblinded role); nothing else here names a Phase 2 arm (a Phase 2 administration carries a kit code
    and a volume, never a dose; BLD-2)."""

    protocol_id: str
    locked: bool
    unblinded: bool
    extracted_at: datetime
    participants: tuple[Participant, ...]
    screening: tuple[ScreeningLogEntry, ...]
    crf_records: tuple[CRFRecord, ...]
    administrations: tuple[Administration, ...]
    visits: tuple[Visit, ...]
    adverse_events: tuple[AdverseEvent, ...]
    dlt_participants: frozenset[ParticipantId]
    """Participants with a confirmed dose-limiting toxicity (Phase 1, open label)."""
    phase2_arm: Mapping[ParticipantId, str]
    arm_dose_particles: Mapping[str, int]
    """Phase 2 arm id -> daily dose in particles (0 for placebo); arms whose dose is unknown are left out."""


def clinical_records(
    uow: UnitOfWork, actor: Actor, protocol: Protocol, *, unblinded: bool = False
) -> ClinicalRecords:
    """The records the actor may export: masked Phase 2 (default) or, with ``unblinded``, with each randomised
    participant's arm, which needs the database lock and an unblinded role (PermissionDeniedError otherwise,
    naming no arm)."""
    require(actor, Action.READ_PARTICIPANTS)
    with operation(uow, actor, Action.READ_SAFETY) as u:
        trial = current_trial(u)
        checked_protocol(trial, protocol)
        if unblinded and not may_see_arm_level(actor, trial.is_locked):
            raise PermissionDeniedError(
                f"role {actor.role.value} may not export treatment groups: they need the database lock and an "
                "unblinded role"
            )
        sites = visible_sites(actor)
        people = tuple(u.participants.list(site_ids=sites))
        seen = {p.participant_id for p in people}
        doses: dict[str, int] = {}
        for arm in (a for a in protocol.arms if a.phase == 2 and unblinded):
            try:
                doses[arm.id] = arm_daily_dose_particles(protocol, trial, arm.id)
            except ConflictError:  # no MTD declared: the dose is not known
                continue
        return ClinicalRecords(
            protocol.registry_id, trial.is_locked, unblinded, u.clock.now(), people,
            tuple(u.screening_log.list(site_ids=sites)),
            tuple(r for r in u.crf_records.list() if r.participant_id in seen),
            tuple(a for a in u.administrations.list() if a.participant_id in seen),
            tuple(v for v in u.visits.list() if v.participant_id in seen),
            tuple(e for e in u.adverse_events.list() if e.participant_id in seen),
            frozenset(a.participant_id for a in u.dlt_adjudications.list()
                      if a.is_confirmed and a.is_dlt and a.participant_id in seen),
            MappingProxyType({k: v for k, v in allocated_arms(u).items() if k in seen} if unblinded else {}),
            MappingProxyType(doses),
        )  # fmt: skip
