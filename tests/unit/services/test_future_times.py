"""Every clinical time a user enters is refused when it lies in the future of the unit of work's clock (beyond
``CLOCK_SKEW_TOLERANCE``), naming the field, and nothing is written: CRF dates and times of every form, the
screening record's times (not a planned enrolment time), consent, adverse-event onset/awareness/resolution and
SAE reports, dose start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ConsentSigner
from mexards.domain.validation import CLOCK_SKEW_TOLERANCE, FUTURE_RULE
from mexards.protocol.form import builtin_form, builtin_forms
from mexards.services import crf, escalation, participant, safety, treatment
from tests.unit.services.conftest import (
    COORDINATOR,
    INVESTIGATOR,
    PROTOCOL,
    SITE,
    TrialSteps,
    eligible_record,
)
from tests.unit.services.fake import FakeClock, FakeStore, FakeUnitOfWork

TEN_YEARS = timedelta(days=3650)
GIVEN = dict(volume_ml="3", device="Aerogen Solo", spo2_pre_percent=92, spo2_post_percent=94,
             tolerance="tolerated")  # fmt: skip
TIME_FIELDS = sorted(
    (form.form_id, spec.name, spec.type)
    for form in builtin_forms().values()
    for spec in form.fields
    if spec.type in ("date", "datetime")
)


def fields(error: ValidationError) -> list[str]:
    return [e.field for e in error.errors] if isinstance(error, ValidationErrors) else [error.field]


def committed(steps: TrialSteps) -> dict[str, dict[Any, str]]:
    """The committed rows, as text (the row classes compare by identity)."""
    return {name: {key: repr(row) for key, row in rows.items()} for name, rows in steps.uow.store.snapshot().items()}


def refused(steps: TrialSteps, call: Any, *args: Any, **kwargs: Any) -> list[str]:
    """The fields named by the refusal of ``call``; nothing may have been written."""
    before = committed(steps)
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert all(e.rule == FUTURE_RULE for e in getattr(caught.value, "errors", [caught.value]))
    assert committed(steps) == before
    return fields(caught.value)


# --- case report forms ------------------------------------------------------------------------------------


def test_every_date_and_time_field_of_the_form_library_is_checked() -> None:
    assert ("blood_gas", "measured_at", "datetime") in TIME_FIELDS
    assert ("end_of_study", "death_on", "date") in TIME_FIELDS
    assert len(TIME_FIELDS) >= 15


@pytest.mark.parametrize(("form_id", "name", "kind"), TIME_FIELDS)
def test_a_date_or_time_field_of_any_form_in_the_future_is_refused_naming_it(form_id: str, name: str,
                                                                               kind: str) -> None:
    form = builtin_form(form_id)
    now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    ahead: date | datetime = now + TEN_YEARS if kind == "datetime" else (now + TEN_YEARS).date()
    with pytest.raises(ValidationError) as caught:
        form.check_times({name: ahead}, now)
    assert fields(caught.value) == [name]
    past: date | datetime = now - timedelta(hours=1) if kind == "datetime" else now.date()
    form.check_times({name: past}, now)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(TIME_FIELDS), minutes=st.integers(-10 * 365 * 24 * 60, 10 * 365 * 24 * 60))
def test_a_form_time_is_refused_exactly_when_it_is_later_than_now_plus_the_tolerance(
    field: tuple[str, str, str], minutes: int
) -> None:
    form_id, name, kind = field
    now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    moment = now + timedelta(minutes=minutes)
    value: date | datetime = moment if kind == "datetime" else moment.date()
    future = moment > now + CLOCK_SKEW_TOLERANCE if kind == "datetime" else moment.date() > now.date() + timedelta(1)
    try:
        builtin_form(form_id).check_times({name: value}, now)
    except ValidationError as error:
        assert future and fields(error) == [name]
    else:
        assert not future


def test_a_blood_gas_measured_in_the_future_is_refused_and_within_the_tolerance_is_saved(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    now = steps.clock.now()
    gas = {"support": "invasive", "pao2_mmhg": "80", "fio2_fraction": "0.5", "peep_cmh2o": "10"}
    ahead = {**gas, "measured_at": (now + TEN_YEARS).isoformat()}
    assert refused(steps, crf.save_crf, steps.uow, COORDINATOR, pid, "blood_gas", "d1", ahead) == ["measured_at"]
    skewed = {**gas, "measured_at": (now + CLOCK_SKEW_TOLERANCE).isoformat()}
    assert crf.save_crf(steps.uow, COORDINATOR, pid, "blood_gas", "d1", skewed).version == 1


def test_every_date_of_an_end_of_study_form_in_the_future_is_reported_at_once(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    today = steps.clock.now().date()
    values = {"status": "died", "last_contact_on": (today + timedelta(days=2)).isoformat(),
              "death_on": (today + timedelta(days=30)).isoformat(), "extubated_on": today.isoformat()}
    named = refused(steps, crf.save_crf, steps.uow, COORDINATOR, pid, "end_of_study", "end_of_study", values)
    assert named == ["last_contact_on", "death_on"]


# --- screening and consent --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"screening_at": "2035-03-01T07:00:00+00:00"}, "screening_at"),
        ({"ards.diagnosed_at": "2025-03-02T08:00:00+00:00"}, "ards.diagnosed_at"),
        ({"enrolment_at": "2025-03-01T09:00:00+01:00"}, None),  # 08:00 UTC: now, not the future
        ({"enrolment_at": "2025-03-01T12:00:00+00:00"}, None),  # a planned enrolment may lie ahead
        ({"consent.signed_at": "2025-03-02T08:00:00+00:00"}, "consent.signed_at"),
        ({"events.chemotherapy": "2025-04-01"}, "events.chemotherapy"),
        ({"events.acute_mi": {"occurred": True, "date": "2025-03-05T00:00:00+00:00"}}, "events.acute_mi.date"),
    ],
)
def test_a_screening_record_time_in_the_future_is_refused_naming_its_path(
    steps: TrialSteps, change: dict[str, Any], field: str | None
) -> None:
    record = eligible_record(**change)
    pid = ParticipantId("F001")
    if field is None:
        participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, pid, SITE, record)
        return
    named = refused(steps, participant.screen_patient, steps.uow, COORDINATOR, PROTOCOL, pid, SITE, record)
    assert named == [field]


def test_a_consent_signed_in_the_future_is_refused(steps: TrialSteps) -> None:
    pid = ParticipantId("F002")
    participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, pid, SITE, eligible_record())
    now = steps.clock.now()
    args = (steps.uow, COORDINATOR, pid, ConsentSigner.LEGALLY_AUTHORISED_REPRESENTATIVE, "v2.0")
    named = refused(steps, participant.record_consent, *args, now + timedelta(hours=1), "wife")
    assert named == ["consent.consented_at"]
    assert participant.record_consent(*args, now + timedelta(minutes=4), "wife").consent is not None


# --- adverse events ---------------------------------------------------------------------------------------


def _event(steps: TrialSteps, pid: ParticipantId, **changes: Any) -> Any:
    now = steps.clock.now()
    arguments: dict[str, Any] = dict(term="bronchospasm", ctcae_grade=3, onset_at=now - timedelta(hours=2),
                                     investigator_aware_at=now - timedelta(hours=1), relatedness="possible",
                                     expectedness="unexpected", seriousness=["hospitalisation"])  # fmt: skip
    arguments.update(changes)
    return safety.record_adverse_event(steps.uow, INVESTIGATOR, pid, **arguments)


def test_adverse_event_times_in_the_future_are_all_named(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    now = steps.clock.advance(hours=3)
    named = refused(steps, _event, steps, pid, onset_at=now + timedelta(days=30),
                    investigator_aware_at=now + timedelta(days=30, hours=1), resolved_at=now + timedelta(days=31))
    assert named == ["onset_at", "investigator_aware_at", "resolved_at"]
    named = refused(steps, _event, steps, pid, investigator_aware_at=now + timedelta(hours=1))
    assert named == ["investigator_aware_at"]


def test_a_resolution_or_an_sae_report_in_the_future_is_refused(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    steps.clock.advance(hours=3)
    event = _event(steps, pid)
    now = steps.clock.now()
    ae_id = event.adverse_event_id
    assert refused(steps, safety.resolve_adverse_event, steps.uow, INVESTIGATOR, ae_id,
                   now + timedelta(days=1)) == ["resolved_at"]
    assert refused(steps, safety.record_sae_report, steps.uow, INVESTIGATOR, ae_id, "sponsor",
                   now + timedelta(hours=2)) == ["reported_at"]
    assert safety.record_sae_report(steps.uow, INVESTIGATOR, ae_id, "sponsor", now).sponsor_reported_at == now
    assert safety.resolve_adverse_event(steps.uow, INVESTIGATOR, ae_id, now).resolved_at == now


# --- doses ------------------------------------------------------------------------------------------------


def test_a_dose_that_starts_in_the_future_is_refused_and_one_recorded_as_it_starts_is_not(steps: TrialSteps) -> None:
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    pid = steps.enrolled()
    escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
    now = steps.clock.advance(hours=1)
    named = refused(steps, treatment.administer_dose, steps.uow, COORDINATOR, pid, 1,
                    started_at=now + timedelta(hours=1), ended_at=now + timedelta(hours=1, minutes=20), **GIVEN)
    assert named == ["started_at"]
    dose = treatment.administer_dose(steps.uow, COORDINATOR, pid, 1, started_at=now,
                                     ended_at=now + timedelta(minutes=20), **GIVEN)  # the planned stop
    assert dose.ended_at == now + timedelta(minutes=20)


# --- the clock is the unit of work's, never the wall clock --------------------------------------------------


def test_the_unit_of_works_clock_decides_what_is_the_future() -> None:
    """A simulated trial whose clock runs ten years ahead of the wall clock records times that are still in the
    wall clock's future; a trial whose clock is in the past refuses times that the wall clock has passed."""
    ahead = FakeClock(datetime.now(UTC) + TEN_YEARS)
    steps = TrialSteps(FakeUnitOfWork(FakeStore(), ahead), ahead)
    steps.start()
    pid = steps.enrolled(screening_at=ahead.now().isoformat())
    steps.clock.advance(hours=3)
    assert _event(steps, pid).onset_at > datetime.now(UTC)

    behind = FakeClock(datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    past = TrialSteps(FakeUnitOfWork(FakeStore(), behind), behind)
    past.start()
    record = eligible_record(screening_at=(datetime.now(UTC) - timedelta(days=1)).isoformat())
    assert refused(past, participant.screen_patient, past.uow, COORDINATOR, PROTOCOL, ParticipantId("F003"),
                   SITE, record) == ["screening_at"]
