"""The CONSORT flow of a simulated trial: counts from the data, adding up, agreeing with the database; drawings."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest

from mexards.domain.errors import ConflictError
from mexards.reporting.consort import consort_flow, consort_png, consort_svg
from mexards.services.read_model import consort_counts
from mexards.services.results import analysis_dataset
from tests.unit.services.conftest import PROTOCOL, STATISTICIAN, UNBLINDED_STATISTICIAN
from tests.unit.services.test_results import SimulatedTrial, simulate_trial


@pytest.fixture(scope="module")
def sim() -> SimulatedTrial:
    return simulate_trial(phase2_size=12, seed=21)


def test_the_flow_adds_up_and_agrees_with_the_database(sim: SimulatedTrial) -> None:
    flow = consort_flow(analysis_dataset(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, by_arm=True))
    counts = consort_counts(sim.uow, UNBLINDED_STATISTICIAN)
    assert flow.assessed == counts.assessed == len(sim.phase1) + len(sim.phase2) + 6
    assert flow.ineligible == counts.excluded == sim.ineligible
    assert flow.incomplete_screening == counts.incomplete_screening == sim.incomplete
    assert flow.enrolled == counts.enrolled == len(sim.phase1) + len(sim.phase2)
    assert flow.phase1 == counts.phase1_assigned == len(sim.phase1)
    assert flow.phase2 == counts.randomized == len(sim.phase2)
    assert {g.group_id: g.allocated for g in flow.groups if g.phase == 2} == counts.by_arm
    assert sum(g.died for g in flow.groups) == len(sim.died)
    assert sum(g.lost for g in flow.groups) == len(sim.lost)
    assert sum(g.withdrawn for g in flow.groups) == len(sim.withdrawn)
    assert sum(g.completed for g in flow.groups) == len(sim.completed)
    assert sum(g.not_received for g in flow.groups) == len(sim.never_dosed)
    flow.check()


def test_phase_1_is_drawn_by_dose_level_and_analysed_as_dlt_evaluable(sim: SimulatedTrial) -> None:
    flow = consort_flow(analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL))
    phase1 = [g for g in flow.groups if g.phase == 1]
    assert [(g.title, g.allocated, g.analysed) for g in phase1] == [
        (arm.label, 3, 3) for arm in PROTOCOL.arms if arm.phase == 1]


def test_participants_missing_the_primary_outcome_are_excluded_from_analysis_with_their_reason(
    sim: SimulatedTrial,
) -> None:
    flow = consort_flow(analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL))
    (pooled,) = [g for g in flow.groups if g.phase == 2]
    reasons = dict(pooled.excluded_reasons)
    assert reasons.get("No Day 7 PaO2/FiO2", 0) >= 1  # the participant whose Day 7 gas was not entered
    assert reasons.get("No baseline PaO2/FiO2", 0) == len(sim.never_dosed)  # no data at all
    assert pooled.analysed + pooled.excluded_from_analysis == pooled.allocated == len(sim.phase2)


def test_a_flow_that_does_not_add_up_is_refused_naming_the_box_and_no_arm(sim: SimulatedTrial) -> None:
    flow = consort_flow(analysis_dataset(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, by_arm=True))
    broken = dataclasses.replace(flow, groups=(dataclasses.replace(flow.groups[4], completed=99), *flow.groups[1:]))
    with pytest.raises(ConflictError, match="completed") as error:
        broken.check()
    assert "Phase 2:" not in str(error.value)
    with pytest.raises(ConflictError, match="assessed"):
        dataclasses.replace(flow, assessed=flow.assessed + 1).check()


def test_the_svg_is_well_formed_and_shows_every_count(sim: SimulatedTrial) -> None:
    flow = consort_flow(analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL))
    svg = consort_svg(flow)
    root = ET.fromstring(svg)
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert f"Assessed for eligibility (n={flow.assessed})" in text and f"Enrolled (n={flow.enrolled})" in text
    for g in flow.groups:
        assert f"(n={g.allocated})" in text
    for arm in PROTOCOL.arms:
        if arm.phase == 2:
            assert arm.label not in svg


def test_the_png_is_a_png_image(sim: SimulatedTrial) -> None:
    png = consort_png(consort_flow(analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL)))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
