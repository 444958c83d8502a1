"""The public study page: one self-contained static HTML file showing the trial as its registry record does.

The page is rendered with Jinja2 (autoescape on, so protocol text can never inject markup) from the registry
protocol section (:mod:`mexards.reporting.registry`), so the page and the registry export cannot disagree. It
has the sections of the public registry page (seed record NCT04602104): Study Results, Basic Information,
Brief Summary, Related Clinical Trials, Detailed Description, Conditions, Study Design, Study Groups,
Interventions, Eligibility Criteria (with Inclusion Criteria and Exclusion Criteria), Sponsors, Responsible
Party, Locations, Countries, Other Identifiers and More Related Trials. CSS is inline; the page loads nothing
from elsewhere.

Study Results says results are not yet posted until a :class:`StudyResults` object is given.
:func:`posted_results` gives it once results are released (the trial's database is locked,
:func:`mexards.services.results.released_results`): the registry results section by arm
(:mod:`mexards.reporting.registry_results`) turned into tables by :func:`study_results`: participant flow,
baseline characteristics, each outcome measure with its statistical analyses, and adverse events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from mexards.protocol.model import Protocol
from mexards.reporting.registry import ensure_valid_registry, registry_protocol_section
from mexards.reporting.registry_results import registry_results_section
from mexards.reporting.result_table import analyse
from mexards.reporting.similarity import RelatedTrial, related_trials
from mexards.services.port import UnitOfWork
from mexards.services.results import released_results

RELATED_SHOWN = 3
"""How many trials "Related Clinical Trials" lists; the rest go to "More Related Trials"."""


@dataclass(frozen=True)
class ResultsTable:
    """A table of posted results (e.g. participant flow, baseline, an outcome measure, adverse events)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyResults:
    """Posted results: the date first posted, a summary and the tables."""

    first_posted: str
    summary: str = ""
    tables: tuple[ResultsTable, ...] = ()


