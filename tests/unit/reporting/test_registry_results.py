"""The registry results section (ClinicalTrials.gov API v2 resultsSection) of a simulated trial: its schema,
its consistency rules, its agreement with the database and the CONSORT flow, and blinding."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mexards.domain.errors import ValidationErrors
from mexards.reporting.consort import consort_flow
from mexards.reporting.registry_results import (
    ensure_valid_results_section,
    registry_results_section,
    results_section_errors,
    results_section_schema,
)
from mexards.reporting.result_table import analyse
from mexards.services.results import analysis_dataset
from tests.unit.services.conftest import PROTOCOL, STATISTICIAN, UNBLINDED_STATISTICIAN
from tests.unit.services.test_results import SimulatedTrial, simulate_trial

FIXTURE = Path("/work/shared/data/ctgov/ctgov_v2_NCT02296125_reduced.json")


@pytest.fixture(scope="module")
def sim() -> SimulatedTrial:
    return simulate_trial(phase2_size=12, seed=31)


@pytest.fixture(scope="module")
def by_arm(sim: SimulatedTrial) -> dict:
    return registry_results_section(analyse(analysis_dataset(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL,
                                                             by_arm=True)), PROTOCOL)


def _milestone(section: dict, name: str) -> dict[str, int]:
    period = section["participantFlowModule"]["periods"][0]
    (milestone,) = [m for m in period["milestones"] if m["type"] == name]
    return {a["groupId"]: int(a["numSubjects"]) for a in milestone["achievements"]}


def test_the_section_has_the_four_modules_and_passes_schema_and_rules(by_arm: dict) -> None:
    assert set(by_arm) == {"participantFlowModule", "baselineCharacteristicsModule", "outcomeMeasuresModule",
                           "adverseEventsModule"}
    assert results_section_errors(by_arm) == []
    assert json.loads(json.dumps(by_arm)) == by_arm


def test_groups_carry_the_records_arm_titles_and_registry_ids(by_arm: dict) -> None:
    groups = by_arm["participantFlowModule"]["groups"]
    assert [g["title"] for g in groups] == [arm.label for arm in PROTOCOL.arms]
    assert [g["id"] for g in groups] == [f"FG{i:03d}" for i in range(len(PROTOCOL.arms))]
    baseline = by_arm["baselineCharacteristicsModule"]["groups"]
    assert baseline[-1]["title"] == "Total" and baseline[0]["id"] == "BG000"
    assert all(g["id"].startswith("EG") for g in by_arm["adverseEventsModule"]["eventGroups"])


def test_the_participant_flow_agrees_with_the_database_and_the_consort_flow(sim: SimulatedTrial, by_arm: dict) -> None:
    flow = consort_flow(analysis_dataset(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, by_arm=True))
    started, completed = _milestone(by_arm, "STARTED"), _milestone(by_arm, "COMPLETED")
    assert list(started.values()) == [g.allocated for g in flow.groups]
    assert sum(started.values()) == len(sim.phase1) + len(sim.phase2)
    assert sum(completed.values()) == len(sim.completed)
    drops = {d["type"]: sum(int(r["numSubjects"]) for r in d["reasons"])
             for d in by_arm["participantFlowModule"]["periods"][0]["dropWithdraws"]}
    assert drops.get("Death", 0) == len(sim.died) and drops.get("Lost to Follow-up", 0) == len(sim.lost)
    with sim.uow as u:
        counted = {p.participant_id: p for p in u.participants.list() if p.enrolled_at is not None}
    assert sum(started.values()) == len(counted)


def test_adverse_event_counts_agree_with_the_records_and_stay_within_those_at_risk(
    sim: SimulatedTrial, by_arm: dict
) -> None:
    module = by_arm["adverseEventsModule"]
    with sim.uow as u:
        dosed = {p.participant_id for p in u.participants.list() if p.dosed_days}
        events = [e for e in u.adverse_events.list() if e.participant_id in dosed]
    serious = {e.participant_id for e in events if e.is_serious}
    assert sum(g["seriousNumAffected"] for g in module["eventGroups"]) == len(serious)
    assert sum(g["otherNumAtRisk"] for g in module["eventGroups"]) == len(dosed)
    listed = sum(s["numEvents"] for kind in ("seriousEvents", "otherEvents") for e in module[kind] for s in e["stats"])
    assert listed == len(events)
    for kind in ("seriousEvents", "otherEvents"):
        for event in module[kind]:
            assert event["sourceVocabulary"] == "CTCAE (5.0)" and event["organSystem"]
            for stat in event["stats"]:
                assert stat["numAffected"] <= stat["numAtRisk"] and stat["numAffected"] <= stat["numEvents"]


def test_outcome_measures_follow_the_protocols_outcomes(by_arm: dict) -> None:
    measures = {m["title"]: m for m in by_arm["outcomeMeasuresModule"]["outcomeMeasures"]}
    outcomes = {o.id: o for o in PROTOCOL.outcomes}
    dlt = measures[outcomes["dlt_incidence"].measure]
    assert dlt["type"] == "PRIMARY" and [c["value"] for c in dlt["classes"][0]["categories"][0]["measurements"]] \
        == ["0", "0", "2"]
    pf = measures[outcomes["pf_change_d7"].measure]
    assert pf["paramType"] == "MEAN" and pf["dispersionType"] == "Standard Deviation"
    assert {a["statisticalMethod"] for a in pf.get("analyses", [])} <= {"ANCOVA"}
    assert measures[outcomes["mortality_d28"].measure]["type"] == "SECONDARY"


@pytest.mark.parametrize(("path", "value", "rule"), [
    (("adverseEventsModule", "eventGroups", 0, "seriousNumAffected"), 99, "must not exceed seriousNumAtRisk"),
    (("participantFlowModule", "periods", 0, "milestones", 0, "achievements", 0, "numSubjects"), "50",
     "STARTED must equal COMPLETED + NOT COMPLETED"),
    (("participantFlowModule", "periods", 0, "milestones", 0, "achievements", 0, "groupId"), "FG099",
     "undeclared group id"),
    (("participantFlowModule", "periods", 0, "milestones", 0, "achievements", 0, "numSubjects"), 3,
     "is not of type 'string'"),
])
def test_an_inconsistent_section_is_refused_naming_the_path_and_rule(by_arm: dict, path: tuple, value: object,
                                                                      rule: str) -> None:
    broken = copy.deepcopy(by_arm)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    errors = results_section_errors(broken)
    assert any(rule in e.rule for e in errors), errors
    with pytest.raises(ValidationErrors):
        ensure_valid_results_section(broken)


def test_an_adverse_event_row_affecting_more_than_its_group_at_risk_is_refused(by_arm: dict) -> None:
    broken = copy.deepcopy(by_arm)
    module = broken["adverseEventsModule"]
    event = (module["otherEvents"] or module["seriousEvents"])[0]
    event["stats"][0]["numAffected"] = event["stats"][0]["numAtRisk"] + 1
    assert any("numAffected must not exceed numAtRisk" in e.rule for e in results_section_errors(broken))


def test_the_schema_accepts_the_recorded_registry_results_modules() -> None:
    """NCT02296125 as the API returned it (reduced: no baseline or AE module) fits the module schemas."""
    recorded = json.loads(FIXTURE.read_text())["resultsSection"]
    rules = sorted(e.rule for e in results_section_errors(recorded))
    assert rules == ["'adverseEventsModule' is a required property", "'baselineCharacteristicsModule' is a "
                                                                       "required property"]
    assert results_section_schema()["$schema"].endswith("2020-12/schema")


def test_the_pooled_section_names_no_phase_2_arm(sim: SimulatedTrial) -> None:
    section = registry_results_section(analyse(analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL)), PROTOCOL)
    text = json.dumps(section)
    for arm in PROTOCOL.arms:
        if arm.phase == 2:
            assert arm.label not in text and arm.id not in text
    assert len(section["participantFlowModule"]["groups"]) == 4
    assert results_section_errors(section) == []
