"""The CONSORT participant flow of a seamless Phase 1/2 trial, counted from the analysis dataset, drawn as SVG
and PNG.

Boxes follow the CONSORT 2010 flow diagram (Schulz KF et al., BMJ 2010;340:c332, figure 1; item 13a/13b):
enrolment (assessed for eligibility, excluded with reasons), allocation (received / did not receive the
allocated intervention, with reasons), follow-up (lost to follow-up, discontinued with reasons) and analysis
(analysed, excluded from analysis with reasons). The Phase 1 part is non-randomised and is drawn per dose
level, as the dose-finding extension recommends (CONSORT-DEFINE, Yap C et al., BMJ 2023;383:e076386; here
KNOWLEDGE, ``edc-and-standards.md`` 3.6); Phase 2 is drawn per arm (or pooled while blinded).

Every count is derived from the data, never typed in, and the flow is checked to add up by construction
(:meth:`ConsortFlow.check`): assessed = excluded + enrolled; enrolled = Phase 1 + Phase 2 + not assigned; in
each group allocated = received + not received = completed + died + withdrawn + lost + ongoing = analysed +
excluded from analysis. The registry participant flow (:mod:`mexards.reporting.registry_results`) is built
from the same object, so the two cannot disagree.
"""

from __future__ import annotations

import io
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from mexards.domain.errors import ConflictError
from mexards.reporting.result_table import PRIMARY_DAY, pf_change
from mexards.services.results import AnalysisDataset, AnalysisParticipant

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ONGOING = "Still in the study at data extraction"


@dataclass(frozen=True)
class GroupFlow:
    """One column of the diagram: a Phase 1 dose level or a Phase 2 group."""

    group_id: str
    title: str
    phase: int
    allocated: int
    received: int
    not_received_reasons: tuple[tuple[str, int], ...]
    completed: int
    died: int
    lost: int
    withdrawal_reasons: tuple[tuple[str, int], ...]
    ongoing: int
    analysed: int
    analysis: str
    """What 'analysed' means in this group (the primary analysis of its phase)."""
    excluded_reasons: tuple[tuple[str, int], ...]

    @property
    def not_received(self) -> int:
        return sum(n for _, n in self.not_received_reasons)

    @property
    def withdrawn(self) -> int:
        return sum(n for _, n in self.withdrawal_reasons)

    @property
    def excluded_from_analysis(self) -> int:
        return sum(n for _, n in self.excluded_reasons)

    @property
    def not_completed(self) -> int:
        return self.died + self.lost + self.withdrawn + self.ongoing


@dataclass(frozen=True)
class ConsortFlow:
    assessed: int
    ineligible: int
    criterion_failures: tuple[tuple[str, int], ...]
    """Criterion (id: text) -> patients failing it, in the protocol's order of criteria; a patient may fail several."""
    incomplete_screening: int
    not_enrolled_reasons: tuple[tuple[str, int], ...]
    enrolled: int
    phase1: int
    phase2: int
    not_assigned_reasons: tuple[tuple[str, int], ...]
    groups: tuple[GroupFlow, ...]
    pooled: bool

    @property
    def excluded(self) -> int:
        return self.ineligible + self.incomplete_screening + sum(n for _, n in self.not_enrolled_reasons)

    @property
    def not_assigned(self) -> int:
        return sum(n for _, n in self.not_assigned_reasons)

    def check(self) -> None:
        """Raise ConflictError naming the box whose count does not add up (never an arm name)."""
        problems = []
        if self.assessed != self.excluded + self.enrolled:
            problems.append("assessed for eligibility != excluded + enrolled")
        if self.enrolled != self.phase1 + self.phase2 + self.not_assigned:
            problems.append("enrolled != Phase 1 + Phase 2 + not assigned")
        for phase, total in ((1, self.phase1), (2, self.phase2)):
            if sum(g.allocated for g in self.groups if g.phase == phase) != total:
                problems.append(f"Phase {phase} groups do not add up to the Phase {phase} total")
        for index, g in enumerate(self.groups):
            if g.allocated != g.received + g.not_received:
                problems.append(f"group {index + 1}: allocated != received + not received")
            if g.allocated != g.completed + g.not_completed:
                problems.append(f"group {index + 1}: allocated != completed + died + lost + withdrawn + ongoing")
            if g.allocated != g.analysed + g.excluded_from_analysis:
                problems.append(f"group {index + 1}: allocated != analysed + excluded from analysis")
        if problems:
            raise ConflictError("CONSORT flow does not add up: " + "; ".join(problems))


def _counted(reasons: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))


def _end_reason(p: AnalysisParticipant) -> str:
    return p.end_reason or "Withdrawn (no reason recorded)"


