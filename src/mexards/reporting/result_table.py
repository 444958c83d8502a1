"""The trial's results from the analysis dataset: statistics (all computed by :mod:`mexards.analysis`) and the
tables the report, the PDF and the registry section show.

- **DLT per dose level** (Phase 1): DLTs among DLT-evaluable participants, exact Clopper-Pearson 95 % interval
  (Clopper & Pearson 1934) and the isotonic (pool-adjacent-violators) estimate weighted by evaluable
  participants (Barlow et al. 1972), as dose-finding reports show them.
- **Adverse events** (safety population: participants with at least one dose): overview, worst CTCAE grade,
  system organ class and term, participants affected n (%) and events, by group.
- **Baseline characteristics** (CONSORT 2010 item 15): by group and in total; missing values counted per row.
- **Efficacy** (protocol outcomes): change in PaO2/FiO2 from baseline to Day 7, by ANCOVA on the baseline
  (Vickers & Altman, BMJ 2001;323:1123) with the control group as reference when groups are compared; SOFA and
  Murray over time; VFD-28 (median, IQR; Mann-Whitney with Hodges-Lehmann shift vs control); 28-day mortality
  (Kaplan-Meier, log-rank across the randomised groups); biomarkers over time.
- Comparisons are only made between randomised groups shown by arm; Phase 1 dose levels and the pooled Phase 2
  group are described, never tested. Missing data are never dropped silently: every analysis reports, by group,
  how many participants lacked the data it needs (complete-case analyses).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from mexards.analysis import (
    AncovaResult,
    ContinuousSummary,
    IsotonicFit,
    KaplanMeier,
    LogRankTest,
    ProportionInterval,
    ShiftComparison,
    SurvivalEstimate,
    ancova,
    clopper_pearson,
    isotonic_rates,
    kaplan_meier,
    log_rank_test,
    mann_whitney,
    summarize_continuous,
    survival_at,
)
from mexards.services.results import AnalysisDataset, AnalysisParticipant, ResultGroup

MORTALITY_DAY = 28
PRIMARY_DAY = 7
GRADES = (1, 2, 3, 4, 5)
TRAJECTORY_DAYS = (0, 1, 2, 3, 4, 5, 6, 7, 14)


@dataclass(frozen=True)
class Table:
    """A rendered table: a title, column heads, rows of text, and footnotes."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DoseToxicity:
    group: ResultGroup
    treated: int
    evaluable: int
    dlts: int
    interval: ProportionInterval | None
    isotonic: float | None


@dataclass(frozen=True)
class GroupValue:
    """One group's value of an analysis with the number of participants lacking the data."""

    group_id: str
    summary: ContinuousSummary


@dataclass(frozen=True)
class MortalityResult:
    group_id: str
    curve: KaplanMeier | None
    at_day: SurvivalEstimate | None
    deaths: int
    n: int
    n_missing: int


@dataclass(frozen=True)
class Results:
    """Everything the report and the registry section need, computed once."""

    dataset: AnalysisDataset
    toxicity: tuple[DoseToxicity, ...]
    isotonic: IsotonicFit | None
    pf_change: tuple[GroupValue, ...]
    pf_ancova: AncovaResult | None
    vfd: tuple[GroupValue, ...]
    vfd_comparisons: tuple[tuple[str, ShiftComparison], ...]
    mortality: tuple[MortalityResult, ...]
    log_rank: LogRankTest | None
    trajectories: dict[str, dict[str, dict[int, ContinuousSummary]]]
    """measure -> group id -> study day -> summary."""
    control_id: str | None
    tables: tuple[Table, ...]

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


def safety_population(members: Sequence[AnalysisParticipant]) -> list[AnalysisParticipant]:
    """Participants who received at least one dose (the safety population)."""
    return [p for p in members if p.doses_received > 0]


def pf_change(participant: AnalysisParticipant, day: int = PRIMARY_DAY) -> float | None:
    """Day ``day`` P/F minus baseline P/F (mmHg), or None when either is missing."""
    baseline, later = participant.baseline_pf, participant.pf_by_day.get(day)
    return None if baseline is None or later is None else later - baseline


