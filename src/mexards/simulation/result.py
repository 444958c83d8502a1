"""Operating characteristics of a dose-finding design and the sums they are computed from.

Both simulators reduce their trials (Monte Carlo, weight 1 each) or terminal dose paths (exact enumeration,
weight = path probability) to :class:`OCSums`: weighted sums and sums of squares per dose. Sums of chunks are
added in chunk order; with integer weights they are exact, so the result does not depend on how the trials were
split or where they ran.

The summaries follow BOIN 2.7.2 ``get.oc`` (dosefinding.md 1.1): selection probability per dose and of no MTD,
mean patients and DLTs per dose. Added: the probability of stopping before the planned number of cohorts, and
overdosing relative to the *true MTD* (the highest dose whose true DLT rate is at most the target).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass
class OCSums:
    """Weighted sums over finished trials. Doses are 0-based; ``select[K]`` counts "no MTD"."""

    num_doses: int
    weight: float = 0.0
    select: FloatArray = field(default_factory=lambda: np.zeros(0))
    n: FloatArray = field(default_factory=lambda: np.zeros(0))
    n_sq: FloatArray = field(default_factory=lambda: np.zeros(0))
    dlt: FloatArray = field(default_factory=lambda: np.zeros(0))
    dlt_sq: FloatArray = field(default_factory=lambda: np.zeros(0))
    total_n_sq: float = 0.0
    total_dlt_sq: float = 0.0
    stopped_early: float = 0.0
    treated_above: float = 0.0
    n_above: float = 0.0
    n_above_sq: float = 0.0
    select_above: float = 0.0

    def __post_init__(self) -> None:
        k = self.num_doses
        for name, size in (("select", k + 1), ("n", k), ("n_sq", k), ("dlt", k), ("dlt_sq", k)):
            if getattr(self, name).size == 0:
                setattr(self, name, np.zeros(size))

    def add(
        self,
        weights: FloatArray | None,
        n: NDArray[np.int64],
        dlt: NDArray[np.int64],
        selected: NDArray[np.int64],
        stopped_early: NDArray[np.bool_],
        above: tuple[bool, ...] | None,
    ) -> None:
        """Add finished rows (0-based ``selected``, -1 = none) with their weights (``None``: one each)."""
        k = self.num_doses

        def total(values: NDArray[Any]) -> Any:
            if weights is None:
                return values.sum(axis=0, dtype=np.float64)
            w = weights.reshape((-1,) + (1,) * (values.ndim - 1))
            return (w * values).sum(axis=0)

        total_n = n.sum(axis=1)
        total_y = dlt.sum(axis=1)
        self.weight += float(len(selected) if weights is None else weights.sum())
        index = np.where(selected < 0, k, selected)
        self.select += np.bincount(index, weights=weights, minlength=k + 1)
        self.n += total(n)
        self.n_sq += total(n * n)
        self.dlt += total(dlt)
        self.dlt_sq += total(dlt * dlt)
        self.total_n_sq += float(total(total_n * total_n))
        self.total_dlt_sq += float(total(total_y * total_y))
        self.stopped_early += float(total(stopped_early))
        if above is not None:
            mask = np.asarray(above, dtype=np.bool_)
            n_above = n[:, mask].sum(axis=1)
            self.treated_above += float(total(n_above > 0))
            self.n_above += float(total(n_above))
            self.n_above_sq += float(total(n_above * n_above))
            chosen_above = np.zeros(len(selected), dtype=np.bool_)
            valid = selected >= 0
            chosen_above[valid] = mask[selected[valid]]
            self.select_above += float(total(chosen_above))

    def merge(self, other: OCSums) -> OCSums:
        """The sums of both (``self`` first)."""
        out = OCSums(self.num_doses)
        for name in ("weight", "total_n_sq", "total_dlt_sq", "stopped_early", "treated_above", "n_above",
                     "n_above_sq", "select_above"):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        for name in ("select", "n", "n_sq", "dlt", "dlt_sq"):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        return out


@dataclass(frozen=True)
class OperatingCharacteristics:
    """Operating characteristics of one design under one scenario.

    Doses are 1-based in the sense that ``p_select[0]`` is dose 1. ``trials`` and ``seed`` are ``None`` for
    exact results; Monte Carlo results carry ``standard_errors`` (same keys as the estimates).
    """

    design: str
    true_tox: tuple[float, ...]
    target: float | None
    cohort_size: int
    num_cohorts: int
    p_select: tuple[float, ...]
    p_no_mtd: float
    mean_n: tuple[float, ...]
    mean_dlt: tuple[float, ...]
    mean_total_n: float
    mean_total_dlt: float
    p_stop_early: float
    true_mtd: int | None
    p_select_above_mtd: float | None
    p_treated_above_mtd: float | None
    mean_n_above_mtd: float | None
    trials: int | None
    seed: int | None
    standard_errors: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (lists for per-dose values)."""
        return {
            "design": self.design,
            "true_tox": list(self.true_tox),
            "target": self.target,
            "cohort_size": self.cohort_size,
            "num_cohorts": self.num_cohorts,
            "p_select": list(self.p_select),
            "p_no_mtd": self.p_no_mtd,
            "mean_n": list(self.mean_n),
            "mean_dlt": list(self.mean_dlt),
            "mean_total_n": self.mean_total_n,
            "mean_total_dlt": self.mean_total_dlt,
            "p_stop_early": self.p_stop_early,
            "true_mtd": self.true_mtd,
            "p_select_above_mtd": self.p_select_above_mtd,
            "p_treated_above_mtd": self.p_treated_above_mtd,
            "mean_n_above_mtd": self.mean_n_above_mtd,
            "trials": self.trials,
            "seed": self.seed,
            "standard_errors": self.standard_errors,
        }