def _titles(groups: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {str(g["id"]): str(g["title"]) for g in groups}


def _cell(measurement: Mapping[str, Any], measure: Mapping[str, Any]) -> str:
    value = str(measurement.get("value", ""))
    if "spread" in measurement:
        return f"{value} ({measurement['spread']})"
    if "lowerLimit" in measurement:
        return f"{value} [{measurement['lowerLimit']}, {measurement['upperLimit']}]"
    return value


def _measure_rows(measure: Mapping[str, Any], ids: list[str]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for denom in measure.get("denoms", []):
        counts = {c["groupId"]: str(c["value"]) for c in denom["counts"]}
        rows.append((f"Overall number analysed ({denom['units']})", *(counts.get(g, "") for g in ids)))
    for klass in measure.get("classes", []):
        for category in klass.get("categories", []):
            cells = {m["groupId"]: _cell(m, measure) for m in category.get("measurements", [])}
            label = category.get("title") or measure.get("paramType", "").replace("_", " ").capitalize()
            rows.append((str(label), *(cells.get(g, "") for g in ids)))
    return rows


def _described(measure: Mapping[str, Any]) -> str:
    parts = [str(measure.get("paramType", "")).replace("_", " ").lower()]
    if measure.get("dispersionType"):
        parts.append(str(measure["dispersionType"]).lower())
    unit = measure.get("unitOfMeasure")
    return f"{' ('.join(parts)}{')' if len(parts) > 1 else ''}{f', {unit}' if unit else ''}"


def _analysis(analysis: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    groups = " vs ".join(titles.get(g, g) for g in analysis.get("groupIds", []))
    text = f"{groups}: {analysis.get('statisticalMethod', '')}"
    if "paramValue" in analysis:
        text += f", {analysis.get('paramType', 'estimate')} {analysis['paramValue']}"
        if "ciLowerLimit" in analysis:
            text += (f" ({analysis.get('ciPctValue', '95')}% CI {analysis['ciLowerLimit']} to "
                     f"{analysis['ciUpperLimit']})")
    if "pValue" in analysis:
        text += f", p = {analysis['pValue']}"
    return text


def study_results(section: Mapping[str, Any], first_posted: str) -> StudyResults:
    """The tables of a registry ``resultsSection`` (ClinicalTrials.gov API v2 shape) for the study page."""
    tables: list[ResultsTable] = []
    flow = section["participantFlowModule"]
    titles = _titles(flow["groups"])
    ids = list(titles)
    for period in flow["periods"]:
        rows = [(str(m["type"]), *({a["groupId"]: str(a["numSubjects"]) for a in m["achievements"]}.get(g, "")
                                   for g in ids)) for m in period["milestones"]]
        rows += [(f"Not completed: {d['type']}",
                  *({r["groupId"]: str(r["numSubjects"]) for r in d["reasons"]}.get(g, "") for g in ids))
                 for d in period.get("dropWithdraws", [])]
        tables.append(ResultsTable(f"Participant flow: {period['title']}", ("Milestone", *titles.values()),
                                   tuple(rows), (flow.get("recruitmentDetails", ""),
                                                 flow.get("preAssignmentDetails", ""))))
    baseline = section["baselineCharacteristicsModule"]
    titles = _titles(baseline["groups"])
    ids = list(titles)
    rows = []
    for measure in baseline["measures"]:
        for row in _measure_rows({k: v for k, v in measure.items() if k != "denoms"}, ids):
            label = measure["title"] if row[0] in ("Mean", "Median") else f"{measure['title']}: {row[0]}"
            rows.append((f"{label} [{_described(measure)}]", *row[1:]))
    denoms = _measure_rows({"denoms": baseline["denoms"]}, ids)
    tables.append(ResultsTable("Baseline characteristics", ("Characteristic", *titles.values()),
                               tuple(denoms + rows), (baseline.get("populationDescription", ""),)))
    for measure in section["outcomeMeasuresModule"]["outcomeMeasures"]:
        titles = _titles(measure["groups"])
        ids = list(titles)
        notes = [f"{measure['type'].replace('_', ' ').title()} outcome; time frame: {measure['timeFrame']}; "
                 f"{_described(measure)}.", measure.get("populationDescription", "")]
        notes += [f"Statistical analysis: {_analysis(a, titles)}" for a in measure.get("analyses", [])]
        tables.append(ResultsTable(measure["title"], ("", *titles.values()), tuple(_measure_rows(measure, ids)),
                                   tuple(n for n in notes if n)))
    events = section["adverseEventsModule"]
    titles = _titles(events["eventGroups"])
    ids = list(titles)
    by_id = {g["id"]: g for g in events["eventGroups"]}
    rows = [(label, *(f"{by_id[g][f'{kind}NumAffected']}/{by_id[g][f'{kind}NumAtRisk']}" for g in ids))
            for kind, label in (("deaths", "All-cause mortality"), ("serious", "Serious adverse events"),
                                ("other", "Other (not including serious) adverse events"))]
    tables.append(ResultsTable("Adverse events: participants affected / at risk", ("", *titles.values()),
                               tuple(rows), (f"Time frame: {events.get('timeFrame', '')}.",
                                             events.get("description", ""))))
    for key, title in (("seriousEvents", "Serious adverse events"), ("otherEvents", "Other adverse events")):
        rows = []
        for event in events.get(key, []):
            stats = {s["groupId"]: f"{s['numAffected']}/{s['numAtRisk']} ({s.get('numEvents', 0)} events)"
                     for s in event["stats"]}
            rows.append((f"{event['term']} ({event['organSystem']})", *(stats.get(g, "") for g in ids)))
        if rows:
            tables.append(ResultsTable(f"{title} by term: participants affected / at risk",
                                       ("Term (system organ class)", *titles.values()), tuple(rows)))
    summary = (f"Results for {len(flow['groups'])} groups: participant flow, baseline characteristics, "
               f"{len(section['outcomeMeasuresModule']['outcomeMeasures'])} outcome measures and adverse events.")
    return StudyResults(first_posted, summary, tuple(tables))


def posted_results(uow: UnitOfWork, protocol: Protocol) -> StudyResults | None:
    """The released results of ``protocol``'s trial in this database, or None while not released."""
    dataset = released_results(uow, protocol)
    if dataset is None:
        return None
    section = registry_results_section(analyse(dataset), protocol)
    return study_results(section, dataset.extracted_at.date().isoformat())


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("mexards.reporting", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def _words(code: str) -> str:
    return code.replace("_", " ").title() if code else ""


def page_context(
    protocol: Protocol, related: list[RelatedTrial], results: StudyResults | None
) -> dict[str, Any]:
    """The values the template shows: the protocol section plus lists the template iterates over."""
    section = registry_protocol_section(protocol)
    ensure_valid_registry(section)
    ident = protocol.identification
    countries = list(dict.fromkeys(site.country for site in ident.sites if site.country))
    groups = []
    for arm in protocol.arms:
        groups.append({"label": arm.label, "type": _words(arm.kind), "description": arm.description,
                       "interventions": [protocol.intervention(i) for i in arm.interventions]})
    return {
        "protocol": protocol,
        "ident": ident,
        "section": section,
        "phase_words": ident.phase,
        "design_rows": [(label, _words(value)) for label, value in (
            ("Allocation", ident.design.allocation), ("Intervention model", ident.design.model),
            ("Primary purpose", ident.design.purpose), ("Masking", ident.design.masking)) if value],
        "groups": groups,
        "sites": ident.sites,
        "countries": countries,
        "std_ages": [_words(a) for a in section["eligibilityModule"]["stdAges"]],
        "related": related[:RELATED_SHOWN],
        "more_related": related[RELATED_SHOWN:],
        "results": results,
    }


def render_study_page(
    protocol: Protocol,
    candidates: Iterable[Protocol] = (),
    results: StudyResults | None = None,
) -> str:
    """The HTML page of ``protocol``; related trials are ranked among ``candidates`` (itself excluded)."""
    related = related_trials(protocol, candidates)
    template = _environment().get_template("study_page.html.j2")
    return template.render(**page_context(protocol, related, results))