def analyse(dataset: AnalysisDataset) -> Results:
    """All analyses of the dataset (see the module docstring), with their tables."""
    groups = dataset.groups
    members = {g.group_id: dataset.members(g.group_id) for g in groups}
    phase2 = dataset.groups_of_phase(2)
    controls = [g.group_id for g in phase2 if g.is_control]
    control_id = controls[0] if dataset.by_arm and controls else None
    compared = [g.group_id for g in phase2] if control_id else []

    toxicity, isotonic = _toxicity(dataset, members)
    pf = tuple(GroupValue(g.group_id, summarize_continuous([pf_change(p) for p in members[g.group_id]]))
               for g in groups)
    vfd = tuple(GroupValue(g.group_id, summarize_continuous(
        [p.vfd.value if p.vfd else None for p in members[g.group_id]])) for g in phase2)
    vfd_tests = []
    if control_id is not None:
        reference = _vfd_values(members[control_id])
        for group_id in compared:
            values = _vfd_values(members[group_id])
            if group_id != control_id and values and reference:
                vfd_tests.append((group_id, mann_whitney(values, reference)))
    mortality, log_rank = _mortality(groups, members, compared)
    trajectories = {
        "pf_ratio": _trajectory(groups, members, lambda p: p.pf_by_day),
        "sofa": _trajectory(groups, members, lambda p: p.sofa_by_day),
        "murray": _trajectory(groups, members, lambda p: p.murray_by_day),
    }
    bare = Results(dataset, toxicity, isotonic, pf, _ancova(members, compared, control_id), vfd, tuple(vfd_tests),
                   mortality, log_rank, trajectories, control_id, ())
    return replace(bare, tables=render_tables(bare))


def _vfd_values(members: Sequence[AnalysisParticipant]) -> list[float]:
    return [float(p.vfd.value) for p in members if p.vfd is not None and p.vfd.value is not None]


def _toxicity(
    dataset: AnalysisDataset, members: dict[str, tuple[AnalysisParticipant, ...]]
) -> tuple[tuple[DoseToxicity, ...], IsotonicFit | None]:
    rows: list[DoseToxicity] = []
    for group in dataset.groups_of_phase(1):
        people = members[group.group_id]
        evaluable = [p for p in people if p.dlt_evaluable]
        dlts = sum(1 for p in evaluable if p.dlt)
        interval = clopper_pearson(dlts, len(evaluable)) if evaluable else None
        rows.append(DoseToxicity(group, len(safety_population(people)), len(evaluable), dlts, interval, None))
    if not any(r.evaluable for r in rows):
        return tuple(rows), None
    fit = isotonic_rates([r.dlts for r in rows], [r.evaluable for r in rows])
    return tuple(replace(r, isotonic=fit.fitted[i]) for i, r in enumerate(rows)), fit


def _ancova(members: dict[str, tuple[AnalysisParticipant, ...]], compared: list[str],
            control_id: str | None) -> AncovaResult | None:
    """ANCOVA of the P/F change on baseline P/F and group, when the data allow the model to be fitted."""
    if control_id is None or len(compared) < 2:
        return None
    people = [(p, g) for g in compared for p in members[g]]
    outcome = [pf_change(p) for p, _ in people]
    baseline = [p.baseline_pf for p, _ in people]
    complete = Counter(g for (_, g), y in zip(people, outcome, strict=True) if y is not None)
    baselines = {b for b, y in zip(baseline, outcome, strict=True) if y is not None}
    arms_seen = sum(1 for g in compared if complete[g] > 0)
    if complete[control_id] < 1 or arms_seen < 2 or sum(complete.values()) <= arms_seen + 1 or len(baselines) < 2:
        return None
    return ancova(outcome, baseline, [g for _, g in people], control=control_id)


def survival_time(participant: AnalysisParticipant) -> tuple[float | None, bool | None]:
    """(study day, died): death by Day 28 is an event at its study day; otherwise censored at the last day
    known alive, at most Day 28; unknown vital status is missing."""
    if participant.death_day is not None and participant.death_day <= MORTALITY_DAY:
        return float(max(participant.death_day, 0)), True
    if participant.death_day is not None:
        return float(MORTALITY_DAY), False
    if participant.last_known_alive_day is None:
        return None, None
    return float(min(max(participant.last_known_alive_day, 0), MORTALITY_DAY)), False


