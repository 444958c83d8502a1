"""Adverse events and SAE reporting clocks at their boundaries (edc-and-standards.md SAE-1, SAE-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mexards.domain.adverse_event import (
    AdverseEvent,
    CTCAEGrade,
    Expectedness,
    Relatedness,
    SeriousnessCriterion,
)
from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.domain.reporting_clock import ReportingObligation, ReportKind

ONSET = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
AWARE = datetime(2025, 3, 2, 14, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def event(**changes: object) -> AdverseEvent:
    values: dict[str, object] = {
        "adverse_event_id": "AE-1",
        "participant_id": ParticipantId("MEX-001"),
        "term": "Bronchospasm",
        "ctcae_grade": CTCAEGrade.SEVERE,
        "onset_at": ONSET,
        "investigator_aware_at": AWARE,
        "relatedness": Relatedness.PROBABLE,
        "expectedness": Expectedness.UNEXPECTED,
        "seriousness": frozenset({SeriousnessCriterion.HOSPITALISATION}),
    }
    values.update(changes)
    return AdverseEvent(**values)  # type: ignore[arg-type]


def test_a_non_serious_event_has_no_expedited_reporting_obligation() -> None:
    ae = event(seriousness=frozenset())
    assert not ae.is_serious
    assert ae.reporting_obligations() == []
    assert not ae.is_overdue(AWARE + timedelta(days=365))


def test_the_sponsor_must_hear_of_an_sae_within_24_hours_of_awareness_not_onset() -> None:
    ae = event(relatedness=Relatedness.NOT_RELATED)
    [sponsor] = ae.reporting_obligations()
    assert sponsor.kind is ReportKind.SPONSOR_NOTIFICATION
    assert sponsor.due_at == AWARE + timedelta(hours=24)
    assert not ae.is_overdue(sponsor.due_at)
    assert ae.is_overdue(sponsor.due_at + TICK)


def test_a_fatal_or_life_threatening_susar_is_due_to_regulators_in_7_days() -> None:
    ae = event(seriousness=frozenset({SeriousnessCriterion.LIFE_THREATENING}), ctcae_grade=4)
    received = AWARE + timedelta(hours=3)
    ae.record_sponsor_report(received)
    assert ae.sponsor_received_at == received
    [_, regulatory] = ae.reporting_obligations()
    assert regulatory.kind is ReportKind.SUSAR_FATAL_OR_LIFE_THREATENING
    assert regulatory.due_at == received + timedelta(days=7)
    assert not ae.is_overdue(regulatory.due_at)
    assert ae.is_overdue(regulatory.due_at + TICK)


def test_any_other_susar_is_due_to_regulators_in_15_days() -> None:
    ae = event(sponsor_received_at=AWARE, sponsor_reported_at=AWARE)
    [_, regulatory] = ae.reporting_obligations()
    assert regulatory.kind is ReportKind.SUSAR_OTHER
    assert regulatory.due_at == AWARE + timedelta(days=15)
    assert not regulatory.is_overdue(AWARE + timedelta(days=15))
    assert regulatory.is_overdue(AWARE + timedelta(days=15) + TICK)


def test_until_the_sponsor_receipt_is_recorded_the_regulatory_clock_runs_from_awareness() -> None:
    [_, regulatory] = event().reporting_obligations()
    assert regulatory.clock_started_at == AWARE


@pytest.mark.parametrize(
    ("relatedness", "expectedness", "is_susar"),
    [
        (Relatedness.POSSIBLE, Expectedness.UNEXPECTED, True),
        (Relatedness.DEFINITE, Expectedness.UNEXPECTED, True),
        (Relatedness.UNLIKELY, Expectedness.UNEXPECTED, False),
        (Relatedness.NOT_RELATED, Expectedness.UNEXPECTED, False),
        (Relatedness.PROBABLE, Expectedness.EXPECTED, False),
    ],
)
def test_a_susar_is_serious_suspected_and_unexpected(
    relatedness: Relatedness, expectedness: Expectedness, is_susar: bool
) -> None:
    ae = event(relatedness=relatedness, expectedness=expectedness)
    assert ae.is_susar is is_susar
    assert len(ae.reporting_obligations()) == (2 if is_susar else 1)


def test_a_report_submitted_on_time_stops_the_clock_and_a_late_one_is_flagged() -> None:
    ae = event(relatedness=Relatedness.NOT_RELATED)
    ae.record_sponsor_report(AWARE + timedelta(hours=23))
    [sponsor] = ae.reporting_obligations()
    assert not sponsor.is_overdue(AWARE + timedelta(days=30))
    assert not sponsor.was_late
    late = ReportingObligation(ReportKind.SPONSOR_NOTIFICATION, AWARE, AWARE + timedelta(hours=25))
    assert late.was_late
    assert late.is_overdue(AWARE + timedelta(hours=24, minutes=30))
    assert not late.is_overdue(AWARE + timedelta(hours=25))


def test_escalation_starts_within_the_warning_period_before_breach() -> None:
    obligation = ReportingObligation(ReportKind.SPONSOR_NOTIFICATION, AWARE)
    assert not obligation.needs_escalation(AWARE + timedelta(hours=19), timedelta(hours=4))
    assert obligation.needs_escalation(AWARE + timedelta(hours=20), timedelta(hours=4))


def test_clock_times_given_in_another_time_zone_are_normalised_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    ae = event(investigator_aware_at=datetime(2025, 3, 2, 15, 30, tzinfo=paris))
    assert ae.investigator_aware_at == AWARE
    assert ae.reporting_obligations()[0].due_at.tzinfo is UTC


def test_a_grade_5_event_must_carry_the_death_criterion() -> None:
    with pytest.raises(ValidationError, match="seriousness"):
        event(ctcae_grade=5)
    assert event(ctcae_grade=5, seriousness={"death"}).is_fatal_or_life_threatening


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ctcae_grade": 6}, "ctcae_grade"),
        ({"ctcae_grade": 0}, "ctcae_grade"),
        ({"relatedness": "maybe"}, "relatedness"),
        ({"expectedness": "surprising"}, "expectedness"),
        ({"seriousness": {"hospitalised"}}, "seriousness"),
        ({"term": ""}, "term"),
        ({"investigator_aware_at": ONSET - timedelta(minutes=1)}, "investigator_aware_at"),
        ({"resolved_at": ONSET - timedelta(minutes=1)}, "resolved_at"),
        ({"onset_at": datetime(2025, 3, 2)}, "onset_at"),
    ],
)
def test_invalid_adverse_events_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        event(**changes)
    assert caught.value.field == field
