"""The report's plots, drawn with matplotlib's object API on the Agg canvas (no pyplot state, no display).

- dose-escalation path: each Phase 1 cohort at its dose level, DLTs / evaluable marked;
- DLT rate per dose level with exact Clopper-Pearson 95 % intervals and the isotonic estimate;
- PaO2/FiO2 over time by group: mean with a t-based 95 % interval of the mean at each study day;
- Kaplan-Meier survival to Day 28 by group (step function, censoring marks);
- adverse-event heat map: % of participants at risk with at least one event, system organ class by group.

Each figure is returned as a :class:`matplotlib.figure.Figure`; :func:`svg_text` and :func:`png_bytes` turn it
into inline SVG (for the HTML report) or PNG; the PDF report saves the same figures.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from typing import Any

from matplotlib.figure import Figure
from scipy import stats

from mexards.reporting.result_table import MORTALITY_DAY, Results, safety_population
from mexards.services.results import AnalysisDataset

_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def _figure(width: float = 7.5, height: float = 4.0) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _short(title: str, width: int = 32) -> str:
    return "\n".join(textwrap.wrap(title, width))


def svg_text(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (text kept as text, no XML prolog)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text[text.index("<svg"):], flags=re.DOTALL)


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def escalation_path(dataset: AnalysisDataset) -> Figure:
    figure = _figure(7.5, 3.2)
    axes = figure.add_subplot()
    cohorts = dataset.cohorts
    if not cohorts:
        axes.text(0.5, 0.5, "No Phase 1 cohort", ha="center", va="center", transform=axes.transAxes)
        axes.axis("off")
        return figure
    xs = [c.cohort_number for c in cohorts]
    ys = [c.dose_level_index for c in cohorts]
    axes.plot(xs, ys, color="#999999", zorder=1)
    for c in cohorts:
        colour = "#d62728" if c.dlts else "#2ca02c"
        axes.scatter([c.cohort_number], [c.dose_level_index], s=120, color=colour, zorder=2)
        axes.annotate(f"{c.dlts}/{c.evaluable}", (c.cohort_number, c.dose_level_index), xytext=(0, 10),
                      textcoords="offset points", ha="center", fontsize=8)
    levels = sorted({g.dose_particles for g in dataset.groups_of_phase(1) if g.dose_particles})
    axes.set_yticks(range(1, len(levels) + 1), [f"L{i} ({d:.1e})" for i, d in enumerate(levels, start=1)])
    axes.set_ylim(0.5, max(len(levels), max(ys)) + 0.7)
    axes.set_xticks(xs)
    axes.set_xlabel("Cohort")
    axes.set_ylabel("Dose level (particles/day)")
    axes.set_title("Dose-escalation path (label: DLTs / evaluable; red: at least one DLT)", fontsize=10)
    return figure


def dlt_by_dose(results: Results) -> Figure:
    figure = _figure(7.5, 3.2)
    axes = figure.add_subplot()
    rows = [r for r in results.toxicity if r.interval is not None]
    if not rows:
        axes.text(0.5, 0.5, "No DLT-evaluable participant", ha="center", va="center", transform=axes.transAxes)
        axes.axis("off")
        return figure
    labels = [f"L{results.toxicity.index(r) + 1}" for r in rows]
    xs = list(range(len(rows)))
    estimates = [r.interval.estimate for r in rows if r.interval]
    lower = [r.interval.estimate - r.interval.lower for r in rows if r.interval]
    upper = [r.interval.upper - r.interval.estimate for r in rows if r.interval]
    axes.errorbar(xs, estimates, yerr=[lower, upper], fmt="o", capsize=4, label="observed (95% Clopper-Pearson)")
    axes.plot(xs, [r.isotonic or 0.0 for r in rows], "s--", label="isotonic estimate")
    axes.set_xticks(xs, [f"{lab}\n{r.dlts}/{r.evaluable}" for lab, r in zip(labels, rows, strict=True)])
    axes.set_ylim(-0.02, 1.02)
    axes.set_ylabel("DLT rate")
    axes.set_title("DLT rate by dose level", fontsize=10)
    axes.legend(fontsize=8, loc="upper left")
    return figure


def pf_trajectories(results: Results) -> Figure:
    figure = _figure(7.5, 4.0)
    axes = figure.add_subplot()
    dataset = results.dataset
    for index, group in enumerate(dataset.groups):
        by_day = results.trajectories["pf_ratio"].get(group.group_id, {})
        days = sorted(d for d, s in by_day.items() if s.mean is not None)
        if not days:
            continue
        means = [by_day[d].mean or 0.0 for d in days]
        half = []
        for d in days:
            s = by_day[d]
            half.append(float(stats.t.ppf(0.975, s.n - 1)) * s.sd / math.sqrt(s.n) if s.sd and s.n > 1 else 0.0)
        colour = _COLOURS[index % len(_COLOURS)]
        axes.errorbar(days, means, yerr=half, marker="o", capsize=3, color=colour, label=_short(group.title))
    axes.set_xlabel("Study day")
    axes.set_ylabel("PaO2/FiO2 (mmHg)")
    axes.set_title("PaO2/FiO2 over time: mean and 95% CI", fontsize=10)
    _legend_or_note(axes, "No PaO2/FiO2 recorded")
    return figure


def _legend_or_note(axes: Any, note: str) -> None:
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    else:
        axes.text(0.5, 0.5, note, ha="center", va="center", transform=axes.transAxes)


def survival_curves(results: Results) -> Figure:
    figure = _figure(7.5, 4.0)
    axes = figure.add_subplot()
    for index, row in enumerate(results.mortality):
        if row.curve is None:
            continue
        times = [0.0]
        survival = [1.0]
        censored_t, censored_s = [], []
        for step in row.curve.steps:
            times.append(step.time)
            survival.append(step.survival)
            if step.n_censored:
                censored_t.append(step.time)
                censored_s.append(step.survival)
        colour = _COLOURS[index % len(_COLOURS)]
        title = results.dataset.group(row.group_id).title
        axes.step(times, survival, where="post", color=colour, label=_short(f"{title} (n={row.n})"))
        axes.plot(censored_t, censored_s, "|", color=colour, markersize=8)
    axes.set_xlim(0, MORTALITY_DAY + 0.5)
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlabel("Study day")
    axes.set_ylabel("Survival probability")
    title = "Kaplan-Meier survival to Day 28"
    if results.log_rank is not None:
        title += f" (log-rank p = {results.log_rank.p_value:.3f})"
    axes.set_title(title, fontsize=10)
    _legend_or_note(axes, "No vital status recorded")
    return figure


def ae_heatmap(dataset: AnalysisDataset) -> Figure:
    groups = dataset.groups
    at_risk = {g.group_id: {p.participant_id for p in safety_population(dataset.members(g.group_id))}
               for g in groups}
    events = [e for e in dataset.adverse_events if e.group_id in at_risk and e.participant_id in at_risk[e.group_id]]
    socs = sorted({e.system_organ_class for e in events})
    figure = _figure(7.5, max(2.5, 0.45 * len(socs) + 2.0))
    axes = figure.add_subplot()
    if not socs:
        axes.text(0.5, 0.5, "No adverse event recorded", ha="center", va="center", transform=axes.transAxes)
        axes.axis("off")
        return figure
    matrix = []
    for soc in socs:
        row = []
        for g in groups:
            affected = {e.participant_id for e in events if e.group_id == g.group_id and e.system_organ_class == soc}
            total = len(at_risk[g.group_id])
            row.append(100.0 * len(affected) / total if total else 0.0)
        matrix.append(row)
    image = axes.imshow(matrix, cmap="Reds", vmin=0, vmax=100, aspect="auto")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            axes.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7,
                      color="white" if value > 60 else "black")
    axes.set_xticks(range(len(groups)), [_short(g.title, 16) for g in groups], fontsize=7)
    axes.set_yticks(range(len(socs)), [_short(s, 40) for s in socs], fontsize=7)
    axes.set_title("Participants with an adverse event (% at risk), by system organ class", fontsize=10)
    figure.colorbar(image, ax=axes, label="% of participants at risk")
    return figure


def all_figures(results: Results) -> dict[str, Figure]:
    """Every report figure by key, in report order."""
    return {
        "escalation_path": escalation_path(results.dataset),
        "dlt_by_dose": dlt_by_dose(results),
        "pf_trajectories": pf_trajectories(results),
        "kaplan_meier": survival_curves(results),
        "ae_heatmap": ae_heatmap(results.dataset),
    }


def strip_ids(svg: str, prefix: str) -> str:
    """Make the ids of an inline SVG unique within a page (several figures share matplotlib's id names)."""
    return re.sub(r'(id="|url\(#|href="#)([^")]+)', lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
