"""Phase 2: sealed list, atomic allocation, blinding of read models and errors, emergency unblinding."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter

import pytest

from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    MexardsError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.participant import ParticipantState
from mexards.randomization import StratumExhaustedError
from mexards.services import allocation, participant, treatment, unblinding
from mexards.services.read_model import (
    BlindedParticipantSummary,
    UnblindedParticipantSummary,
    allocation_status,
    participant_summaries,
    participant_summary,
)
from tests.unit.services.conftest import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    MONITOR,
    PHARMACIST,
    PROTOCOL,
    STATISTICIAN,
    UNBLINDED_STATISTICIAN,
    TrialSteps,
    reauth,
)
from tests.unit.services.fake import FakeUnitOfWork, InjectedFailure

ARM_WORDS = [
    text.lower()
    for arm in PROTOCOL.arms if arm.phase == 2
    for text in (arm.id, arm.label, "dosage 1", "dosage 2", "control", "saline", "quarter")
] + ["200000000", "800000000", "2.0e8", "8.0e8"]


def _blind_safe(text: str) -> bool:
    lowered = text.lower()
    return not any(word in lowered for word in ARM_WORDS)


@pytest.fixture
def phase2(steps: TrialSteps) -> TrialSteps:
    steps.phase2_ready(slots=6)
    return steps


def test_only_the_unblinded_statistician_or_an_administrator_generates_the_list(steps: TrialSteps) -> None:
    steps.phase1_done()
    with pytest.raises(PermissionDeniedError):
        allocation.generate_allocation_list(steps.uow, STATISTICIAN, PROTOCOL, 6, 1)
    summary = allocation.generate_allocation_list(steps.uow, ADMIN, PROTOCOL, 6, 1)
    assert summary.strata == ("berlin_severity=MILD", "berlin_severity=MODERATE", "berlin_severity=SEVERE")
    assert {f.name for f in dataclasses.fields(summary)} == {"list_id", "sha256", "strata", "slots", "generated_at"}
    with pytest.raises(ConflictError):
        allocation.generate_allocation_list(steps.uow, ADMIN, PROTOCOL, 6, 2)
    check = allocation.verify_allocation_list(steps.uow, ADMIN)
    assert check.ok and check.sha256 == summary.sha256


def test_randomization_needs_phase2_and_an_enrolled_participant(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    with pytest.raises(ConflictError, match="Phase 2"):
        allocation.randomize_participant(steps.uow, COORDINATOR, pid)
    steps.phase2_ready(slots=6)
    participant.withdraw_participant(steps.uow, COORDINATOR, pid, "withdrew")
    with pytest.raises(InvalidTransitionError):
        allocation.randomize_participant(steps.uow, COORDINATOR, pid)


def test_a_blinded_randomization_gives_a_kit_code_and_study_drug_and_the_pharmacist_sees_the_arm(
    phase2: TrialSteps,
) -> None:
    pid = phase2.enrolled()
    result = allocation.randomize_participant(phase2.uow, COORDINATOR, pid)
    assert result.treatment == "study drug" and result.stratum == "berlin_severity=MODERATE"
    assert not hasattr(result, "arm_code") and not hasattr(result, "sequence_number")
    revealed = allocation.reveal_allocation(phase2.uow, PHARMACIST, PROTOCOL, pid)
    assert revealed.kit_code == result.kit_code
    expected = {"p2_quarter_mtd": 200_000_000, "p2_mtd": 800_000_000, "p2_control": 0}
    assert revealed.daily_dose_particles == expected[revealed.arm_code]
    with pytest.raises(PermissionDeniedError) as error:
        allocation.reveal_allocation(phase2.uow, INVESTIGATOR, PROTOCOL, pid)
    assert _blind_safe(str(error.value))


def test_a_missing_stratification_value_blocks_randomization_naming_the_factor(phase2: TrialSteps) -> None:
    pid = phase2.enrolled()
    with pytest.raises(ValidationError) as error:
        allocation.randomize_participant(phase2.uow, COORDINATOR, pid, {"berlin_severity": None})
    assert error.value.field == "berlin_severity"
    with phase2.uow:
        assert phase2.uow.participants.get(pid).state is ParticipantState.ENROLLED


def test_an_exhausted_stratum_is_a_hard_error_naming_only_the_stratum(phase2: TrialSteps) -> None:
    with phase2.uow:
        size = len(phase2.uow.allocation.find_list().allocation_list.slots("berlin_severity=SEVERE"))
    pids = [phase2.enrolled() for _ in range(size + 1)]
    for pid in pids[:size]:
        allocation.randomize_participant(phase2.uow, COORDINATOR, pid, {"berlin_severity": "SEVERE"})
    with pytest.raises(StratumExhaustedError) as error:
        allocation.randomize_participant(phase2.uow, COORDINATOR, pids[-1], {"berlin_severity": "SEVERE"})
    assert "SEVERE" in str(error.value) and _blind_safe(str(error.value))
    with phase2.uow:
        used = [u.sequence_number for u in phase2.uow.allocation.used_slots("berlin_severity=SEVERE")]
    assert used == list(range(1, size + 1))


def test_a_tampered_list_is_reported_at_start_up_and_stops_randomization(phase2: TrialSteps) -> None:
    with phase2.uow:
        sealed = phase2.uow.allocation.find_list()
    tampered = dataclasses.replace(sealed, sha256="0" * 64)
    phase2.uow.store.table("allocation")["list"] = tampered
    check = allocation.verify_allocation_list(phase2.uow, ADMIN)
    assert not check.ok and check.problems[0].startswith("sha256")
    pid = phase2.enrolled()
    with pytest.raises(ConflictError, match="seal"):
        allocation.randomize_participant(phase2.uow, COORDINATOR, pid)


def test_a_failure_half_way_through_randomization_leaves_nothing_behind(phase2: TrialSteps) -> None:
    pid = phase2.enrolled()
    before = phase2.uow.store.snapshot()
    commits = len(phase2.uow.store.transactions)
    phase2.uow.fail_at = {"participants.update"}
    with pytest.raises(InjectedFailure):
        allocation.randomize_participant(phase2.uow, COORDINATOR, pid)
    assert phase2.uow.store.snapshot().keys() == before.keys()
    with phase2.uow:
        assert phase2.uow.allocation.used_slots() == []
        assert phase2.uow.participants.get(pid).state is ParticipantState.ENROLLED
    assert len(phase2.uow.store.transactions) == commits
    phase2.uow.fail_at = set()
    allocation.randomize_participant(phase2.uow, COORDINATOR, pid)


def test_concurrent_randomizations_never_share_or_skip_a_slot(phase2: TrialSteps) -> None:
    with phase2.uow:
        size = len(phase2.uow.allocation.find_list().allocation_list.slots("berlin_severity=MODERATE"))
    pids = [phase2.enrolled() for _ in range(size)]
    errors: list[BaseException] = []

    def worker(chunk: list) -> None:
        own = FakeUnitOfWork(phase2.uow.store, phase2.clock)
        for pid in chunk:
            try:
                allocation.randomize_participant(own, COORDINATOR, pid)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(pids[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with phase2.uow:
        used = phase2.uow.allocation.used_slots("berlin_severity=MODERATE")
    assert sorted(u.sequence_number for u in used) == list(range(1, size + 1))
    assert len({u.participant_id for u in used}) == size
    status = {s.stratum: s for s in allocation_status(phase2.uow, UNBLINDED_STATISTICIAN)}
    moderate = status["berlin_severity=MODERATE"]
    assert moderate.remaining == 0 and set(Counter(moderate.used_by_arm).values()) == {size // 3}


def test_blinded_read_models_have_no_arm_attribute_and_unblinded_ones_do(phase2: TrialSteps) -> None:
    pid = phase2.enrolled()
    allocation.randomize_participant(phase2.uow, COORDINATOR, pid)
    for actor in (COORDINATOR, INVESTIGATOR, MONITOR, STATISTICIAN, ADMIN):
        rows = participant_summaries(phase2.uow, actor, PROTOCOL)
        assert rows and all(type(row) is BlindedParticipantSummary for row in rows)
        assert not any("arm" in name or "daily_dose" in name for name in BlindedParticipantSummary.__dataclass_fields__)
        assert not hasattr(rows[-1], "arm_code")
        assert _blind_safe(repr([row for row in rows if row.phase == 2]))
    mine = participant_summary(phase2.uow, COORDINATOR, PROTOCOL, pid)
    assert mine.kit_code is not None and mine.treatment == "study drug"
    unblinded = participant_summary(phase2.uow, UNBLINDED_STATISTICIAN, PROTOCOL, pid)
    assert isinstance(unblinded, UnblindedParticipantSummary) and unblinded.arm_code is not None
    with pytest.raises(PermissionDeniedError):
        allocation_status(phase2.uow, STATISTICIAN)


def test_blinded_users_errors_never_name_an_arm(phase2: TrialSteps) -> None:
    pid = phase2.enrolled()
    allocation.randomize_participant(phase2.uow, COORDINATOR, pid)
    phase2.clock.advance(hours=1)
    attempts = [
        lambda: allocation.randomize_participant(phase2.uow, COORDINATOR, pid),
        lambda: treatment.administer_dose(phase2.uow, COORDINATOR, pid, 2, started_at=phase2.clock.now(),
                                          volume_ml="3", device="neb", spo2_pre_percent=90, spo2_post_percent=91,
                                          tolerance="tolerated"),
        lambda: allocation.reveal_allocation(phase2.uow, COORDINATOR, PROTOCOL, pid),
        lambda: allocation_status(phase2.uow, INVESTIGATOR),
        lambda: unblinding.emergency_unblind(phase2.uow, COORDINATOR, PROTOCOL, pid, "x", reauth(COORDINATOR,
                                                                                                  phase2.clock)),
    ]
    for attempt in attempts:
        with pytest.raises(MexardsError) as error:
            attempt()
        assert _blind_safe(str(error.value)), str(error.value)


def test_phase2_doses_are_recorded_as_study_drug_with_the_kit_code(phase2: TrialSteps) -> None:
    pid = phase2.enrolled()
    result = allocation.randomize_participant(phase2.uow, COORDINATOR, pid)
    phase2.clock.advance(hours=1)
    given = treatment.administer_dose(phase2.uow, COORDINATOR, pid, 1, started_at=phase2.clock.now(),
                                      volume_ml="3", device="Aerogen", spo2_pre_percent=92, spo2_post_percent=93,
                                      tolerance="tolerated")
    assert given.kit_code == result.kit_code and given.dose_particles is None
    assert given.product_label == "study drug"


def test_emergency_unblinding_reveals_one_participant_records_and_notifies(phase2: TrialSteps) -> None:
    first, second = phase2.enrolled(), phase2.enrolled()
    for pid in (first, second):
        allocation.randomize_participant(phase2.uow, COORDINATOR, pid)
    with pytest.raises(PermissionDeniedError, match="re-authentication"):
        unblinding.emergency_unblind(phase2.uow, INVESTIGATOR, PROTOCOL, first, "anaphylaxis", None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        unblinding.emergency_unblind(phase2.uow, INVESTIGATOR, PROTOCOL, first, " ", reauth(INVESTIGATOR,
                                                                                            phase2.clock))
    revealed = unblinding.emergency_unblind(phase2.uow, INVESTIGATOR, PROTOCOL, first, "anaphylaxis",
                                            reauth(INVESTIGATOR, phase2.clock))
    assert revealed.participant_id == first
    with phase2.uow:
        (record,) = phase2.uow.unblindings.list()
        (note,) = phase2.uow.notifications.list()
        assert phase2.uow.participants.get(first).is_unblinded
        assert not phase2.uow.participants.get(second).is_unblinded
    assert record.participant_id == first and record.reason == "anaphylaxis"
    assert note.kind == "emergency_unblinding" and _blind_safe(note.message)
    rows = {r.participant_id: r for r in participant_summaries(phase2.uow, INVESTIGATOR, PROTOCOL)}
    assert rows[first].unblinded and not rows[second].unblinded
    assert all(type(row) is BlindedParticipantSummary for row in rows.values())


def test_an_unknown_participant_is_not_found_for_the_pharmacist(phase2: TrialSteps) -> None:
    pid = phase2.enrolled()
    with pytest.raises(NotFoundError):
        allocation.reveal_allocation(phase2.uow, PHARMACIST, PROTOCOL, pid)
