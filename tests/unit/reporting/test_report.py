"""The HTML and PDF report of a simulated trial: self-contained, every table and figure, escaped text, blinding."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from mexards.domain.errors import PermissionDeniedError
from mexards.reporting.report import CAPTIONS, build_report, render_html, write_report
from mexards.services import safety
from mexards.services.results import analysis_dataset
from tests.unit.services.conftest import INVESTIGATOR, PROTOCOL, STATISTICIAN, UNBLINDED_STATISTICIAN, TrialSteps
from tests.unit.services.fake import FakeClock, FakeStore, FakeUnitOfWork
from tests.unit.services.test_results import SimulatedTrial, simulate_trial

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?!#|data:)|<link|<script|@import|url\((?!#)""", re.IGNORECASE)


@pytest.fixture(scope="module")
def sim() -> SimulatedTrial:
    sim = simulate_trial(phase2_size=9, seed=41, lock=False)
    with sim.uow as u:
        pid = u.participants.list()[0].participant_id
    now = sim.uow.clock.now()
    safety.record_adverse_event(sim.uow, INVESTIGATOR, pid, term="<script>alert(1)</script>", ctcae_grade=1,
                                onset_at=now, investigator_aware_at=now, relatedness="unlikely",
                                expectedness="unexpected")
    return sim


def test_the_html_report_is_self_contained_and_has_every_table_and_figure(sim: SimulatedTrial) -> None:
    report = build_report(PROTOCOL, analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL))
    html = render_html(report)
    assert not EXTERNAL.search(html)
    assert html.count("<svg") == len(CAPTIONS) + 1  # the figures and the CONSORT diagram
    for table in report.results.tables:
        assert f'id="table-{table.key}"' in html
    for key in ("dlt", "escalation", "baseline", "pf_change", "sofa", "murray", "vfd", "mortality", "biomarkers",
                "ae_overview", "ae_grade", "ae_soc", "ae_term", "missing"):
        assert report.results.table(key).rows, key


def test_text_from_the_data_is_escaped(sim: SimulatedTrial) -> None:
    html = render_html(build_report(PROTOCOL, analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL)))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_before_lock_the_report_is_pooled_and_says_so(sim: SimulatedTrial, tmp_path: Path) -> None:
    paths = write_report(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "Phase 2 pooled (blinded)" in html and "database not locked" in html
    for arm in PROTOCOL.arms:
        if arm.phase == 2:
            assert arm.label not in html
    assert [p.name for p in paths] == ["report.html", "report.pdf", "consort.svg", "consort.png",
                                       "registry_results.json"]


def test_a_blinded_user_cannot_obtain_an_arm_level_report_and_nothing_is_written(sim: SimulatedTrial,
                                                                                 tmp_path: Path) -> None:
    for actor in (STATISTICIAN, UNBLINDED_STATISTICIAN):  # before lock nobody gets arm-level results
        with pytest.raises(PermissionDeniedError):
            write_report(sim.uow, actor, PROTOCOL, tmp_path / actor.role.value, by_arm=True)
        assert not (tmp_path / actor.role.value).exists()


def test_the_pdf_has_a_page_per_figure_and_table(sim: SimulatedTrial, tmp_path: Path) -> None:
    write_report(sim.uow, STATISTICIAN, PROTOCOL, tmp_path)
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    report = build_report(PROTOCOL, analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL))
    assert pages >= 2 + len(CAPTIONS) + len(report.results.tables)


def test_a_trial_with_one_enrolled_participant_and_no_data_still_gives_every_file(tmp_path: Path) -> None:
    clock = FakeClock()
    uow = FakeUnitOfWork(FakeStore(), clock)
    steps = TrialSteps(uow, clock)
    steps.start()
    steps.enrolled()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. an empty plot legend
        paths = write_report(uow, STATISTICIAN, PROTOCOL, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)
    html = (tmp_path / "report.html").read_text()
    assert "Not assigned (n=1)" in html and "Awaiting assignment (n=1)" in html