def _mean_se(total: float, total_sq: float, count: float) -> float:
    if count < 2:
        return math.nan
    variance = max(total_sq - total * total / count, 0.0) / (count - 1)
    return math.sqrt(variance / count)


def _proportion_se(p: float, count: float) -> float:
    return math.sqrt(max(p * (1.0 - p), 0.0) / count) if count > 0 else math.nan


def summarise(
    sums: OCSums,
    *,
    design: str,
    true_tox: tuple[float, ...],
    target: float | None,
    true_mtd: int | None,
    cohort_size: int,
    num_cohorts: int,
    trials: int | None,
    seed: int | None,
) -> OperatingCharacteristics:
    """Turn sums into probabilities and means; add standard errors when ``trials`` is given (Monte Carlo)."""
    w = sums.weight
    k = sums.num_doses
    p_select = sums.select / w
    mean_n = sums.n / w
    mean_dlt = sums.dlt / w
    has_target = target is not None
    oc = OperatingCharacteristics(
        design=design,
        true_tox=true_tox,
        target=target,
        cohort_size=cohort_size,
        num_cohorts=num_cohorts,
        p_select=tuple(float(p) for p in p_select[:k]),
        p_no_mtd=float(p_select[k]),
        mean_n=tuple(float(v) for v in mean_n),
        mean_dlt=tuple(float(v) for v in mean_dlt),
        mean_total_n=float(sums.n.sum() / w),
        mean_total_dlt=float(sums.dlt.sum() / w),
        p_stop_early=sums.stopped_early / w,
        true_mtd=true_mtd,
        p_select_above_mtd=sums.select_above / w if has_target else None,
        p_treated_above_mtd=sums.treated_above / w if has_target else None,
        mean_n_above_mtd=sums.n_above / w if has_target else None,
        trials=trials,
        seed=seed,
    )
    if trials is None:
        return oc
    errors: dict[str, Any] = {
        "p_select": [_proportion_se(float(p), w) for p in p_select[:k]],
        "p_no_mtd": _proportion_se(float(p_select[k]), w),
        "mean_n": [_mean_se(float(sums.n[i]), float(sums.n_sq[i]), w) for i in range(k)],
        "mean_dlt": [_mean_se(float(sums.dlt[i]), float(sums.dlt_sq[i]), w) for i in range(k)],
        "mean_total_n": _mean_se(float(sums.n.sum()), sums.total_n_sq, w),
        "mean_total_dlt": _mean_se(float(sums.dlt.sum()), sums.total_dlt_sq, w),
        "p_stop_early": _proportion_se(oc.p_stop_early, w),
    }
    if has_target:
        errors["p_select_above_mtd"] = _proportion_se(sums.select_above / w, w)
        errors["p_treated_above_mtd"] = _proportion_se(sums.treated_above / w, w)
        errors["mean_n_above_mtd"] = _mean_se(sums.n_above, sums.n_above_sq, w)
    return OperatingCharacteristics(**{**oc.__dict__, "standard_errors": errors})
