"""The Phase 2 primary analysis of many simulated trials at once: ANCOVA or t tests from per-arm sums.

Each trial is reduced, per arm ``a``, to the complete-case sufficient statistics ``n_a``, ``sum x``, ``sum
y``, ``sum x^2``, ``sum xy``, ``sum y^2`` (``x`` the baseline P/F, ``y`` its change to the primary endpoint
day); the tests are closed-form functions of these sums, evaluated for every trial with numpy.

- **ANCOVA** (``analysis: ancova``; Vickers & Altman BMJ 2001, ICH E9 5.7, EMA/CHMP/295050/2013): one model
  ``y = mu_a + gamma x + e`` over all arms, common slope ``gamma = W_xy / W_xx`` from the pooled within-arm
  sums ``W``; residual variance ``s^2 = (W_yy - W_xy^2 / W_xx) / (N - K - 1)`` with ``K`` arms; contrast
  ``tau_a = (ybar_a - ybar_c) - gamma (xbar_a - xbar_c)`` with ``SE^2 = s^2 (1/n_a + 1/n_c + (xbar_a -
  xbar_c)^2 / W_xx)`` on ``N - K - 1`` df (the OLS estimate of :func:`mexards.analysis.regression.ancova`,
  treatment contrasts against control; Draper & Smith 1998 ch. 5).
- **t test** (``analysis: t_test``): Student's pooled two-sample t of the change, active arm against control
  only, on ``n_a + n_c - 2`` df (:func:`mexards.analysis.comparison.welch_t_test` with
  ``equal_variance=True``).

Two-sided p-values from Student's t (``scipy.special.stdtr``). A contrast that cannot be estimated (fewer than
two complete cases in an arm, no residual df, no baseline spread) has p-value 1: it never rejects.

**Multiplicity** (two active arms against one control; CHMP Guideline on multiplicity issues in clinical
trials, EMA/CHMP/44762/2017):

- ``fixed_sequence`` (the default; Maurer, Hothorn & Lehmacher 1995): test the highest dose (MTD) against
  control at level alpha; only if it is rejected, test the next dose (quarter-MTD) at alpha. The family-wise
  error rate is alpha exactly when the first test is exact, and the primary claim is "MTD better than
  control".
- ``bonferroni``: each comparison at alpha / 2; success when either is rejected (FWER <= alpha, conservative
  because the comparisons share the control arm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class ArmSums:
    """Complete-case sums of one arm, one value per trial."""

    n: FloatArray
    sx: FloatArray
    sy: FloatArray
    sxx: FloatArray
    sxy: FloatArray
    syy: FloatArray

    @classmethod
    def of(cls, x: FloatArray, y: FloatArray, observed: BoolArray) -> ArmSums:
        """Sums over the last axis of ``x``/``y`` (trials x patients) where ``observed``."""
        w = observed.astype(np.float64)
        xw = x * w
        yw = y * w
        return cls(
            n=w.sum(axis=-1),
            sx=xw.sum(axis=-1),
            sy=yw.sum(axis=-1),
            sxx=(xw * x).sum(axis=-1),
            sxy=(xw * y).sum(axis=-1),
            syy=(yw * y).sum(axis=-1),
        )

    def within(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Centred sums of squares and products ``(S_xx, S_xy, S_yy)`` (0 for an empty arm)."""
        n = np.maximum(self.n, 1.0)
        return (
            self.sxx - self.sx * self.sx / n,
            self.sxy - self.sx * self.sy / n,
            self.syy - self.sy * self.sy / n,
        )


@dataclass(frozen=True)
class Contrasts:
    """One comparison (active arm minus control) for every trial."""

    estimate: FloatArray
    std_error: FloatArray
    df: FloatArray
    p_value: FloatArray