def _mortality(
    groups: Sequence[ResultGroup], members: dict[str, tuple[AnalysisParticipant, ...]], compared: list[str]
) -> tuple[tuple[MortalityResult, ...], LogRankTest | None]:
    rows: list[MortalityResult] = []
    times_all: list[float | None] = []
    events_all: list[bool | None] = []
    labels: list[str] = []
    for group in groups:
        pairs = [survival_time(p) for p in members[group.group_id]]
        times = [t for t, _ in pairs]
        events = [e for _, e in pairs]
        observed = sum(1 for t in times if t is not None)
        curve = kaplan_meier(times, events) if observed else None
        rows.append(MortalityResult(group.group_id, curve, survival_at(curve, MORTALITY_DAY) if curve else None,
                                    sum(1 for e in events if e), len(times), len(times) - observed))
        if group.group_id in compared:
            times_all += times
            events_all += events
            labels += [group.group_id] * len(times)
    observed_groups = {g for g, t in zip(labels, times_all, strict=True) if t is not None}
    test = log_rank_test(times_all, events_all, labels) if len(observed_groups) >= 2 else None
    return tuple(rows), test


def _trajectory(
    groups: Sequence[ResultGroup],
    members: dict[str, tuple[AnalysisParticipant, ...]],
    values: Callable[[AnalysisParticipant], Mapping[int, float]],
) -> dict[str, dict[int, ContinuousSummary]]:
    out: dict[str, dict[int, ContinuousSummary]] = {}
    for group in groups:
        series = [values(p) for p in members[group.group_id]]
        by_day: dict[int, ContinuousSummary] = {}
        for day in TRAJECTORY_DAYS:
            observed = [s.get(day) for s in series]
            if any(v is not None for v in observed):
                by_day[day] = summarize_continuous(observed)
        out[group.group_id] = by_day
    return out


# -- tables ----------------------------------------------------------------------------------------------------


def percent(count: int, total: int) -> str:
    """``n (x.x%)``; just ``n`` when the denominator is 0."""
    return f"{count} ({100.0 * count / total:.1f}%)" if total else str(count)


def mean_sd(summary: ContinuousSummary, digits: int = 1) -> str:
    if summary.mean is None:
        return "-"
    sd = f"{summary.sd:.{digits}f}" if summary.sd is not None else "-"
    return f"{summary.mean:.{digits}f} ({sd})"


def median_iqr(summary: ContinuousSummary, digits: int = 1) -> str:
    if summary.median is None or summary.q1 is None or summary.q3 is None:
        return "-"
    return f"{summary.median:.{digits}f} [{summary.q1:.{digits}f}, {summary.q3:.{digits}f}]"


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def render_tables(results: Results) -> tuple[Table, ...]:
    """Every table of the report, in report order."""
    dataset = results.dataset
    tables = [_dlt_table(results), _escalation_table(dataset), _baseline_table(dataset), *_pf_tables(results)]
    for key, title in (("sofa", "SOFA score over time"), ("murray", "Murray lung injury score over time")):
        tables.append(_trajectory_table(dataset, results.trajectories[key], key, title))
    tables += [_vfd_table(results), _mortality_table(results), _biomarker_table(dataset)]
    tables += _adverse_event_tables(dataset)
    tables.append(_missing_table(results))
    return tuple(tables)


def _dlt_table(results: Results) -> Table:
    rows = []
    for row in results.toxicity:
        interval = row.interval
        rows.append((row.group.title, f"{row.group.dose_particles:.1e}" if row.group.dose_particles else "-",
                     str(row.treated), str(row.evaluable), str(row.dlts),
                     f"{interval.estimate:.3f}" if interval else "-",
                     f"{interval.lower:.3f} - {interval.upper:.3f}" if interval else "-",
                     f"{row.isotonic:.3f}" if row.isotonic is not None else "-"))
    return Table("dlt", "Dose-limiting toxicities by dose level (Phase 1)",
                 ("Dose level", "Daily dose (particles)", "Treated", "DLT-evaluable", "DLTs", "DLT rate",
                  "95% CI (Clopper-Pearson)", "Isotonic estimate"), tuple(rows),
                 ("Rate = DLTs / DLT-evaluable participants; exact interval (Clopper & Pearson 1934); isotonic "
                  "estimate by pool-adjacent-violators weighted by evaluable participants.",))