def _group_flow(group_id: str, title: str, phase: int, people: tuple[AnalysisParticipant, ...]) -> GroupFlow:
    not_received: Counter[str] = Counter()
    withdrawals: Counter[str] = Counter()
    excluded: Counter[str] = Counter()
    state = Counter(p.state for p in people)
    for p in people:
        if p.doses_received == 0:
            not_received[_end_reason(p) if p.state == "withdrawn" else
                         "Died before the first dose" if p.state == "died" else "No dose recorded"] += 1
        if p.state == "withdrawn":
            withdrawals[_end_reason(p)] += 1
        if phase == 1 and not p.dlt_evaluable:
            excluded["DLT not adjudicated" if p.dlt_evaluable is None else "Not DLT-evaluable"] += 1
        elif phase == 2 and pf_change(p) is None:
            excluded["No baseline PaO2/FiO2" if p.baseline_pf is None else f"No Day {PRIMARY_DAY} PaO2/FiO2"] += 1
    ongoing = len(people) - state["completed"] - state["died"] - state["lost_to_follow_up"] - state["withdrawn"]
    analysis = "DLT-evaluable" if phase == 1 else f"PaO2/FiO2 change to Day {PRIMARY_DAY}"
    return GroupFlow(group_id, title, phase, len(people), sum(1 for p in people if p.doses_received > 0),
                     _counted(not_received), state["completed"], state["died"], state["lost_to_follow_up"],
                     _counted(withdrawals), ongoing, len(people) - sum(excluded.values()), analysis,
                     _counted(excluded))


def consort_flow(dataset: AnalysisDataset) -> ConsortFlow:
    """The flow of ``dataset``, checked to add up (ConflictError otherwise)."""
    screening = dataset.screening
    failures = tuple((f"{cid}: {screening.criterion_text.get(cid, cid)}", n)
                     for cid, n in screening.exclusion_reasons.items())  # in the protocol's order
    people = dataset.participants
    unassigned = Counter(
        "Withdrew before assignment" if p.state == "withdrawn" else
        "Died before assignment" if p.state == "died" else "Awaiting assignment"
        for p in people if p.group_id is None)
    groups = tuple(_group_flow(g.group_id, g.title, g.phase, dataset.members(g.group_id)) for g in dataset.groups)
    flow = ConsortFlow(
        screening.assessed, screening.ineligible, failures, screening.incomplete,
        _counted(Counter(dict(screening.eligible_not_enrolled))), len(people),
        sum(1 for p in people if p.phase == 1 and p.group_id is not None),
        sum(1 for p in people if p.phase == 2 and p.group_id is not None), _counted(unassigned), groups,
        not dataset.by_arm,
    )  # fmt: skip
    flow.check()
    return flow


# -- drawing ---------------------------------------------------------------------------------------------------

COLUMN_WIDTH = 230
GAP = 20
LINE = 15
PAD = 8
CHARS = 34


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    lines: tuple[str, ...]
    bold_first: bool = True

    @property
    def height(self) -> float:
        return len(self.lines) * LINE + 2 * PAD


def _wrap(text: str, width: int = CHARS) -> list[str]:
    return textwrap.wrap(textwrap.shorten(text, width * 2, placeholder="..."), width) or [""]


def _wrap_counted(text: str, n: int, width: int = CHARS) -> list[str]:
    """``text (n=N)`` on at most about two lines: a long text is shortened, never its count."""
    count = f"(n={n})"
    room = max(width * 2 - len(count) - 1, 4)
    shortened = textwrap.shorten(text, room, placeholder="...")
    return textwrap.wrap(f"{shortened} {count}" if shortened else count, width)


def _reason_lines(reasons: tuple[tuple[str, int], ...], width: int = CHARS) -> list[str]:
    lines: list[str] = []
    for reason, n in reasons:
        wrapped = _wrap_counted(reason, n, width - 2)
        lines += ["- " + wrapped[0], *("  " + w for w in wrapped[1:])]
    return lines


