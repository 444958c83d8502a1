"""The log-rank test comparing survival in two or more groups, optionally stratified.

At each distinct event time t_j (pooled over groups) with n_j at risk and d_j events, group g with n_gj at risk
contributes O_g = sum d_gj and E_g = sum n_gj d_j / n_j. The hypergeometric covariance is
V_gh = sum d_j (n_j - d_j) / (n_j - 1) * (n_gj / n_j) * (delta_gh - n_hj / n_j).
The statistic (O - E)' V^- (O - E), with V^- a generalised inverse (dropping one group), is chi-square with
(number of groups - 1) degrees of freedom under equal survival (fewer if a group has nobody at risk at any
event time: the df is the rank of V) (Mantel N, Cancer Chemother Rep 1966;50:163-170;
Peto R, Peto J, JRSS A 1972;135:185-207; Kleinbaum DG, Klein M, *Survival Analysis*, 3rd ed., Springer 2012,
ch. 2; Klein & Moeschberger 2003, section 7.3). The stratified test sums O, E and V over strata before forming
the statistic (Klein & Moeschberger 2003, section 7.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mexards.analysis.observation import MaybeBool, MaybeFloat, check_label, check_same_length, is_missing
from mexards.analysis.survival import survival_data
from mexards.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class LogRankTest:
    """Observed and expected events per group, the chi-square statistic, its df and p-value."""

    groups: tuple[str, ...]
    n_per_group: tuple[int, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    statistic: float
    df: int
    p_value: float
    n: int
    n_missing: int
    stratified: bool
    method: str


def log_rank_test(
    times: Sequence[MaybeFloat],
    events: Sequence[MaybeBool],
    groups: Sequence[str],
    *,
    strata: Sequence[str] | None = None,
) -> LogRankTest:
    """Log-rank test of equal survival across ``groups`` (labels), stratified by ``strata`` if given.

    Subjects with a missing time or event indicator are left out and counted in ``n_missing``; a missing group
    or stratum label is an error.
    """
    check_same_length(times, groups, ("times", "groups"))
    check_same_length(times, events, ("times", "events"))
    labels = [check_label(group, f"groups[{index}]") for index, group in enumerate(groups)]
    if strata is None:
        stratum_labels = [""] * len(labels)
    else:
        check_same_length(times, strata, ("times", "strata"))
        stratum_labels = [check_label(stratum, f"strata[{index}]") for index, stratum in enumerate(strata)]

    complete = [index for index in range(len(labels)) if not (is_missing(times[index]) or is_missing(events[index]))]
    n_missing = len(labels) - len(complete)
    time_array, event_array, _ = survival_data([times[i] for i in complete], [events[i] for i in complete])
    group_array = np.asarray([labels[i] for i in complete], dtype=object)
    stratum_array = np.asarray([stratum_labels[i] for i in complete], dtype=object)

    group_names = tuple(sorted(set(group_array.tolist())))
    if len(group_names) < 2:
        raise ValidationError("groups", "needs at least two groups with observed subjects", list(group_names))
    k = len(group_names)
    group_index = np.asarray([group_names.index(g) for g in group_array], dtype=np.int64)

    observed = np.zeros(k)
    expected = np.zeros(k)
    covariance = np.zeros((k, k))
    for stratum in sorted(set(stratum_array.tolist())):
        in_stratum = stratum_array == stratum
        o, e, v = _stratum_terms(time_array[in_stratum], event_array[in_stratum], group_index[in_stratum], k)
        observed += o
        expected += e
        covariance += v

    difference = observed - expected
    statistic = float(difference @ np.linalg.pinv(covariance) @ difference)
    statistic = max(statistic, 0.0)
    # Groups with nobody at risk at any event time add no information (R's survdiff counts them out too).
    rank = int(np.linalg.matrix_rank(covariance)) if np.any(covariance) else 0
    df = rank if rank > 0 else k - 1
    p_value = float(stats.chi2.sf(statistic, df))
    return LogRankTest(
        groups=group_names,
        n_per_group=tuple(int(np.count_nonzero(group_index == g)) for g in range(k)),
        observed=tuple(float(x) for x in observed),
        expected=tuple(float(x) for x in expected),
        statistic=statistic,
        df=df,
        p_value=p_value,
        n=int(time_array.size),
        n_missing=n_missing,
        stratified=strata is not None,
        method=("stratified " if strata is not None else "")
        + f"log-rank test (Mantel-Haenszel), chi-square on {df} df",
    )


def _stratum_terms(
    time_array: np.ndarray, event_array: np.ndarray, group_index: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    observed = np.zeros(k)
    expected = np.zeros(k)
    covariance = np.zeros((k, k))
    for time in np.unique(time_array[event_array]):
        at_risk_mask = time_array >= time
        died_mask = (time_array == time) & event_array
        n_at_risk = np.bincount(group_index[at_risk_mask], minlength=k).astype(float)
        deaths = np.bincount(group_index[died_mask], minlength=k).astype(float)
        n_total = n_at_risk.sum()
        d_total = deaths.sum()
        share = n_at_risk / n_total
        observed += deaths
        expected += d_total * share
        if n_total > 1:
            factor = d_total * (n_total - d_total) / (n_total - 1)
            covariance += factor * (np.diag(share) - np.outer(share, share))
    return observed, expected, covariance