def _escalation_table(dataset: AnalysisDataset) -> Table:
    rows = tuple((str(c.cohort_number), f"L{c.dose_level_index}", f"{c.dose_particles:.1e}", str(c.participants),
                  str(c.evaluable), str(c.dlts), "yes" if c.overrides_recommendation else "no")
                 for c in dataset.cohorts)
    return Table("escalation", "Dose-escalation path (Phase 1 cohorts)",
                 ("Cohort", "Dose level", "Daily dose (particles)", "Participants", "DLT-evaluable", "DLTs",
                  "Design recommendation overridden"), rows)


def _columns(dataset: AnalysisDataset) -> tuple[list[str], list[tuple[AnalysisParticipant, ...]]]:
    titles = [g.title for g in dataset.groups]
    people = [dataset.members(g.group_id) for g in dataset.groups]
    return titles, people


def _continuous_row(label: str, people: list[tuple[AnalysisParticipant, ...]],
                    value: Callable[[AnalysisParticipant], float | None], median: bool = False) -> tuple[str, ...]:
    cells = []
    for group in people:
        summary = summarize_continuous([value(p) for p in group])
        text = median_iqr(summary) if median else mean_sd(summary)
        cells.append(text + (f"; missing {summary.n_missing}" if summary.n_missing else ""))
    return (label, *cells)


def _baseline_table(dataset: AnalysisDataset) -> Table:
    titles, people = _columns(dataset)
    everyone = tuple(p for p in dataset.participants if p.group_id is not None)
    people = [*people, everyone]
    rows: list[tuple[str, ...]] = [("Participants", *(str(len(g)) for g in people))]
    rows.append(_continuous_row("Age, years: mean (SD)", people, lambda p: p.age_years))
    for sex in ("female", "male"):
        rows.append((f"Sex: {sex}, n (%)", *(percent(sum(1 for p in g if p.sex == sex),
                                                      sum(1 for p in g if p.sex)) for g in people)))
    rows.append(_continuous_row("Weight, kg: mean (SD)", people, lambda p: p.weight_kg))
    rows.append(_continuous_row("PaO2/FiO2, mmHg: mean (SD)", people, lambda p: p.baseline_pf))
    rows.append(_continuous_row("SOFA: median [IQR]", people, lambda p: p.baseline_sofa, median=True))
    rows.append(_continuous_row("Murray score: mean (SD)", people, lambda p: p.baseline_murray))
    for category in ("MILD", "MODERATE", "SEVERE"):
        rows.append((f"Berlin severity: {category.lower()}, n (%)",
                     *(percent(sum(1 for p in g if p.berlin_baseline == category),
                               sum(1 for p in g if p.berlin_baseline)) for g in people)))
    rows.append(("Missing: sex / Berlin severity", *(
        f"{sum(1 for p in g if not p.sex)} / {sum(1 for p in g if not p.berlin_baseline)}" for g in people)))
    return Table("baseline", "Baseline characteristics", ("Characteristic", *titles, "Total"), tuple(rows),
                 ("Baseline = Day 1 pre-dose value, else the screening value. Percentages of participants with "
                  "the value recorded; missing values are counted, not imputed.",))


def _pf_tables(results: Results) -> list[Table]:
    dataset = results.dataset
    rows = []
    for item in results.pf_change:
        people = dataset.members(item.group_id)
        rows.append((dataset.group(item.group_id).title, str(len(people)),
                     mean_sd(summarize_continuous([p.baseline_pf for p in people])),
                     mean_sd(summarize_continuous([p.pf_by_day.get(PRIMARY_DAY) for p in people])),
                     mean_sd(item.summary), str(item.summary.n), str(item.summary.n_missing)))
    tables = [Table("pf_change", f"Change in PaO2/FiO2 (mmHg) from baseline to Day {PRIMARY_DAY}",
                    ("Group", "Participants", "Baseline: mean (SD)", f"Day {PRIMARY_DAY}: mean (SD)",
                     "Change: mean (SD)", "Analysed", "Missing baseline or Day 7"), tuple(rows))]
    model = results.pf_ancova
    if model is not None:
        contrast_rows = tuple(
            (f"{dataset.group(c.name.split(' - ')[0]).title} vs {dataset.group(model.control).title}",
             f"{c.estimate:.1f}", f"{c.lower:.1f} to {c.upper:.1f}", _p(c.p_value))
            for c in model.contrasts)
        tables.append(Table("pf_ancova", "ANCOVA of the change in PaO2/FiO2, adjusted for baseline",
                            ("Comparison", "Adjusted difference (mmHg)", "95% CI", "p"), contrast_rows,
                            (model.method, f"Complete cases: {model.n}; excluded for missing data: "
                             f"{model.n_missing}.")))
    return tables


