"""The public study page: sections, escaping, results slot, related trials, no external resources."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

from mexards.protocol.model import Protocol
from mexards.reporting.page import ResultsTable, StudyResults, posted_results, render_study_page
from mexards.reporting.registry_results import registry_results_section
from mexards.reporting.result_table import analyse
from mexards.services.results import analysis_dataset
from tests.unit.reporting.conftest import clinical_trial
from tests.unit.services.conftest import UNBLINDED_STATISTICIAN


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("h2", "h3"):
            self._in_heading = True
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "h3"):
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings[-1] += data


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_every_protocol_renders_a_page_with_its_identity_and_criteria(
    protocol: Protocol, all_protocols: list[Protocol]
) -> None:
    html = render_study_page(protocol, all_protocols)
    assert html.startswith("<!DOCTYPE html>")
    assert protocol.registry_id in html
    for criterion in protocol.eligibility.all():
        assert criterion.text.split()[0] in html


def test_the_page_loads_nothing_from_elsewhere(mexards: Protocol, all_protocols: list[Protocol]) -> None:
    page = _parse(render_study_page(mexards, all_protocols))
    assert not [t for t, attrs in page.tags if t in ("script", "link", "img", "iframe")]
    assert not [attrs for _, attrs in page.tags if any(k in ("src", "href") for k in attrs)]
    assert ("style", {}) in page.tags


def test_protocol_text_is_escaped(mexards: Protocol) -> None:
    hostile = "<script>alert('x')</script> & <b>bold</b>"
    ident = dataclasses.replace(mexards.identification, brief_title=hostile, summary=hostile)
    criterion = dataclasses.replace(mexards.eligibility.inclusion[0], text=hostile)
    eligibility = dataclasses.replace(
        mexards.eligibility, inclusion=(criterion, *mexards.eligibility.inclusion[1:])
    )
    html = render_study_page(dataclasses.replace(mexards, identification=ident, eligibility=eligibility))
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_results_are_not_yet_posted_until_a_results_object_is_given(mexards: Protocol) -> None:
    assert "Results not yet posted" in render_study_page(mexards)
    results = StudyResults(
        "2025-01-31",
        "Primary outcome <met>",
        (ResultsTable("Participant flow", ("Group", "Started"), (("Phase 1: low dose", "3"),)),),
    )
    html = render_study_page(mexards, results=results)
    assert "Results not yet posted" not in html
    assert "Results first posted: 2025-01-31" in html and "Primary outcome &lt;met&gt;" in html
    assert "<td>Phase 1: low dose</td><td>3</td>" in html


def test_related_trials_are_listed_with_score_and_reasons(
    mexards: Protocol, all_protocols: list[Protocol]
) -> None:
    html = render_study_page(mexards, all_protocols)
    related = html[
        html.index("<h2>Related Clinical Trials</h2>") : html.index("<h2>Detailed Description</h2>")
    ]
    assert related.index("NCT01902082") < related.index("NCT04313647")
    assert "Similarity score 6.5" in related
    assert "Same condition: Acute Respiratory Distress Syndrome (+3)" in related
    assert "Same route of administration: RESPIRATORY (INHALATION) (+2)" in related
    assert mexards.registry_id not in related


def test_without_candidates_the_related_sections_say_so(mexards: Protocol) -> None:
    html = render_study_page(mexards)
    assert "No related trials among the protocols loaded." in html
    assert "No further related trials among the protocols loaded." in html


def test_basic_information_shows_status_phase_enrollment_and_dates(mexards: Protocol) -> None:
    html = render_study_page(mexards)
    basic = html[html.index("<h2>Basic Information</h2>") : html.index("<h2>Brief Summary</h2>")]
    for text in (
        "COMPLETED",
        "PHASE1/PHASE2",
        "18 participants",
        "INTERVENTIONAL",
        "2020-11-30",
        "2023-01-11",
    ):
        assert text in basic
    design = html[html.index("<h2>Study Design</h2>") : html.index("<h2>Study Groups</h2>")]
    assert re.search(r"Allocation</th><td>Randomized", design) and "Double" in design


def test_study_groups_list_each_arm_with_its_interventions(mexards: Protocol) -> None:
    html = render_study_page(mexards)
    arm_headings = [" ".join(h.split()) for h in _parse(html).headings if h.startswith("Phase ")]
    assert arm_headings == [f"{a.label} {a.kind.replace('_', ' ').title()}" for a in mexards.arms]
    groups = html[html.index("<h2>Study Groups</h2>") : html.index("<h2>Interventions</h2>")]
    for intervention in mexards.interventions:
        assert f"<strong>{intervention.name}</strong>" in groups


def test_released_results_fill_the_page_from_the_registry_results_section(mexards: Protocol) -> None:
    sim = clinical_trial(seed=37)
    results = posted_results(sim.uow, mexards)
    assert results is not None
    section = registry_results_section(
        analyse(analysis_dataset(sim.uow, UNBLINDED_STATISTICIAN, mexards, by_arm=True)), mexards)
    titles = [t.title for t in results.tables]
    assert titles[:2] == ["Participant flow: Overall Study", "Baseline characteristics"]
    assert [m["title"] for m in section["outcomeMeasuresModule"]["outcomeMeasures"]] == titles[2:2 + len(
        section["outcomeMeasuresModule"]["outcomeMeasures"])]
    flow = results.tables[0]
    started = next(row for row in flow.rows if row[0] == "STARTED")
    achievements = section["participantFlowModule"]["periods"][0]["milestones"][0]["achievements"]
    assert list(started[1:]) == [a["numSubjects"] for a in achievements]
    assert flow.columns[1:] == tuple(g["title"] for g in section["participantFlowModule"]["groups"])
    html = render_study_page(mexards, (), results)
    assert "Results not yet posted" not in html and "Phase 2: control group</th>" in html


def test_results_are_not_released_before_the_lock(mexards: Protocol) -> None:
    assert posted_results(clinical_trial(lock=False, seed=41).uow, mexards) is None
