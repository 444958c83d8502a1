"""Operating characteristics of the whole seamless Phase 1/2 trial, and the per-chunk sums they come from.

A chunk of simulated trials is reduced to :class:`WholeTrialSums` (counts and sums of squares); chunk sums are
added in chunk order, so the result depends only on the seed and the number of trials.
:func:`summarise_trials` turns the sums into probabilities and means with Monte Carlo standard errors
(binomial ``sqrt(p(1-p)/N)`` for probabilities, ``sd / sqrt(N)`` for means).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mexards.simulation.result import OCSums, OperatingCharacteristics

FloatArray = NDArray[np.float64]


@dataclass
class WholeTrialSums:
    """Sums over the trials of one chunk (arrays are per effect scale ``s`` and per comparison ``c``)."""

    phase1: OCSums
    scales: int
    comparisons: int
    trials: int = 0
    correct_mtd: int = 0
    phase2: int = 0
    success: FloatArray = field(default_factory=lambda: np.zeros(0))
    rejected: FloatArray = field(default_factory=lambda: np.zeros(0))
    marginal: FloatArray = field(default_factory=lambda: np.zeros(0))
    estimate: FloatArray = field(default_factory=lambda: np.zeros(0))
    estimate_sq: FloatArray = field(default_factory=lambda: np.zeros(0))
    estimated: FloatArray = field(default_factory=lambda: np.zeros(0))
    true_effect: FloatArray = field(default_factory=lambda: np.zeros(0))
    analysed: FloatArray = field(default_factory=lambda: np.zeros(0))
    totals: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s, c = self.scales, self.comparisons
        for name, shape in (
            ("success", (s,)),
            ("rejected", (s, c)),
            ("marginal", (s, c)),
            ("estimate", (s, c)),
            ("estimate_sq", (s, c)),
            ("estimated", (s, c)),
            ("true_effect", (s, c)),
            ("analysed", (s,)),
        ):
            if getattr(self, name).size == 0:
                setattr(self, name, np.zeros(shape))

    def add_total(self, name: str, values: FloatArray) -> None:
        """Add the sum and the sum of squares of a per-trial quantity."""
        self.totals[name] = self.totals.get(name, 0.0) + float(values.sum())
        self.totals[f"{name}_sq"] = self.totals.get(f"{name}_sq", 0.0) + float((values * values).sum())

    def merge(self, other: WholeTrialSums) -> WholeTrialSums:
        """The sums of both chunks (``self`` first)."""
        out = WholeTrialSums(self.phase1.merge(other.phase1), self.scales, self.comparisons)
        for name in ("trials", "correct_mtd", "phase2"):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        for name in (
            "success",
            "rejected",
            "marginal",
            "estimate",
            "estimate_sq",
            "estimated",
            "true_effect",
            "analysed",
        ):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.totals = {
            k: self.totals.get(k, 0.0) + other.totals.get(k, 0.0) for k in {*self.totals, *other.totals}
        }
        return out


def _p_se(count: float, total: float) -> tuple[float, float]:
    if total <= 0:
        return math.nan, math.nan
    p = count / total
    return p, math.sqrt(max(p * (1.0 - p), 0.0) / total)


def _mean_sd_se(total: float, total_sq: float, count: float) -> dict[str, float]:
    if count <= 0:
        return {"mean": math.nan, "sd": math.nan, "se": math.nan}
    mean = total / count
    variance = max(total_sq - total * total / count, 0.0) / (count - 1) if count > 1 else math.nan
    sd = math.sqrt(variance) if math.isfinite(variance) else math.nan
    return {"mean": mean, "sd": sd, "se": sd / math.sqrt(count) if math.isfinite(sd) else math.nan}


@dataclass(frozen=True)
class CurvePoint:
    """Phase 2 results at one multiple ``scale`` of the scenario's dose-response (0 = null)."""

    scale: float
    mean_effect_mmhg: tuple[float, ...]
    p_success: float
    p_success_se: float
    p_success_given_phase2: float
    p_success_given_phase2_se: float
    p_reject: tuple[float, ...]
    p_reject_marginal: tuple[float, ...]
    mean_estimate_mmhg: tuple[float, ...]
    mean_analysed: float