def _trajectory_table(dataset: AnalysisDataset, by_group: dict[str, dict[int, ContinuousSummary]], key: str,
                      title: str) -> Table:
    days = sorted({d for values in by_group.values() for d in values})
    rows = tuple((f"Day {day}", *(f"{mean_sd(by_group[g.group_id][day])}; n={by_group[g.group_id][day].n}"
                                  if day in by_group[g.group_id] else "-" for g in dataset.groups)) for day in days)
    return Table(key, title, ("Study day", *(g.title for g in dataset.groups)), rows,
                 ("Mean (SD); n = participants with a complete score on that day.",))


def _vfd_table(results: Results) -> Table:
    dataset = results.dataset
    rows = [(dataset.group(v.group_id).title, str(v.summary.n), median_iqr(v.summary), mean_sd(v.summary),
             str(v.summary.n_missing)) for v in results.vfd]
    notes = ["VFD-28 (Schoenfeld & Bernard 2002, ARDSNet convention); 0 for death by Day 28; undetermined when "
             "follow-up ends before Day 28 alive (counted as missing)."]
    for group_id, test in results.vfd_comparisons:
        control = dataset.group(results.control_id or "").title
        notes.append(f"{dataset.group(group_id).title} vs {control}: Hodges-Lehmann shift {test.estimate:.1f} "
                     f"days (95% CI {test.lower:.1f} to {test.upper:.1f}), Mann-Whitney p = {_p(test.p_value)}.")
    return Table("vfd", "Ventilator-free days to Day 28 (randomised participants)",
                 ("Group", "Analysed", "Median [IQR]", "Mean (SD)", "Missing"), tuple(rows), tuple(notes))


def _mortality_table(results: Results) -> Table:
    dataset = results.dataset
    rows = []
    for m in results.mortality:
        at = m.at_day
        rows.append((dataset.group(m.group_id).title, str(m.n), str(m.deaths),
                     f"{at.survival:.3f} ({at.lower:.3f} - {at.upper:.3f})" if at else "-", str(m.n_missing)))
    notes = ["Kaplan-Meier from Day 1; censored at the last day known alive or Day 28; Greenwood variance, "
             "log-log 95% intervals."]
    if results.log_rank is not None:
        notes.append(f"{results.log_rank.method}: chi-square {results.log_rank.statistic:.2f}, "
                     f"p = {_p(results.log_rank.p_value)}.")
    return Table("mortality", f"{MORTALITY_DAY}-day all-cause mortality",
                 ("Group", "Participants", f"Deaths by Day {MORTALITY_DAY}",
                  f"Survival at Day {MORTALITY_DAY} (95% CI)", "Vital status unknown"), tuple(rows), tuple(notes))


def _biomarker_table(dataset: AnalysisDataset) -> Table:
    rows = []
    markers = sorted({m for p in dataset.participants for m in p.biomarkers_by_day})
    for marker in markers:
        days = sorted({d for p in dataset.participants for d in p.biomarkers_by_day.get(marker, {})})
        for day in days:
            cells = []
            for group in dataset.groups:
                values = [p.biomarkers_by_day.get(marker, {}).get(day) for p in dataset.members(group.group_id)]
                summary = summarize_continuous(values)
                cells.append(f"{median_iqr(summary)}; n={summary.n}" if summary.n else "-")
            rows.append((marker, f"Day {day}", *cells))
    return Table("biomarkers", "Biomarkers over time", ("Biomarker", "Study day", *(g.title for g in dataset.groups)),
                 tuple(rows), ("Median [IQR]; n = participants with the value on that day.",))


