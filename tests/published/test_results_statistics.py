"""The results pipeline (analysis dataset -> tables, registry section) reproduces published numbers.

- Mortality: the Freireich 6-MP remission data (Kleinbaum & Klein, *Survival Analysis*, 3rd ed., 2012, ch. 2;
  R ``survdiff(Surv(time, cens) ~ treat, data = MASS::gehan)``), used as two randomised groups with times in
  days. Every event falls before Day 28, so censoring the 6-MP times 32-35 at Day 28 changes nothing: log-rank
  chi-square 16.79 (tolerance 0.005), S(23) = 0.4482 for 6-MP and 0 for placebo (tolerance 0.00005).
- DLT rates: the 3+3 path 0/3, 0/3, 2/3 with R ``binom.test`` exact intervals: 0/3 -> (0, 0.7075982),
  2/3 -> (0.09429932, 0.99159624) (tolerance 5e-7).
- ANCOVA and Mann-Whitney in the tables are the ones of :mod:`mexards.analysis` (validated in
  ``test_analysis_*``) called on the same data: checked to be identical.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from mexards.analysis import ancova, mann_whitney
from mexards.clinical.ventilation import ventilator_free_days
from mexards.domain.identifier import ParticipantId, SiteId
from mexards.reporting.registry_results import registry_results_section
from mexards.reporting.result_table import analyse, pf_change
from mexards.services.results import (
    AnalysisDataset,
    AnalysisParticipant,
    CohortRecord,
    ResultGroup,
    ScreeningSummary,
)
from tests.published.test_analysis_survival import MP_EVENTS, MP_TIMES, PLACEBO_EVENTS, PLACEBO_TIMES
from tests.unit.services.conftest import PROTOCOL

EMPTY: Any = MappingProxyType({})


def _person(number: int, group: str, **fields: Any) -> AnalysisParticipant:
    values: dict[str, Any] = dict(
        participant_id=ParticipantId(f"P{number:03d}"), site_id=SiteId("S01"), state="completed", end_reason=None,
        group_id=group, phase=2, cohort_number=None, dose_level_index=None, doses_received=7, day_one=None,
        age_years=None, sex=None, weight_kg=None, height_cm=None, ards_risk_factor=None, berlin_baseline=None,
        pf_by_day=EMPTY, sofa_by_day=EMPTY, murray_by_day=EMPTY, biomarkers_by_day=EMPTY, ventilated_days=(),
        death_day=None, last_known_alive_day=None, vfd=None, dlt=None, dlt_evaluable=None)
    values.update(fields)
    return AnalysisParticipant(**values)


def _dataset(people: list[AnalysisParticipant], groups: tuple[ResultGroup, ...],
             cohorts: tuple[CohortRecord, ...] = ()) -> AnalysisDataset:
    screening = ScreeningSummary(len(people), 0, 0, len(people), EMPTY, EMPTY, EMPTY, len(people))
    return AnalysisDataset("NCT04602104", "completed", True, True, 800_000_000, groups, tuple(people), (), cohorts,
                           screening, datetime(2025, 1, 1, tzinfo=UTC))


PHASE2 = (ResultGroup("p2_mtd", "Phase 2: hMSC-Exos dosage 2", "", 2, 800_000_000),
          ResultGroup("p2_control", "Phase 2: control group", "", 2, 0, is_control=True))


def test_mortality_reproduces_the_freireich_kaplan_meier_and_log_rank() -> None:
    people = []
    for group, times, events in (("p2_mtd", MP_TIMES, MP_EVENTS), ("p2_control", PLACEBO_TIMES, PLACEBO_EVENTS)):
        for time, event in zip(times, events, strict=True):
            people.append(_person(len(people), group, state="died" if event else "completed",
                                  death_day=time if event else None, last_known_alive_day=None if event else time))
    results = analyse(_dataset(people, PHASE2))
    assert results.log_rank is not None
    assert results.log_rank.statistic == pytest.approx(16.79, abs=0.005)
    rows = {m.group_id: m for m in results.mortality}
    assert rows["p2_mtd"].at_day is not None and rows["p2_mtd"].at_day.survival == pytest.approx(0.4482, abs=5e-5)
    assert rows["p2_control"].at_day is not None and rows["p2_control"].at_day.survival == 0.0
    assert (rows["p2_mtd"].deaths, rows["p2_control"].deaths) == (9, 21)
    assert "chi-square 16.79" in " ".join(results.table("mortality").notes)


def test_dlt_rates_carry_the_exact_intervals_r_prints() -> None:
    levels = tuple(ResultGroup(f"p1_{i}", f"Phase 1: level {i}", "", 1, d)
                   for i, d in enumerate((200_000_000, 800_000_000, 1_600_000_000), start=1))
    people = [_person(3 * i + k, g.group_id, phase=1, dlt_evaluable=True, dlt=(i == 2 and k < 2))
              for i, g in enumerate(levels) for k in range(3)]
    results = analyse(_dataset(people, levels))
    low, _, high = results.toxicity
    assert low.interval is not None and high.interval is not None
    assert (low.interval.lower, low.interval.upper) == pytest.approx((0.0, 0.7075982), abs=5e-7)
    assert (high.interval.lower, high.interval.upper) == pytest.approx((0.09429932, 0.99159624), abs=5e-7)
    assert [r.isotonic for r in results.toxicity] == pytest.approx([0.0, 0.0, 2 / 3])
    assert results.table("dlt").rows[2][6] == "0.094 - 0.992"


def test_the_primary_ancova_and_the_vfd_comparison_are_the_analysis_packages_own() -> None:
    baseline = [120.0, 150.0, 95.0, 180.0, 130.0, 110.0, 160.0, 140.0, 100.0, 170.0]
    day7 = [190.0, 200.0, 160.0, 260.0, 185.0, 130.0, 175.0, 150.0, None, 190.0]
    ventilated = [[0, 1, 2], [0, 1], [0, 1, 2, 3, 4], [0], [0, 1, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7], list(range(12)),
                  [0, 1, 2, 3, 4, 5], [0, 1, 2], list(range(20))]
    people = []
    for i, (b, d, v) in enumerate(zip(baseline, day7, ventilated, strict=True)):
        group = "p2_mtd" if i < 5 else "p2_control"
        pf = MappingProxyType({1: b, **({7: d} if d is not None else {})})
        people.append(_person(i, group, pf_by_day=pf, last_known_alive_day=28,
                              vfd=ventilator_free_days(v, follow_up_end_day=28)))
    results = analyse(_dataset(people, PHASE2))
    expected = ancova([pf_change(p) for p in people], [p.baseline_pf for p in people],
                      [p.group_id or "" for p in people], control="p2_control")
    assert results.pf_ancova == expected and expected.n_missing == 1
    values = {g: [float(p.vfd.value) for p in people if p.group_id == g and p.vfd and p.vfd.value is not None]
              for g in ("p2_mtd", "p2_control")}
    assert results.vfd_comparisons == (("p2_mtd", mann_whitney(values["p2_mtd"], values["p2_control"])),)
    section = registry_results_section(results, PROTOCOL)
    (pf,) = [m for m in section["outcomeMeasuresModule"]["outcomeMeasures"] if m["unitOfMeasure"] == "mmHg"]
    assert pf["analyses"][0]["paramValue"] == f"{expected.contrasts[0].estimate:.2f}"