@dataclass(frozen=True)
class WholeTrialResult:
    """Operating characteristics of the seamless design under one scenario (see ``to_dict`` for the keys)."""

    scenario: str
    protocol: str
    design: str
    trials: int
    seed: int
    chunks: int
    phase1: OperatingCharacteristics
    p_correct_mtd: float
    p_correct_mtd_se: float
    p_phase2: float
    p_phase2_se: float
    comparisons: tuple[str, ...]
    primary_comparison: str
    arm_sizes: dict[str, int]
    analysis: str
    multiplicity: str
    alpha: float
    primary_endpoint_day: int
    power: CurvePoint
    type_i_error: CurvePoint
    power_curve: tuple[CurvePoint, ...]
    sample_size: dict[str, dict[str, float]]
    duration_days: dict[str, dict[str, float]]
    eligible_fraction: float
    expected_screened: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""

        def point(p: CurvePoint) -> dict[str, Any]:
            return {k: list(v) if isinstance(v, tuple) else v for k, v in p.__dict__.items()}

        return {
            "scenario": self.scenario,
            "protocol": self.protocol,
            "design": self.design,
            "trials": self.trials,
            "seed": self.seed,
            "chunks": self.chunks,
            "phase1": self.phase1.to_dict(),
            "true_mtd": self.phase1.true_mtd,
            "p_correct_mtd": self.p_correct_mtd,
            "p_correct_mtd_se": self.p_correct_mtd_se,
            "p_select": list(self.phase1.p_select),
            "p_no_mtd": self.phase1.p_no_mtd,
            "p_phase2": self.p_phase2,
            "p_phase2_se": self.p_phase2_se,
            "comparisons": list(self.comparisons),
            "primary_comparison": self.primary_comparison,
            "arm_sizes": dict(self.arm_sizes),
            "analysis": self.analysis,
            "multiplicity": self.multiplicity,
            "alpha": self.alpha,
            "primary_endpoint_day": self.primary_endpoint_day,
            "power": point(self.power),
            "type_i_error": point(self.type_i_error),
            "power_curve": [point(p) for p in self.power_curve],
            "sample_size": self.sample_size,
            "duration_days": self.duration_days,
            "eligible_fraction": self.eligible_fraction,
            "expected_screened": self.expected_screened,
            "notes": list(self.notes),
        }


def curve_points(sums: WholeTrialSums, scales: tuple[float, ...]) -> tuple[CurvePoint, ...]:
    """One :class:`CurvePoint` per effect scale."""
    points: list[CurvePoint] = []
    run = float(sums.phase2)
    for i, scale in enumerate(scales):
        p, se = _p_se(float(sums.success[i]), float(sums.trials))
        q, qse = _p_se(float(sums.success[i]), run)
        points.append(
            CurvePoint(
                scale=scale,
                mean_effect_mmhg=tuple(float(v) / run if run else math.nan for v in sums.true_effect[i]),
                p_success=p,
                p_success_se=se,
                p_success_given_phase2=q,
                p_success_given_phase2_se=qse,
                p_reject=tuple(float(v) / run if run else math.nan for v in sums.rejected[i]),
                p_reject_marginal=tuple(float(v) / run if run else math.nan for v in sums.marginal[i]),
                mean_estimate_mmhg=tuple(
                    float(e) / float(n) if n else math.nan
                    for e, n in zip(sums.estimate[i], sums.estimated[i], strict=True)
                ),
                mean_analysed=float(sums.analysed[i]) / run if run else math.nan,
            )
        )
    return tuple(points)


def summary_of_totals(sums: WholeTrialSums, names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Mean, SD and standard error of each per-trial total named in ``names`` (over all trials)."""
    return {
        name: _mean_sd_se(sums.totals.get(name, 0.0), sums.totals.get(f"{name}_sq", 0.0), float(sums.trials))
        for name in names
    }


def proportion(count: float, total: float) -> tuple[float, float]:
    """A proportion and its binomial standard error."""
    return _p_se(count, total)
