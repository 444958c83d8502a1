"""The public study page: one self-contained static HTML file showing the trial as its registry record does.

The page is rendered with Jinja2 (autoescape on, so protocol text can never inject markup) from the registry
protocol section (:mod:`mexards.reporting.registry`), so the page and the registry export cannot disagree. It
has the sections of the public registry page (seed record NCT04602104): Study Results, Basic Information,
Brief Summary, Related Clinical Trials, Detailed Description, Conditions, Study Design, Study Groups,
Interventions, Eligibility Criteria (with Inclusion Criteria and Exclusion Criteria), Sponsors, Responsible
Party, Locations, Countries, Other Identifiers and More Related Trials. CSS is inline; the page loads nothing
from elsewhere.

Study Results says results are not yet posted until a :class:`StudyResults` object is given (the registry
results section built from the trial's data later).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from mexards.protocol.model import Protocol
from mexards.reporting.registry import ensure_valid_registry, registry_protocol_section
from mexards.reporting.similarity import RelatedTrial, related_trials

RELATED_SHOWN = 3
"""How many trials "Related Clinical Trials" lists; the rest go to "More Related Trials"."""


@dataclass(frozen=True)
class ResultsTable:
    """A table of posted results (e.g. participant flow, baseline, an outcome measure, adverse events)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class StudyResults:
    """Posted results: the date first posted, a summary and the tables."""

    first_posted: str
    summary: str = ""
    tables: tuple[ResultsTable, ...] = ()


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
