"""The trial report: one self-contained HTML file (inline CSS, figures as inline SVG, nothing loaded from
elsewhere), the same tables and figures as a PDF (matplotlib ``PdfPages``), the CONSORT diagram as SVG and PNG,
and the registry results section as JSON.

Entry points take a unit of work and an actor, so the blinding policy of the analysis dataset applies
(:func:`mexards.services.results.analysis_dataset`): pooled Phase 2 unless the database is locked and the actor
is unblinded and asks for results by arm. The HTML is rendered by Jinja2 with autoescaping on, so no protocol
or CRF text can inject markup.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from mexards import __version__
from mexards.domain.role import Actor
from mexards.protocol.model import Protocol
from mexards.reporting.consort import ConsortFlow, consort_figure, consort_flow, consort_png, consort_svg
from mexards.reporting.figure import all_figures, strip_ids, svg_text
from mexards.reporting.registry_results import registry_results_section
from mexards.reporting.result_table import Results, Table, analyse
from mexards.services.port import UnitOfWork
from mexards.services.results import AnalysisDataset, analysis_dataset

CAPTIONS = {
    "escalation_path": "Dose-escalation path: Phase 1 cohorts by dose level, DLTs / evaluable",
    "dlt_by_dose": "DLT rate by dose level with exact 95% intervals and the isotonic estimate",
    "pf_trajectories": "PaO2/FiO2 over time by group (mean, 95% CI)",
    "kaplan_meier": "Kaplan-Meier survival to Day 28 by group",
    "ae_heatmap": "Adverse events by system organ class and group (% of participants at risk)",
}
ROWS_PER_PDF_PAGE = 28


@dataclass(frozen=True)
class TrialReport:
    """Everything built for one report: the analyses, the flow, the figures and the registry section."""

    protocol: Protocol
    results: Results
    flow: ConsortFlow
    figures: dict[str, Figure]
    registry_section: dict[str, Any]


def build_report(protocol: Protocol, dataset: AnalysisDataset) -> TrialReport:
    """Analyse the dataset and build the flow, figures and registry section (each checked)."""
    results = analyse(dataset)
    flow = consort_flow(dataset)
    return TrialReport(protocol, results, flow, all_figures(results),
                       registry_results_section(results, protocol, flow))


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("mexards.reporting", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _title(protocol: Protocol) -> str:
    ident = protocol.identification
    name = ident.acronym or ident.brief_title
    return f"{name} ({ident.registry_id}): trial results"


def render_html(report: TrialReport) -> str:
    """The self-contained HTML report."""
    dataset = report.results.dataset
    figures = [{"key": key, "caption": CAPTIONS.get(key, key), "svg": strip_ids(svg_text(figure), key)}
               for key, figure in report.figures.items()]
    methods = "; ".join(dict.fromkeys(
        [*(t.notes[0] for t in report.results.tables if t.notes)]))
    return _environment().get_template("report.html.j2").render(
        title=_title(report.protocol), protocol_id=dataset.protocol_id,
        extracted_at=dataset.extracted_at.strftime("%Y-%m-%d %H:%M UTC"), locked=dataset.locked,
        trial_status=dataset.trial_status.replace("_", " "), by_arm=dataset.by_arm,
        pooled_reason=dataset.pooled_reason, consort_svg=strip_ids(consort_svg(report.flow), "consort"),
        figures=figures, tables=report.results.tables, methods=methods, version=__version__,
    )


def _table_pages(table: Table) -> list[Figure]:
    pages = []
    rows = list(table.rows) or [tuple("" for _ in table.columns)]
    for start in range(0, len(rows), ROWS_PER_PDF_PAGE):
        chunk = rows[start:start + ROWS_PER_PDF_PAGE]
        figure = Figure(figsize=(11.69, 8.27))
        axes = figure.add_axes((0.03, 0.05, 0.94, 0.85))
        axes.axis("off")
        suffix = f" (continued, rows {start + 1}-{start + len(chunk)})" if start else ""
        figure.suptitle(table.title + suffix, fontsize=12, x=0.03, ha="left")
        width = max(12, 150 // max(len(table.columns), 1))
        cells = [["\n".join(textwrap.wrap(str(c), width)) or "" for c in row] for row in chunk]
        heads = ["\n".join(textwrap.wrap(c, width)) for c in table.columns]
        drawn = axes.table(cellText=cells, colLabels=heads, loc="upper left", cellLoc="left")
        drawn.auto_set_font_size(False)
        drawn.set_fontsize(6.5)
        lines = max((cell.count("\n") + 1 for row in cells for cell in row), default=1)
        drawn.scale(1, 1.0 + 0.45 * lines)
        if table.notes and start + ROWS_PER_PDF_PAGE >= len(rows):
            figure.text(0.03, 0.02, "\n".join(textwrap.wrap(" ".join(table.notes), 190)), fontsize=6.5)
        pages.append(figure)
    return pages


def write_pdf(report: TrialReport, path: Path) -> Path:
    """The PDF: a title page, the CONSORT diagram, the figures, then every table."""
    dataset = report.results.dataset
    with PdfPages(path, metadata={"Title": _title(report.protocol), "Creator": f"mexards {__version__}"}) as pdf:
        cover = Figure(figsize=(11.69, 8.27))
        cover.text(0.05, 0.8, _title(report.protocol), fontsize=18, weight="bold")
        lines = [f"Data extracted {dataset.extracted_at:%Y-%m-%d %H:%M} UTC; database "
                 f"{'locked' if dataset.locked else 'not locked'}",
                 "Results by treatment group" if dataset.by_arm else dataset.pooled_reason]
        cover.text(0.05, 0.7, "\n".join(lines), fontsize=11, va="top")
        pdf.savefig(cover)
        pdf.savefig(consort_figure(report.flow))
        for figure in report.figures.values():
            pdf.savefig(figure)
        for table in report.results.tables:
            for page in _table_pages(table):
                pdf.savefig(page)
    return path


def write_report(
    uow: UnitOfWork, actor: Actor, protocol: Protocol, out: Path, *, by_arm: bool = False
) -> list[Path]:
    """Write report.html, report.pdf, consort.svg, consort.png and registry_results.json into ``out``."""
    dataset = analysis_dataset(uow, actor, protocol, by_arm=by_arm)
    return write_report_files(build_report(protocol, dataset), out)


def write_report_files(report: TrialReport, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    html = out / "report.html"
    html.write_text(render_html(report), encoding="utf-8")
    svg = out / "consort.svg"
    svg.write_text(consort_svg(report.flow), encoding="utf-8")
    png = out / "consort.png"
    png.write_bytes(consort_png(report.flow))
    registry = out / "registry_results.json"
    registry.write_text(json.dumps({"resultsSection": report.registry_section}, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    pdf = write_pdf(report, out / "report.pdf")
    return [html, pdf, svg, png, registry]
