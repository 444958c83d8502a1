"""Random walks over the participant state machine never reach an undefined state or skip the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mexards.domain.dose import DoseLevel
from mexards.domain.errors import InvalidTransitionError
from mexards.domain.identifier import ParticipantId, SiteId
from mexards.domain.participant import (
    TRANSITIONS,
    Consent,
    ConsentSigner,
    Participant,
    ParticipantAction,
    ParticipantState,
    RandomizationRecord,
    allowed_actions,
)

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)


def arguments(participant: Participant, action: ParticipantAction, at: datetime) -> dict[str, object]:
    """Valid keyword arguments for ``Participant.apply(action, ...)``."""
    next_day = participant.dosed_days[-1] + 1 if participant.dosed_days else 1
    return {
        ParticipantAction.CONFIRM_ELIGIBILITY: {"at": at},
        ParticipantAction.FAIL_SCREENING: {"reasons": ["exclusion 1"], "at": at},
        ParticipantAction.CONSENT: {"consent": Consent(ConsentSigner.SUBJECT, "v1", at)},
        ParticipantAction.ENROL: {"at": at},
        ParticipantAction.ASSIGN_TO_COHORT: {"cohort_number": 1, "dose_level": DoseLevel(1, 10), "at": at},
        ParticipantAction.RANDOMIZE: {"record": RandomizationRecord("all", 1, "K", at)},
        ParticipantAction.ADMINISTER_DOSE: {"study_day": min(next_day, 7), "administered_at": at},
        ParticipantAction.START_FOLLOW_UP: {"at": at},
        ParticipantAction.COMPLETE: {"at": at},
        ParticipantAction.WITHDRAW: {"reason": "withdrew", "at": at},
        ParticipantAction.RECORD_DEATH: {"died_on": at.date(), "recorded_at": at},
        ParticipantAction.MARK_LOST_TO_FOLLOW_UP: {"at": at},
    }[action]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(ParticipantAction)), max_size=40))
def test_random_walks_follow_the_table_and_stay_in_defined_states(actions: list[ParticipantAction]) -> None:
    participant, _ = Participant.screen(ParticipantId("MEX-001"), SiteId("S01"), T0)
    at = T0
    for action in actions:
        at += timedelta(hours=1)
        before = participant.state
        full_course = action is ParticipantAction.ADMINISTER_DOSE and len(participant.dosed_days) == 7
        if (before, action) in TRANSITIONS and not full_course:
            event = participant.apply(action, **arguments(participant, action, at))
            assert participant.state is TRANSITIONS[(before, action)]
            assert getattr(event, "occurred_at") == at  # noqa: B009
        elif (before, action) not in TRANSITIONS:
            try:
                participant.apply(action, **arguments(participant, action, at))
            except InvalidTransitionError as error:
                assert (error.state, error.action) == (before.value, action.value)
            else:
                raise AssertionError(f"{action} from {before} should have been refused")
            assert participant.state is before
        assert participant.state in set(ParticipantState)
        if participant.state.is_terminal:
            assert allowed_actions(participant.state) == frozenset()
    assert len(participant.dosed_days) == len(set(participant.dosed_days)) <= 7
    assert list(participant.dosed_days) == sorted(participant.dosed_days)
