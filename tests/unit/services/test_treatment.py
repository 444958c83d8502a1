"""The dosing log (Days 1-7, each once) and visits with windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mexards.domain.errors import ConflictError, InvalidTransitionError, ValidationError
from mexards.services import escalation, treatment, visit
from mexards.services.read_model import visit_timeline
from tests.unit.services.conftest import COORDINATOR, INVESTIGATOR, PROTOCOL, TrialSteps

GIVEN = dict(volume_ml="3", device="Aerogen Solo", spo2_pre_percent=92, spo2_post_percent=94,
             tolerance="tolerated")


def _assigned(steps: TrialSteps):  # type: ignore[no-untyped-def]
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    pid = steps.enrolled()
    escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
    return pid


def test_phase1_doses_are_recorded_in_particles_once_per_day(steps: TrialSteps) -> None:
    pid = _assigned(steps)
    with pytest.raises(ValidationError, match="Day 1"):
        treatment.administer_dose(steps.uow, COORDINATOR, pid, 1, status="missed", reason="no kit")
    dose = treatment.administer_dose(steps.uow, COORDINATOR, pid, 1, started_at=steps.clock.now(), **GIVEN)
    assert dose.dose_particles == 200_000_000 and dose.product_label == "200000000 particles"
    with pytest.raises(ConflictError):
        treatment.administer_dose(steps.uow, COORDINATOR, pid, 1, started_at=steps.clock.now(), **GIVEN)
    steps.clock.advance(days=1)
    missed = treatment.administer_dose(steps.uow, COORDINATOR, pid, 2, status="missed", reason="hypotension")
    assert missed.dose_particles is None and missed.started_at is None
    steps.clock.advance(days=1)
    with pytest.raises(ValidationError) as error:
        treatment.administer_dose(steps.uow, COORDINATOR, pid, 3, status="interrupted",
                                  started_at=steps.clock.now(), **GIVEN)
    assert error.value.field == "reason"
    with pytest.raises(ValidationError, match="future"):
        treatment.administer_dose(steps.uow, COORDINATOR, pid, 3, started_at=steps.clock.now() + timedelta(hours=2),
                                  **GIVEN)
    with pytest.raises(ValidationError):
        treatment.administer_dose(steps.uow, COORDINATOR, pid, 8, started_at=steps.clock.now(), **GIVEN)


def test_a_dose_before_assignment_is_an_invalid_transition(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    with pytest.raises(InvalidTransitionError):
        treatment.administer_dose(steps.uow, COORDINATOR, pid, 1, started_at=steps.clock.now(), **GIVEN)


def test_visits_follow_the_protocol_schedule_and_out_of_window_visits_are_flagged(steps: TrialSteps) -> None:
    pid = _assigned(steps)
    first_day = steps.clock.now().date()
    treatment.administer_dose(steps.uow, COORDINATOR, pid, 1, started_at=steps.clock.now(), **GIVEN)
    visits = visit.schedule_visits(steps.uow, COORDINATOR, PROTOCOL, pid)
    assert [v.visit_code for v in visits] == ["d1", "d2", "d3", "d4", "d5", "d6", "d7", "d14", "d28", "d60"]
    with pytest.raises(ConflictError):
        visit.schedule_visits(steps.uow, COORDINATOR, PROTOCOL, pid)
    by_code = {v.visit_code: v for v in visits}
    steps.clock.advance(days=40)
    on_time = visit.record_visit(steps.uow, COORDINATOR, by_code["d14"].visit_id, first_day + timedelta(days=14))
    late = visit.record_visit(steps.uow, COORDINATOR, by_code["d28"].visit_id, first_day + timedelta(days=31))
    assert not on_time.is_out_of_window and late.is_out_of_window
    timeline = {item.visit_code: item for item in visit_timeline(steps.uow, COORDINATOR, pid)}
    # clinical.md 4: Day 14 +/- 1 day -> Day 13 to Day 15 (calendar dates first_day + 12 .. + 14)
    assert (timeline["d14"].window_start, timeline["d14"].window_end) == (first_day + timedelta(days=12),
                                                                         first_day + timedelta(days=14))
    assert timeline["d28"].out_of_window
    with pytest.raises(ValidationError) as error:
        visit.record_missed_visit(steps.uow, COORDINATOR, by_code["d60"].visit_id, "")
    assert error.value.field == "reason"