def _p_values(estimate: FloatArray, variance: FloatArray, df: FloatArray, valid: BoolArray) -> Contrasts:
    ok = valid & (variance > 0.0) & (df > 0.0)
    se = np.sqrt(np.where(ok, variance, 1.0))
    t = np.where(ok, estimate / se, 0.0)
    p = np.where(ok, 2.0 * special.stdtr(np.where(ok, df, 1.0), -np.abs(t)), 1.0)
    return Contrasts(
        estimate=np.where(ok, estimate, np.nan),
        std_error=np.where(ok, se, np.nan),
        df=df,
        p_value=np.asarray(p, dtype=np.float64),
    )


def ancova_contrasts(arms: Sequence[ArmSums], control: int) -> list[Contrasts]:
    """ANCOVA treatment contrasts of every arm other than ``control`` (in arm order)."""
    wxx = sum((a.within()[0] for a in arms), np.zeros_like(arms[0].n))
    wxy = sum((a.within()[1] for a in arms), np.zeros_like(arms[0].n))
    wyy = sum((a.within()[2] for a in arms), np.zeros_like(arms[0].n))
    total = sum((a.n for a in arms), np.zeros_like(arms[0].n))
    df = total - len(arms) - 1.0
    safe_wxx = np.where(wxx > 0.0, wxx, 1.0)
    gamma = wxy / safe_wxx
    rss = np.maximum(wyy - wxy * gamma, 0.0)
    s2 = rss / np.where(df > 0.0, df, 1.0)
    c = arms[control]
    nc = np.maximum(c.n, 1.0)
    out: list[Contrasts] = []
    for index, a in enumerate(arms):
        if index == control:
            continue
        na = np.maximum(a.n, 1.0)
        dx = a.sx / na - c.sx / nc
        dy = a.sy / na - c.sy / nc
        estimate = dy - gamma * dx
        variance = s2 * (1.0 / na + 1.0 / nc + dx * dx / safe_wxx)
        valid = (a.n >= 1.0) & (c.n >= 1.0) & (wxx > 0.0)
        out.append(_p_values(estimate, variance, df, valid))
    return out


def t_test_contrasts(arms: Sequence[ArmSums], control: int) -> list[Contrasts]:
    """Student pooled two-sample t of each active arm against ``control`` (in arm order)."""
    c = arms[control]
    _, _, ss_c = c.within()
    out: list[Contrasts] = []
    for index, a in enumerate(arms):
        if index == control:
            continue
        _, _, ss_a = a.within()
        na = np.maximum(a.n, 1.0)
        nc = np.maximum(c.n, 1.0)
        df = a.n + c.n - 2.0
        pooled = (ss_a + ss_c) / np.where(df > 0.0, df, 1.0)
        variance = pooled * (1.0 / na + 1.0 / nc)
        valid = (a.n >= 2.0) & (c.n >= 2.0)
        out.append(_p_values(a.sy / na - c.sy / nc, variance, df, valid))
    return out


def contrasts(arms: Sequence[ArmSums], control: int, method: str) -> list[Contrasts]:
    """The scenario's analysis (``ancova`` or ``t_test``) of every active arm against ``control``."""
    if method == "ancova":
        return ancova_contrasts(arms, control)
    return t_test_contrasts(arms, control)


def rejections(
    p_values: Sequence[FloatArray], order: Sequence[int], alpha: float, method: str
) -> list[BoolArray]:
    """Which hypotheses each trial rejects, in the order of ``p_values``, after multiplicity adjustment.

    ``order`` lists the comparisons from first to last tested (fixed sequence: highest dose first); one-sided
    benefit is not assumed: the tests are two-sided at ``alpha`` (or ``alpha / m`` for Bonferroni).
    """
    m = len(p_values)
    if method == "bonferroni":
        return [p < alpha / m for p in p_values]
    rejected: list[BoolArray] = [np.zeros_like(p_values[0], dtype=np.bool_) for _ in range(m)]
    still = np.ones_like(p_values[0], dtype=np.bool_)
    for index in order:
        still = still & (p_values[index] < alpha)
        rejected[index] = still
    return rejected
