"""The participant lifecycle: every state x action pair is tried; the table decides success or refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from mexards.domain.dose import DoseLevel
from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.event import (
    DoseAdministered,
    ParticipantRandomized,
    ParticipantScreenFailed,
    ParticipantWithdrawn,
)
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import (
    TRANSITIONS,
    Consent,
    ConsentSigner,
    Participant,
    ParticipantAction,
    ParticipantState,
    RandomizationRecord,
    allowed_actions,
    next_state,
)
from mexards.domain.role import Actor, Role
from mexards.domain.unblinding import Unblinding, UnblindingKind

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
A = ParticipantAction
S = ParticipantState


def later(participant: Participant) -> datetime:
    assert participant.state_changed_at is not None
    return participant.state_changed_at + timedelta(hours=1)


def perform(participant: Participant, action: ParticipantAction) -> object:
    """Call the method for ``action`` with valid arguments."""
    at = later(participant)
    calls: dict[ParticipantAction, Callable[[], object]] = {
        A.CONFIRM_ELIGIBILITY: lambda: participant.confirm_eligibility(at),
        A.FAIL_SCREENING: lambda: participant.fail_screening(["inclusion 2: age above 70"], at),
        A.CONSENT: lambda: participant.give_consent(Consent(ConsentSigner.SUBJECT, "v2.1", at)),
        A.ENROL: lambda: participant.enrol(at),
        A.ASSIGN_TO_COHORT: lambda: participant.assign_to_cohort(1, DoseLevel(1, 200_000_000), at),
        A.RANDOMIZE: lambda: participant.randomize(
            RandomizationRecord("berlin_severity=severe|site=S01", 1, "ABCD-EFGH-JKMN", at)
        ),
        A.ADMINISTER_DOSE: lambda: participant.administer_dose(
            participant.dosed_days[-1] + 1 if participant.dosed_days else 1, at
        ),
        A.START_FOLLOW_UP: lambda: participant.start_follow_up(at),
        A.COMPLETE: lambda: participant.complete(at),
        A.WITHDRAW: lambda: participant.withdraw("consent withdrawn by the representative", at),
        A.RECORD_DEATH: lambda: participant.record_death(at.date(), at),
        A.MARK_LOST_TO_FOLLOW_UP: lambda: participant.mark_lost_to_follow_up(at),
    }
    return calls[action]()


TO_DOSING = [A.CONFIRM_ELIGIBILITY, A.CONSENT, A.ENROL, A.RANDOMIZE, A.ADMINISTER_DOSE]
PATHS: dict[ParticipantState, list[ParticipantAction]] = {
    S.SCREENED: [],
    S.ELIGIBLE: [A.CONFIRM_ELIGIBILITY],
    S.INELIGIBLE: [A.FAIL_SCREENING],
    S.CONSENTED: [A.CONFIRM_ELIGIBILITY, A.CONSENT],
    S.ENROLLED: [A.CONFIRM_ELIGIBILITY, A.CONSENT, A.ENROL],
    S.PHASE1_ASSIGNED: [A.CONFIRM_ELIGIBILITY, A.CONSENT, A.ENROL, A.ASSIGN_TO_COHORT],
    S.RANDOMIZED: [A.CONFIRM_ELIGIBILITY, A.CONSENT, A.ENROL, A.RANDOMIZE],
    S.DOSING: TO_DOSING,
    S.FOLLOW_UP: [*TO_DOSING, A.START_FOLLOW_UP],
    S.COMPLETED: [*TO_DOSING, A.START_FOLLOW_UP, A.COMPLETE],
    S.WITHDRAWN: [A.WITHDRAW],
    S.DIED: [A.RECORD_DEATH],
    S.LOST_TO_FOLLOW_UP: [A.CONFIRM_ELIGIBILITY, A.CONSENT, A.ENROL, A.MARK_LOST_TO_FOLLOW_UP],
}


def participant_in(state: ParticipantState) -> Participant:
    participant, _ = Participant.screen(ParticipantId("MEX-001"), SiteId("S01"), T0)
    for action in PATHS[state]:
        perform(participant, action)
    assert participant.state is state
    return participant


def test_every_state_has_a_path_from_screening() -> None:
    assert set(PATHS) == set(ParticipantState)


@pytest.mark.parametrize("state", list(ParticipantState))
@pytest.mark.parametrize("action", list(ParticipantAction))
def test_each_state_and_action_either_follows_the_table_or_raises_invalid_transition(
    state: ParticipantState, action: ParticipantAction
) -> None:
    participant = participant_in(state)
    if (state, action) in TRANSITIONS:
        event = perform(participant, action)
        assert participant.state is TRANSITIONS[(state, action)]
        assert getattr(event, "participant_id") == participant.participant_id  # noqa: B009
    else:
        with pytest.raises(InvalidTransitionError) as caught:
            perform(participant, action)
        assert (caught.value.state, caught.value.action) == (state.value, action.value)
        assert participant.state is state


def test_terminal_states_allow_no_action_and_active_states_allow_withdrawal_and_death() -> None:
    terminal = {S.INELIGIBLE, S.COMPLETED, S.WITHDRAWN, S.DIED, S.LOST_TO_FOLLOW_UP}
    assert {s for s in ParticipantState if s.is_terminal} == terminal
    for state in set(ParticipantState) - terminal:
        assert {A.WITHDRAW, A.RECORD_DEATH} <= allowed_actions(state)


def test_next_state_names_the_state_and_action_it_refuses() -> None:
    with pytest.raises(InvalidTransitionError, match="cannot randomize from state screened"):
        next_state(S.SCREENED, A.RANDOMIZE)


def test_a_screen_failure_keeps_every_reason() -> None:
    participant = participant_in(S.SCREENED)
    event = participant.fail_screening(["inclusion 2: age 72", "exclusion 10: BMI 30.1"], later(participant))
    assert isinstance(event, ParticipantScreenFailed)
    assert participant.screen_failure_reasons == ("inclusion 2: age 72", "exclusion 10: BMI 30.1")


def test_a_screen_failure_without_reasons_is_refused() -> None:
    participant = participant_in(S.SCREENED)
    with pytest.raises(ValidationError, match="reasons"):
        participant.fail_screening([], later(participant))


def test_consent_by_a_legally_authorised_representative_records_the_relationship() -> None:
    participant = participant_in(S.ELIGIBLE)
    consent = Consent(ConsentSigner.LEGALLY_AUTHORISED_REPRESENTATIVE, "v2.1", later(participant), "wife")
    event = participant.give_consent(consent)
    assert event.representative_relationship == "wife"
    assert participant.consent == consent


def test_a_representative_consent_without_a_relationship_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"consent.representative_relationship"):
        Consent(ConsentSigner.LEGALLY_AUTHORISED_REPRESENTATIVE, "v2.1", T0)


def test_a_subject_consent_may_not_name_a_representative_relationship() -> None:
    with pytest.raises(ValidationError, match=r"consent.representative_relationship"):
        Consent(ConsentSigner.SUBJECT, "v2.1", T0, "wife")


def test_a_step_dated_before_the_previous_step_is_refused() -> None:
    participant = participant_in(S.ELIGIBLE)
    too_early = Consent(ConsentSigner.SUBJECT, "v1", T0 - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="must not be before the previous step"):
        participant.give_consent(too_early)
    assert participant.state is S.ELIGIBLE


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError, match="screened_at"):
        Participant.screen(ParticipantId("MEX-001"), SiteId("S01"), datetime(2025, 3, 1))


def test_randomization_records_the_slot_and_never_an_arm() -> None:
    participant = participant_in(S.ENROLLED)
    record = RandomizationRecord("site=S01", 4, "ABCD-EFGH-JKMN", later(participant))
    event = participant.randomize(record)
    assert isinstance(event, ParticipantRandomized)
    assert (event.stratum, event.sequence_number, event.kit_code) == ("site=S01", 4, "ABCD-EFGH-JKMN")
    assert participant.randomization == record
    assert not any("arm" in name for name in ParticipantRandomized.__dataclass_fields__)
    assert not any("arm" in name for name in RandomizationRecord.__dataclass_fields__)
    assert not any("arm" in name for name in Participant.__dataclass_fields__)


def test_the_first_dose_defines_day_one_and_later_doses_follow_in_order() -> None:
    participant = participant_in(S.RANDOMIZED)
    with pytest.raises(ValidationError, match="study_day"):
        participant.administer_dose(2, later(participant))
    first = participant.administer_dose(1, later(participant))
    assert isinstance(first, DoseAdministered)
    assert participant.first_dose_at == first.occurred_at
    participant.administer_dose(3, later(participant))
    with pytest.raises(ConflictError):
        participant.administer_dose(3, later(participant))
    with pytest.raises(ValidationError, match="after the last"):
        participant.administer_dose(2, later(participant))
    with pytest.raises(ValidationError, match="dosing days are 1 to 7"):
        participant.administer_dose(8, later(participant))
    assert participant.dosed_days == (1, 3)


def test_a_randomized_participant_who_never_received_a_dose_still_enters_follow_up() -> None:
    participant = participant_in(S.RANDOMIZED)
    event = participant.start_follow_up(later(participant))
    assert event.doses_received == 0
    assert participant.state is S.FOLLOW_UP


def test_withdrawal_records_the_reason_and_the_state_it_left() -> None:
    participant = participant_in(S.DOSING)
    event = participant.withdraw("investigator decision", later(participant))
    assert isinstance(event, ParticipantWithdrawn)
    assert (event.reason, event.from_state) == ("investigator decision", "dosing")
    with pytest.raises(ValidationError, match="reason"):
        participant_in(S.DOSING).withdraw("  ", later(participant))


def test_a_death_date_after_the_recording_time_is_refused() -> None:
    participant = participant_in(S.FOLLOW_UP)
    at = later(participant)
    with pytest.raises(ValidationError, match="died_on"):
        participant.record_death(at.date() + timedelta(days=1), at)
    participant.record_death(date(2025, 3, 1), at)
    assert participant.died_on == date(2025, 3, 1)


def test_unblinding_flags_the_participant_without_changing_its_state() -> None:
    participant = participant_in(S.DOSING)
    investigator = Actor(UserId("dr-who"), Role.INVESTIGATOR, frozenset({SiteId("S01")}))
    unblinding = Unblinding(
        "UB-1",
        participant.participant_id,
        UnblindingKind.EMERGENCY,
        "anaphylaxis",
        investigator,
        later(participant),
    )
    event = participant.mark_unblinded(unblinding)
    assert participant.is_unblinded and participant.state is S.DOSING
    assert event.unblinded_by == UserId("dr-who")


def test_a_never_randomized_participant_cannot_be_unblinded() -> None:
    participant = participant_in(S.PHASE1_ASSIGNED)
    investigator = Actor(UserId("dr-who"), Role.INVESTIGATOR)
    unblinding = Unblinding("UB-1", participant.participant_id, "emergency", "reaction", investigator, T0)
    with pytest.raises(ConflictError):
        participant.mark_unblinded(unblinding)


def test_a_coordinator_cannot_break_the_code() -> None:
    with pytest.raises(PermissionDeniedError):
        Unblinding(
            "UB-1", ParticipantId("MEX-001"), "emergency", "x", Actor(UserId("c"), Role.COORDINATOR), T0
        )


def test_an_unblinding_names_exactly_one_participant() -> None:
    investigator = Actor(UserId("dr-who"), Role.INVESTIGATOR)
    with pytest.raises(ValidationError, match="participant_id"):
        Unblinding("UB-1", [ParticipantId("A1"), ParticipantId("A2")], "emergency", "x", investigator, T0)  # type: ignore[arg-type]


def test_apply_dispatches_an_action_to_its_method() -> None:
    participant = participant_in(S.SCREENED)
    participant.apply(A.CONFIRM_ELIGIBILITY, at=later(participant))
    assert participant.state is S.ELIGIBLE
    with pytest.raises(ValidationError, match="action"):
        participant.apply("teleport", at=later(participant))  # type: ignore[arg-type]
