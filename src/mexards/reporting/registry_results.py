"""The registry results section: JSON in the shape of the ClinicalTrials.gov API v2 ``resultsSection``.

Modules: ``participantFlowModule``, ``baselineCharacteristicsModule``, ``outcomeMeasuresModule`` and
``adverseEventsModule`` (``edc-and-standards.md`` 3.5). Field names and enumeration words follow the API v2
record: group ids FG/BG/OG/EG + three digits, participant-flow, baseline and outcome numbers as strings (as in
the recorded NCT02296125 record: ``"numSubjects": "279"``, ``"dispersionType": "95% Confidence Interval"``),
adverse-event counts as integers. Group titles and descriptions are the protocol's arm labels (the registry
record's group titles). Before database lock, or for a blinded role, the section is built from the pooled
dataset: Phase 2 is one group and no Phase 2 arm appears (BLD-6).

Checks (:func:`results_section_errors`): the JSON schema kept in this package
(``schema/results_section.schema.json``) and consistency rules: each flow group's STARTED = COMPLETED + NOT
COMPLETED and NOT COMPLETED = the sum of its drop/withdraw reasons; every group id used is declared; baseline
category counts do not exceed their denominators and the baseline total equals the participants who started;
counts of participants in an outcome do not exceed its denominator; adverse-event counts: affected <= at risk,
affected <= events, and a row's at-risk number equals its group's.

The participant flow comes from the same :class:`~mexards.reporting.consort.ConsortFlow` as the diagram.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from mexards.analysis import ContinuousSummary, summarize_continuous
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.model import Protocol
from mexards.reporting.consort import ONGOING, ConsortFlow, GroupFlow, consort_flow
from mexards.reporting.result_table import MORTALITY_DAY, Results, safety_population, survival_time
from mexards.services.results import AnalysisParticipant

SOURCE_VOCABULARY = "CTCAE (5.0)"
_KIND = {"primary": "PRIMARY", "secondary": "SECONDARY", "exploratory": "OTHER_PRE_SPECIFIED"}


def _n(value: float | None, digits: int = 1) -> str:
    return "NA" if value is None else f"{value:.{digits}f}"


def _ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(count)]


def _groups(prefix: str, results: Results, group_ids: list[str]) -> tuple[list[dict[str, str]], dict[str, str]]:
    dataset = results.dataset
    ids = dict(zip(group_ids, _ids(prefix, len(group_ids)), strict=True))
    return [{"id": ids[g], "title": dataset.group(g).title, "description": dataset.group(g).description}
            for g in group_ids], ids


def participant_flow_module(results: Results, flow: ConsortFlow) -> dict[str, Any]:
    groups, ids = _groups("FG", results, [g.group_id for g in flow.groups])
    reasons: dict[str, dict[str, int]] = {}
    for g in flow.groups:
        for reason, n in (("Death", g.died), ("Lost to Follow-up", g.lost), *g.withdrawal_reasons,
                          (ONGOING, g.ongoing)):
            reasons.setdefault(reason, {})
            reasons[reason][g.group_id] = reasons[reason].get(g.group_id, 0) + n
    drops = [{"type": reason, "reasons": [{"groupId": ids[g.group_id], "numSubjects": str(by_group.get(g.group_id, 0))}
                                          for g in flow.groups]}
             for reason, by_group in reasons.items() if sum(by_group.values())]
    milestone: list[tuple[str, Callable[[GroupFlow], int]]] = [
        ("STARTED", lambda g: g.allocated), ("Received at least one dose", lambda g: g.received),
                 ("COMPLETED", lambda g: g.completed), ("NOT COMPLETED", lambda g: g.not_completed)]
    excluded = "; ".join(f"{reason} ({n})" for reason, n in flow.criterion_failures)
    return {
        "recruitmentDetails": f"{flow.assessed} patients were assessed for eligibility; {flow.enrolled} were "
                              "enrolled.",
        "preAssignmentDetails": (
            f"Excluded before enrolment: {flow.excluded} ({flow.ineligible} not meeting eligibility criteria"
            + (f": {excluded}" if excluded else "") + f"; {flow.incomplete_screening} with incomplete "
            f"screening; {flow.excluded - flow.ineligible - flow.incomplete_screening} eligible but not "
            f"enrolled). Enrolled but not assigned: {flow.not_assigned}. Phase 1 participants were assigned "
            "to dose levels (open label); Phase 2 participants were randomised."),
        "groups": groups,
        "periods": [{
            "title": "Overall Study",
            "milestones": [{"type": name, "achievements": [{"groupId": ids[g.group_id], "numSubjects": str(count(g))}
                                                           for g in flow.groups]} for name, count in milestone],
            "dropWithdraws": drops,
        }],
    }


def _continuous(title: str, unit: str, people_by_group: list[list[AnalysisParticipant]], ids: list[str],
                value: Any, median: bool = False) -> dict[str, Any]:
    measurements, denoms = [], []
    for group_id, people in zip(ids, people_by_group, strict=True):
        s: ContinuousSummary = summarize_continuous([value(p) for p in people])
        denoms.append({"groupId": group_id, "value": str(s.n)})
        if median:
            measurements.append({"groupId": group_id, "value": _n(s.median), "lowerLimit": _n(s.q1),
                                 "upperLimit": _n(s.q3)})
        else:
            measurements.append({"groupId": group_id, "value": _n(s.mean), "spread": _n(s.sd)})
    return {"title": title, "paramType": "MEDIAN" if median else "MEAN",
            "dispersionType": "Inter-Quartile Range" if median else "Standard Deviation", "unitOfMeasure": unit,
            "denoms": [{"units": "Participants", "counts": denoms}],
            "classes": [{"categories": [{"measurements": measurements}]}]}


def _categories(title: str, people_by_group: list[list[AnalysisParticipant]], ids: list[str], value: Any,
                categories: list[tuple[str, str]]) -> dict[str, Any]:
    denoms = [{"groupId": g, "value": str(sum(1 for p in people if value(p)))}
              for g, people in zip(ids, people_by_group, strict=True)]
    return {"title": title, "paramType": "COUNT_OF_PARTICIPANTS", "unitOfMeasure": "Participants",
            "denoms": [{"units": "Participants", "counts": denoms}],
            "classes": [{"categories": [
                {"title": label, "measurements": [
                    {"groupId": g, "value": str(sum(1 for p in people if value(p) == code))}
                    for g, people in zip(ids, people_by_group, strict=True)]}
                for code, label in categories]}]}


def baseline_module(results: Results, flow: ConsortFlow) -> dict[str, Any]:
    dataset = results.dataset
    group_ids = [g.group_id for g in flow.groups]
    groups, by_id = _groups("BG", results, group_ids)
    total_id = f"BG{len(groups):03d}"
    groups.append({"id": total_id, "title": "Total", "description": "Total of all reporting groups"})
    people = [list(dataset.members(g)) for g in group_ids]
    people.append([p for group in people for p in group])
    ids = [*by_id.values(), total_id]
    return {
        "populationDescription": "All participants assigned to a Phase 1 dose level or randomised in Phase 2. "
                                 "Measures with missing values give their own denominators.",
        "groups": groups,
        "denoms": [{"units": "Participants", "counts": [{"groupId": g, "value": str(len(p))}
                                                        for g, p in zip(ids, people, strict=True)]}],
        "measures": [
            _continuous("Age, Continuous", "years", people, ids, lambda p: p.age_years),
            _categories("Sex: Female, Male", people, ids, lambda p: p.sex, [("female", "Female"), ("male", "Male")]),
            _continuous("PaO2/FiO2 ratio at baseline", "mmHg", people, ids, lambda p: p.baseline_pf),
            _continuous("SOFA score at baseline", "score on a scale (0-24)", people, ids, lambda p: p.baseline_sofa,
                        median=True),
            _continuous("Murray lung injury score at baseline", "score on a scale (0-4)", people, ids,
                        lambda p: p.baseline_murray),
            _categories("ARDS severity (Berlin definition)", people, ids, lambda p: p.berlin_baseline,
                        [("MILD", "Mild"), ("MODERATE", "Moderate"), ("SEVERE", "Severe")]),
        ],
    }


def _outcome_text(protocol: Protocol, outcome_id: str, title: str, time_frame: str, kind: str) -> dict[str, str]:
    for outcome in protocol.outcomes:
        if outcome.id == outcome_id:
            return {"type": _KIND.get(outcome.kind, "OTHER_PRE_SPECIFIED"), "title": outcome.measure,
                    "timeFrame": outcome.time_frame}
    return {"type": kind, "title": title, "timeFrame": time_frame}


def outcome_measures_module(results: Results, protocol: Protocol) -> dict[str, Any]:
    dataset = results.dataset
    measures: list[dict[str, Any]] = []
    phase1 = [g.group_id for g in dataset.groups_of_phase(1)]
    phase2 = [g.group_id for g in dataset.groups_of_phase(2)]
    everyone = [g.group_id for g in dataset.groups]
    if phase1 and results.toxicity:
        groups, ids = _groups("OG", results, phase1)
        rows = {r.group.group_id: r for r in results.toxicity}
        measures.append({
            **_outcome_text(protocol, "dlt_incidence", "Participants with a dose-limiting toxicity", "Day 1 to "
                            "Day 8", "PRIMARY"),
            "description": "Participants with a confirmed dose-limiting toxicity among DLT-evaluable participants.",
            "populationDescription": "DLT-evaluable Phase 1 participants.", "reportingStatus": "POSTED",
            "paramType": "COUNT_OF_PARTICIPANTS", "unitOfMeasure": "Participants", "groups": groups,
            "denoms": [{"units": "Participants", "counts": [{"groupId": ids[g], "value": str(rows[g].evaluable)}
                                                            for g in phase1]}],
            "classes": [{"categories": [{"measurements": [{"groupId": ids[g], "value": str(rows[g].dlts)}
                                                          for g in phase1]}]}]})
    if phase2:
        groups, ids = _groups("OG", results, phase2)
        by_group = {v.group_id: v.summary for v in results.pf_change}
        analyses = []
        if results.pf_ancova is not None:
            control = results.pf_ancova.control
            for c in results.pf_ancova.contrasts:
                arm = c.name.split(" - ")[0]
                analyses.append({"groupIds": [ids[arm], ids[control]], "nonInferiorityType": "SUPERIORITY",
                                 "pValue": _p(c.p_value), "statisticalMethod": "ANCOVA",
                                 "statisticalComment": "Adjusted for baseline PaO2/FiO2; complete cases.",
                                 "paramType": "Mean Difference (Net)", "paramValue": _n(c.estimate, 2),
                                 "ciPctValue": "95", "ciNumSides": "TWO_SIDED", "ciLowerLimit": _n(c.lower, 2),
                                 "ciUpperLimit": _n(c.upper, 2)})
        measures.append({
            **_outcome_text(protocol, "pf_change_d7", "Change in PaO2/FiO2 from baseline to Day 7", "Day 1 to "
                            "Day 7", "PRIMARY"),
            "populationDescription": "Randomised participants with baseline and Day 7 PaO2/FiO2 (complete cases).",
            "reportingStatus": "POSTED", "paramType": "MEAN", "dispersionType": "Standard Deviation",
            "unitOfMeasure": "mmHg", "groups": groups,
            "denoms": [{"units": "Participants", "counts": [{"groupId": ids[g], "value": str(by_group[g].n)}
                                                            for g in phase2]}],
            "classes": [{"categories": [{"measurements": [
                {"groupId": ids[g], "value": _n(by_group[g].mean), "spread": _n(by_group[g].sd)} for g in phase2]}]}],
            **({"analyses": analyses} if analyses else {})})
        vfd = {v.group_id: v.summary for v in results.vfd}
        vfd_analyses = [{"groupIds": [ids[g], ids[results.control_id or ""]], "nonInferiorityType": "SUPERIORITY",
                         "pValue": _p(t.p_value), "statisticalMethod": "Wilcoxon (Mann-Whitney)",
                         "paramType": "Median Difference (Final Values)", "paramValue": _n(t.estimate, 2),
                         "estimateComment": "Hodges-Lehmann shift estimate.", "ciPctValue": "95",
                         "ciNumSides": "TWO_SIDED", "ciLowerLimit": _n(t.lower, 2), "ciUpperLimit": _n(t.upper, 2)}
                        for g, t in results.vfd_comparisons]
        measures.append({
            **_outcome_text(protocol, "vfd_28", "Ventilator-free days to Day 28", "Day 0 to Day 28", "SECONDARY"),
            "populationDescription": "Randomised participants whose ventilation and vital status to Day 28 are known.",
            "reportingStatus": "POSTED", "paramType": "MEDIAN", "dispersionType": "Inter-Quartile Range",
            "unitOfMeasure": "days", "groups": groups,
            "denoms": [{"units": "Participants", "counts": [{"groupId": ids[g], "value": str(vfd[g].n)}
                                                            for g in phase2]}],
            "classes": [{"categories": [{"measurements": [
                {"groupId": ids[g], "value": _n(vfd[g].median), "lowerLimit": _n(vfd[g].q1),
                 "upperLimit": _n(vfd[g].q3)} for g in phase2]}]}],
            **({"analyses": vfd_analyses} if vfd_analyses else {})})
    groups, ids = _groups("OG", results, everyone)
    known = {g: [p for p in dataset.members(g) if survival_time(p)[0] is not None] for g in everyone}
    deaths = {g: sum(1 for p in known[g] if survival_time(p)[1]) for g in everyone}
    mortality: dict[str, Any] = {
        **_outcome_text(protocol, "mortality_d28", "28-day all-cause mortality", f"Day {MORTALITY_DAY}",
                        "SECONDARY"),
        "populationDescription": "Participants whose vital status is known (Kaplan-Meier in the report).",
        "reportingStatus": "POSTED", "paramType": "COUNT_OF_PARTICIPANTS", "unitOfMeasure": "Participants",
        "groups": groups,
        "denoms": [{"units": "Participants", "counts": [{"groupId": ids[g], "value": str(len(known[g]))}
                                                        for g in everyone]}],
        "classes": [{"categories": [{"measurements": [{"groupId": ids[g], "value": str(deaths[g])}
                                                      for g in everyone]}]}]}
    if results.log_rank is not None:
        mortality["analyses"] = [{"groupIds": [ids[g] for g in results.log_rank.groups],
                                  "nonInferiorityType": "SUPERIORITY", "pValue": _p(results.log_rank.p_value),
                                  "statisticalMethod": "Log Rank"}]
    measures.append(mortality)
    at_risk = {g: safety_population(dataset.members(g)) for g in everyone}
    measures.append({
        **_outcome_text(protocol, "ae_sae_d28", "Incidence of adverse events and serious adverse events",
                        "Day 1 to Day 28", "SECONDARY"),
        "populationDescription": "Participants who received at least one dose.", "reportingStatus": "POSTED",
        "paramType": "COUNT_OF_PARTICIPANTS", "unitOfMeasure": "Participants", "groups": groups,
        "denoms": [{"units": "Participants", "counts": [{"groupId": ids[g], "value": str(len(at_risk[g]))}
                                                        for g in everyone]}],
        "classes": [{"categories": [
            {"title": "Any adverse event", "measurements": [
                {"groupId": ids[g], "value": str(len(_affected(dataset, g, at_risk[g], lambda e: True)))}
                for g in everyone]},
            {"title": "Serious adverse event", "measurements": [
                {"groupId": ids[g], "value": str(len(_affected(dataset, g, at_risk[g], lambda e: e.serious)))}
                for g in everyone]}]}]})
    return {"outcomeMeasures": measures}


def _affected(dataset: Any, group_id: str, at_risk: list[AnalysisParticipant], keep: Any) -> set[object]:
    people = {p.participant_id for p in at_risk}
    return {e.participant_id for e in dataset.adverse_events
            if e.group_id == group_id and e.participant_id in people and keep(e)}


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def adverse_events_module(results: Results, protocol: Protocol) -> dict[str, Any]:
    dataset = results.dataset
    group_ids = [g.group_id for g in dataset.groups]
    groups, ids = _groups("EG", results, group_ids)
    at_risk = {g: safety_population(dataset.members(g)) for g in group_ids}
    event_groups = []
    for group, g in zip(groups, group_ids, strict=True):
        members = dataset.members(g)
        event_groups.append({
            **group, "deathsNumAffected": sum(1 for p in members if p.state == "died"),
            "deathsNumAtRisk": len(members),
            "seriousNumAffected": len(_affected(dataset, g, at_risk[g], lambda e: e.serious)),
            "seriousNumAtRisk": len(at_risk[g]),
            "otherNumAffected": len(_affected(dataset, g, at_risk[g], lambda e: not e.serious)),
            "otherNumAtRisk": len(at_risk[g])})

    def events(serious: bool) -> list[dict[str, Any]]:
        rows = []
        keys = sorted({(e.system_organ_class, e.term) for e in dataset.adverse_events if e.serious == serious
                       and e.group_id in ids})
        for soc, term in keys:
            stats = []
            for g in group_ids:
                people = {p.participant_id for p in at_risk[g]}
                hits = [e for e in dataset.adverse_events if e.group_id == g and e.participant_id in people
                        and e.term == term and e.serious == serious]
                stats.append({"groupId": ids[g], "numEvents": len(hits),
                              "numAffected": len({e.participant_id for e in hits}), "numAtRisk": len(at_risk[g])})
            rows.append({"term": term, "organSystem": soc, "sourceVocabulary": SOURCE_VOCABULARY,
                         "assessmentType": "SYSTEMATIC_ASSESSMENT", "stats": stats})
        return rows

    time_frame = next((o.time_frame for o in protocol.outcomes if o.id == "ae_sae_d28"), "Day 1 to Day 28")
    return {"frequencyThreshold": "0", "timeFrame": time_frame,
            "description": "CTCAE v5.0 grading; participants at risk = participants who received at least one "
                           "dose; all-cause mortality over all assigned participants. Every non-serious event is "
                           "reported (threshold 0%).",
            "eventGroups": event_groups, "seriousEvents": events(True), "otherEvents": events(False)}


def registry_results_section(results: Results, protocol: Protocol, flow: ConsortFlow | None = None) -> dict[str, Any]:
    """The ``resultsSection`` of the trial (checked: ValidationErrors if the schema or a rule fails)."""
    flow = flow or consort_flow(results.dataset)
    section = {
        "participantFlowModule": participant_flow_module(results, flow),
        "baselineCharacteristicsModule": baseline_module(results, flow),
        "outcomeMeasuresModule": outcome_measures_module(results, protocol),
        "adverseEventsModule": adverse_events_module(results, protocol),
    }
    ensure_valid_results_section(section)
    return section


@cache
def results_section_schema() -> dict[str, Any]:
    text = resources.files("mexards.reporting").joinpath("schema", "results_section.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def results_section_errors(section: Any) -> list[ValidationError]:
    """Schema and consistency problems of a results section, each naming the JSON path and the rule."""
    validator = jsonschema.Draft202012Validator(results_section_schema())
    errors = [ValidationError("/".join(str(p) for p in e.absolute_path) or "resultsSection",
                              e.message[:300], None)
              for e in sorted(validator.iter_errors(section), key=lambda e: list(map(str, e.absolute_path)))]
    if errors:
        return errors
    return _consistency(section)


def ensure_valid_results_section(section: Any) -> None:
    errors = results_section_errors(section)
    if errors:
        raise ValidationErrors(errors)


def _consistency(section: dict[str, Any]) -> list[ValidationError]:
    out: list[ValidationError] = []
    flow = section["participantFlowModule"]
    flow_ids = [g["id"] for g in flow["groups"]]
    started_total = 0
    for p, period in enumerate(flow["periods"]):
        where = f"participantFlowModule/periods/{p}"
        counts: dict[str, dict[str, int]] = {}
        for milestone in period["milestones"]:
            for a in milestone["achievements"]:
                if a["groupId"] not in flow_ids:
                    out.append(ValidationError(f"{where}/milestones", "uses an undeclared group id", a["groupId"]))
                counts.setdefault(milestone["type"], {})[a["groupId"]] = int(a["numSubjects"])
        dropped: dict[str, int] = {}
        for drop in period.get("dropWithdraws", []):
            for r in drop["reasons"]:
                dropped[r["groupId"]] = dropped.get(r["groupId"], 0) + int(r["numSubjects"])
        for g in flow_ids:
            started = counts.get("STARTED", {}).get(g, 0)
            completed = counts.get("COMPLETED", {}).get(g, 0)
            not_completed = counts.get("NOT COMPLETED", {}).get(g, 0)
            if started != completed + not_completed:
                out.append(ValidationError(where, "STARTED must equal COMPLETED + NOT COMPLETED", g))
            if "dropWithdraws" in period and not_completed != dropped.get(g, 0):
                out.append(ValidationError(f"{where}/dropWithdraws", "reasons must add up to NOT COMPLETED", g))
            for name, by_group in counts.items():
                if by_group.get(g, 0) > started:
                    out.append(ValidationError(f"{where}/milestones", f"{name} must not exceed STARTED", g))
            if p == 0:
                started_total += started
    baseline = section["baselineCharacteristicsModule"]
    base_ids = [g["id"] for g in baseline["groups"]]
    overall = {c["groupId"]: int(c["value"]) for d in baseline["denoms"] for c in d["counts"]}
    if "Total" in [g["title"] for g in baseline["groups"]]:
        total_id = baseline["groups"][-1]["id"]
        if overall.get(total_id) != started_total:
            out.append(ValidationError("baselineCharacteristicsModule/denoms",
                                       "the total must equal the participants who STARTED", overall.get(total_id)))
    for m, measure in enumerate(baseline["measures"]):
        out += _measure_rules(f"baselineCharacteristicsModule/measures/{m}", measure, base_ids, overall, True)
    for m, measure in enumerate(section["outcomeMeasuresModule"]["outcomeMeasures"]):
        ids = [g["id"] for g in measure["groups"]]
        out += _measure_rules(f"outcomeMeasuresModule/outcomeMeasures/{m}", measure, ids, {}, False)
        for a, analysis in enumerate(measure.get("analyses", [])):
            if not set(analysis["groupIds"]) <= set(ids):
                out.append(ValidationError(f"outcomeMeasuresModule/outcomeMeasures/{m}/analyses/{a}",
                                           "uses an undeclared group id", analysis["groupIds"]))
    ae = section["adverseEventsModule"]
    groups = {g["id"]: g for g in ae["eventGroups"]}
    for g in ae["eventGroups"]:
        for kind in ("deaths", "serious", "other"):
            if g[f"{kind}NumAffected"] > g[f"{kind}NumAtRisk"]:
                out.append(ValidationError(f"adverseEventsModule/eventGroups/{g['id']}",
                                           f"{kind}NumAffected must not exceed {kind}NumAtRisk",
                                           g[f"{kind}NumAffected"]))
    for kind in ("seriousEvents", "otherEvents"):
        prefix = "serious" if kind == "seriousEvents" else "other"
        for e, event in enumerate(ae[kind]):
            for s in event["stats"]:
                where = f"adverseEventsModule/{kind}/{e}"
                group = groups.get(s["groupId"])
                if group is None:
                    out.append(ValidationError(where, "uses an undeclared group id", s["groupId"]))
                    continue
                if s["numAffected"] > s["numAtRisk"]:
                    out.append(ValidationError(where, "numAffected must not exceed numAtRisk", s["numAffected"]))
                if "numEvents" in s and s["numAffected"] > s["numEvents"]:
                    out.append(ValidationError(where, "numAffected must not exceed numEvents", s["numAffected"]))
                if s["numAtRisk"] != group[f"{prefix}NumAtRisk"]:
                    out.append(ValidationError(where, f"numAtRisk must equal the group's {prefix}NumAtRisk",
                                               s["numAtRisk"]))
                if s["numAffected"] > group[f"{prefix}NumAffected"]:
                    out.append(ValidationError(where, f"numAffected must not exceed the group's {prefix}NumAffected",
                                               s["numAffected"]))
    return out


def _measure_rules(
    where: str, measure: dict[str, Any], ids: list[str], overall: dict[str, int], exclusive: bool
) -> list[ValidationError]:
    """Group ids declared; counts within denominators; exclusive categories (baseline) within them in sum."""
    out: list[ValidationError] = []
    denoms = {c["groupId"]: int(c["value"]) for d in measure.get("denoms", []) for c in d["counts"]}
    for g, n in denoms.items():
        if g not in ids:
            out.append(ValidationError(f"{where}/denoms", "uses an undeclared group id", g))
        if g in overall and n > overall[g]:
            out.append(ValidationError(f"{where}/denoms", "must not exceed the module's denominator", g))
    for c, klass in enumerate(measure["classes"]):
        totals: dict[str, int] = {}
        for category in klass["categories"]:
            for item in category["measurements"]:
                if item["groupId"] not in ids:
                    out.append(ValidationError(f"{where}/classes/{c}", "uses an undeclared group id", item["groupId"]))
                if measure["paramType"] == "COUNT_OF_PARTICIPANTS" and item["value"] != "NA":
                    count = int(float(item["value"]))
                    totals[item["groupId"]] = totals.get(item["groupId"], 0) + count
                    if item["groupId"] in denoms and count > denoms[item["groupId"]]:
                        out.append(ValidationError(f"{where}/classes/{c}", "a count must not exceed its denominator",
                                                   item["groupId"]))
        if exclusive:
            for g, total in totals.items():
                if g in denoms and total > denoms[g]:
                    out.append(ValidationError(f"{where}/classes/{c}", "categories must not add up to more than "
                                               "the denominator", g))
    return out