def layout(flow: ConsortFlow) -> tuple[list[Box], list[tuple[float, float, float, float]], float, float]:
    """Boxes and arrows (x1, y1, x2, y2) in pixels, and the drawing's width and height."""
    columns = max(len(flow.groups), 2)
    width = columns * COLUMN_WIDTH + (columns + 1) * GAP
    boxes: list[Box] = []
    arrows: list[tuple[float, float, float, float]] = []
    centre = width / 2 - COLUMN_WIDTH / 2
    top = Box(centre, GAP, COLUMN_WIDTH, ("Enrolment", f"Assessed for eligibility (n={flow.assessed})"))
    excluded_lines = [f"Excluded (n={flow.excluded})", f"Not meeting eligibility criteria (n={flow.ineligible})"]
    if flow.criterion_failures:
        excluded_lines.append("  criteria failed (a patient may fail several):")
    excluded_lines += _reason_lines(flow.criterion_failures, CHARS + 14)
    excluded_lines.append(f"Screening incomplete (n={flow.incomplete_screening})")
    excluded_lines.append(f"Eligible, not enrolled (n={sum(n for _, n in flow.not_enrolled_reasons)})")
    excluded_lines += _reason_lines(flow.not_enrolled_reasons, CHARS + 14)
    excluded = Box(centre + COLUMN_WIDTH + GAP * 2, top.y + top.height + GAP, COLUMN_WIDTH + 100,
                   tuple(excluded_lines))
    enrolled_y = excluded.y + excluded.height + GAP
    enrolled_lines = [f"Enrolled (n={flow.enrolled})", f"Phase 1, by dose level (n={flow.phase1})",
                      f"Phase 2, randomised (n={flow.phase2})"]
    if flow.not_assigned:
        enrolled_lines += [f"Not assigned (n={flow.not_assigned})", *_reason_lines(flow.not_assigned_reasons)]
    enrolled = Box(centre, enrolled_y, COLUMN_WIDTH, tuple(enrolled_lines))
    boxes += [top, excluded, enrolled]
    arrows.append((centre + COLUMN_WIDTH / 2, top.y + top.height, centre + COLUMN_WIDTH / 2, enrolled.y))
    arrows.append((centre + COLUMN_WIDTH / 2, excluded.y + 20, excluded.x, excluded.y + 20))
    y = enrolled.y + enrolled.height + 2 * GAP
    stages: list[list[tuple[float, list[str]]]] = [[], [], []]
    for index, g in enumerate(flow.groups):
        x = GAP + index * (COLUMN_WIDTH + GAP)
        label = "Allocated" if g.phase == 2 else "Assigned"
        allocation = [*_wrap(g.title), f"{label} (n={g.allocated})", f"Received the intervention (n={g.received})",
                      f"Did not receive it (n={g.not_received})", *_reason_lines(g.not_received_reasons)]
        follow = ["Follow-up", f"Completed (n={g.completed})", f"Died (n={g.died})",
                  f"Lost to follow-up (n={g.lost})", f"Discontinued (n={g.withdrawn})",
                  *_reason_lines(g.withdrawal_reasons), *_wrap_counted(ONGOING, g.ongoing)]
        analysis = ["Analysis", f"Analysed (n={g.analysed})", *_wrap(f"({g.analysis})"),
                    f"Excluded from analysis (n={g.excluded_from_analysis})", *_reason_lines(g.excluded_reasons)]
        for stage, lines in zip(stages, (allocation, follow, analysis), strict=True):
            stage.append((x, lines))
    bottoms: dict[float, float] = {}
    for number, stage in enumerate(stages):
        placed = [Box(x, y, COLUMN_WIDTH, tuple(lines)) for x, lines in stage]
        for b in placed:
            start = (centre + COLUMN_WIDTH / 2, enrolled.y + enrolled.height) if number == 0 else (
                b.x + b.width / 2, bottoms[b.x])
            arrows.append((*start, b.x + b.width / 2, b.y))
            bottoms[b.x] = b.y + b.height
        boxes += placed
        y += max((b.height for b in placed), default=0) + GAP * 1.5
    return boxes, arrows, max(width, excluded.x + excluded.width + GAP), y


def consort_svg(flow: ConsortFlow) -> str:
    """The diagram as a standalone SVG document (no external resources)."""
    boxes, arrows, width, height = layout(flow)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="11" '
           'role="img" aria-label="CONSORT participant flow diagram">',
           '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
           '<path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>',
           f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>']
    for x1, y1, x2, y2 in arrows:
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#333" '
                   'marker-end="url(#arrow)"/>')
    for box in boxes:
        out.append(f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
                   'fill="#f7f9fc" stroke="#333"/>')
        for i, line in enumerate(box.lines):
            weight = ' font-weight="bold"' if i == 0 and box.bold_first else ""
            out.append(f'<text x="{box.x + PAD:.1f}" y="{box.y + PAD + (i + 0.8) * LINE:.1f}"{weight}>'
                       f"{escape(line)}</text>")
    out.append("</svg>")
    return "\n".join(out)


def consort_figure(flow: ConsortFlow) -> Figure:
    """The diagram drawn by matplotlib (the PNG and the PDF report use it)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, Rectangle

    boxes, arrows, width, height = layout(flow)
    figure = Figure(figsize=(width / 100, height / 100), dpi=100)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.axis("off")
    for x1, y1, x2, y2 in arrows:
        axes.add_patch(FancyArrowPatch((x1, y1), (x2, y2), arrowstyle="-|>", mutation_scale=10, color="#333"))
    for box in boxes:
        axes.add_patch(Rectangle((box.x, box.y), box.width, box.height, facecolor="#f7f9fc", edgecolor="#333"))
        for i, line in enumerate(box.lines):
            axes.text(box.x + PAD, box.y + PAD + (i + 0.8) * LINE, line, fontsize=8,
                      fontweight="bold" if i == 0 and box.bold_first else "normal", va="baseline")
    return figure


def consort_png(flow: ConsortFlow, dpi: int = 100) -> bytes:
    """The diagram as PNG bytes."""
    buffer = io.BytesIO()
    consort_figure(flow).savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