def _adverse_event_tables(dataset: AnalysisDataset) -> list[Table]:
    groups = dataset.groups
    at_risk = {g.group_id: {p.participant_id for p in safety_population(dataset.members(g.group_id))}
               for g in groups}
    events = [e for e in dataset.adverse_events if e.group_id in at_risk and e.participant_id in at_risk[e.group_id]]
    left_out = len(dataset.adverse_events) - len(events)
    titles = tuple(g.title for g in groups)

    def affected(keep: Callable[[object], bool]) -> tuple[str, ...]:
        return tuple(percent(len({e.participant_id for e in events if e.group_id == g.group_id and keep(e)}),
                             len(at_risk[g.group_id])) for g in groups)

    overview = [("Participants at risk (received a dose)", *(str(len(at_risk[g.group_id])) for g in groups)),
                ("Events, n", *(str(sum(1 for e in events if e.group_id == g.group_id)) for g in groups)),
                ("Any adverse event", *affected(lambda e: True)),
                ("Grade 3 or higher", *affected(lambda e: e.grade >= 3)),  # type: ignore[attr-defined]
                ("Serious adverse event", *affected(lambda e: e.serious)),  # type: ignore[attr-defined]
                ("At least possibly related", *affected(lambda e: e.related)),  # type: ignore[attr-defined]
                ("Fatal (grade 5)", *affected(lambda e: e.grade == 5))]  # type: ignore[attr-defined]
    worst: dict[tuple[str, object], int] = {}
    for e in events:
        key = (e.group_id or "", e.participant_id)
        worst[key] = max(worst.get(key, 0), e.grade)
    grade_rows = tuple((f"Grade {grade}", *(percent(sum(1 for (g, _), w in worst.items() if g == group.group_id
                                                         and w == grade), len(at_risk[group.group_id]))
                                            for group in groups)) for grade in GRADES)
    socs = sorted({e.system_organ_class for e in events})
    soc_rows = tuple((soc, *affected(lambda e, s=soc: e.system_organ_class == s)) for soc in socs)  # type: ignore
    terms = sorted({(e.system_organ_class, e.term) for e in events})
    term_rows = tuple((soc, term, *affected(lambda e, t=term: e.term == t)) for soc, term in terms)  # type: ignore
    note = ("Participants affected n (% of participants at risk). Safety population: participants who received "
            f"at least one dose; {left_out} event(s) of participants without a dose are not tabulated.")
    return [
        Table("ae_overview", "Adverse events: overview", ("", *titles), tuple(overview), (note,)),
        Table("ae_grade", "Participants by worst CTCAE v5.0 grade", ("Worst grade", *titles), grade_rows, (note,)),
        Table("ae_soc", "Adverse events by system organ class", ("System organ class", *titles), soc_rows, (note,)),
        Table("ae_term", "Adverse events by term", ("System organ class", "Term", *titles), term_rows, (note,)),
    ]


def _missing_table(results: Results) -> Table:
    dataset = results.dataset
    rows = []
    for group in dataset.groups:
        people = dataset.members(group.group_id)
        no_dlt = sum(1 for p in people if p.dlt_evaluable is None) if group.phase == 1 else None
        rows.append((group.title, str(len(people)), str(sum(1 for p in people if p.baseline_pf is None)),
                     str(sum(1 for p in people if p.pf_by_day.get(PRIMARY_DAY) is None)),
                     str(sum(1 for p in people if p.vfd is not None and p.vfd.value is None))
                     if group.phase == 2 else "-",
                     str(sum(1 for p in people if survival_time(p)[0] is None)),
                     "-" if no_dlt is None else str(no_dlt)))
    return Table("missing", "Missing data by group",
                 ("Group", "Participants", "No baseline P/F", f"No Day {PRIMARY_DAY} P/F", "VFD-28 undetermined",
                  "Vital status unknown", "DLT not adjudicated"), tuple(rows),
                 ("Every analysis is a complete-case analysis of the participants with the data it needs; the "
                  "counts here are the participants left out, by reason. Nothing is imputed.",))
