"""BOIN: boundaries and MTD selection, exactly as the R package BOIN 2.7.2 (``get.boundary``, ``select.mtd``).

Sources:

- Liu S, Yuan Y (2015). Bayesian optimal interval designs for phase I clinical trials. JRSS-C 64:507-523,
  doi:10.1111/rssc.12089 (the lambdas, the local decision rule).
- Yuan Y, Hess KR, Hilsenbeck SG, Gilbert MR (2016). Clin Cancer Res 22:4291-4301 (elimination rule, isotonic
  MTD selection).
- Yan F, Zhang L, Zhou Y, Pan H, Liu S, Yuan Y (2020). BOIN: an R package... J Stat Softw 94(13).
- Reference notes ``dosefinding.md`` sections 1.1, 3.1 and 3.2, which record BOIN 2.7.2's behaviour.

Rules implemented (``dosefinding.md`` 1.1):

- ``lambda_e = log((1-p_saf)/(1-target)) / log(target(1-p_saf) / (p_saf(1-target)))`` and
  ``lambda_d = log((1-target)/(1-p_tox)) / log(p_tox(1-target) / (target(1-p_tox)))``, with the defaults
  ``p_saf = 0.6 target`` and ``p_tox = 1.4 target``.
- Escalate if ``y <= b_e(n) = floor(lambda_e n)``; de-escalate if ``y >= b_d(n) = ceil(lambda_d n)``, plus one
  when ``lambda_d n`` is an integer (to within 1e-12), i.e. de-escalate when ``y/n > lambda_d`` strictly.
- Eliminate (the dose and all higher doses) if ``y >= elim(n)``, the smallest ``y`` with
  ``P(p > target | Beta(y+1, n-y+1)) > cutoff_eli``; defined for ``n >= 3`` only.
- ``b_d(n)`` is capped by ``elim(n)``.
- With ``extrasafe``, the trial stops at the lowest dose when ``P(p1 > target) > cutoff_eli - offset`` (n >= 3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import betaincc

from mexards.domain.errors import ValidationError

INTEGER_TOLERANCE = 1e-12
"""Tolerance for deciding that ``lambda * n`` is an integer (BOIN 2.7.2 adds one to ``b_d`` in that case)."""

MIN_N_ELIMINATION = 3
"""Elimination is only considered once 3 or more patients were treated at a dose (BOIN 2.7.2)."""

UNDEFINED = -1
"""Marker in the boundary arrays where a boundary is undefined (index 0, or elimination at n < 3)."""


def check_target(target: float, field: str = "target") -> None:
    """A target DLT probability must lie strictly between 0 and 1."""
    if not isinstance(target, (int, float)) or isinstance(target, bool) or not 0.0 < float(target) < 1.0:
        raise ValidationError(field, "must be a probability strictly between 0 and 1", target)


def _resolve_p_saf_p_tox(target: float, p_saf: float | None, p_tox: float | None) -> tuple[float, float]:
    check_target(target)
    saf = 0.6 * target if p_saf is None else float(p_saf)
    tox = 1.4 * target if p_tox is None else float(p_tox)
    if not 0.0 < saf < target:
        raise ValidationError("p_saf", "must lie strictly between 0 and the target", p_saf)
    if not target < tox < 1.0:
        raise ValidationError("p_tox", "must lie strictly between the target and 1", p_tox)
    return saf, tox


def boin_lambdas(target: float, p_saf: float | None = None, p_tox: float | None = None) -> tuple[float, float]:
    """BOIN's escalation and de-escalation boundaries ``(lambda_e, lambda_d)`` (Liu & Yuan 2015, eq. 2.5)."""
    saf, tox = _resolve_p_saf_p_tox(target, p_saf, p_tox)
    lambda_e = math.log((1 - saf) / (1 - target)) / math.log(target * (1 - saf) / (saf * (1 - target)))
    lambda_d = math.log((1 - target) / (1 - tox)) / math.log(tox * (1 - target) / (target * (1 - tox)))
    return lambda_e, lambda_d


def prob_above(target: float, n: int, y: int) -> float:
    """``P(p > target | y DLTs in n)`` under the Beta(1, 1) prior: ``1 - pbeta(target, y+1, n-y+1)``."""
    return float(betaincc(y + 1, n - y + 1, target))


def _first_exceeding(target: float, n: int, cutoff: float) -> int:
    """Smallest y in 1..n with ``P(p > target | y, n) > cutoff``; ``UNDEFINED`` when none (or n < 3)."""
    if n < MIN_N_ELIMINATION:
        return UNDEFINED
    for y in range(1, n + 1):
        if prob_above(target, n, y) > cutoff:
            return y
    return UNDEFINED


def _floor_tolerant(x: float) -> int:
    nearest = round(x)
    return int(nearest) if abs(x - nearest) < INTEGER_TOLERANCE else math.floor(x)


def _deescalation_count(x: float) -> int:
    nearest = round(x)
    return int(nearest) + 1 if abs(x - nearest) < INTEGER_TOLERANCE else math.ceil(x)


def _readonly(values: list[int]) -> npt.NDArray[np.int64]:
    array = np.asarray(values, dtype=np.int64)
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class BOINBoundaries:
    """BOIN count boundaries as lookup arrays indexed by the number treated at a dose, ``n = 0..max_n``.

    ``escalate_max[n]``: escalate if #DLT <= it; ``deescalate_min[n]``: de-escalate if #DLT >= it (capped by
    elimination); ``eliminate_min[n]``: eliminate if #DLT >= it; ``stop_min[n]`` (extrasafe only): stop the trial
    at the lowest dose if #DLT >= it. Index 0 and undefined entries hold ``UNDEFINED`` (-1).
    """

    target: float
    max_n: int
    lambda_e: float
    lambda_d: float
    cutoff_eli: float
    escalate_max: npt.NDArray[np.int64]
    deescalate_min: npt.NDArray[np.int64]
    eliminate_min: npt.NDArray[np.int64]
    stop_min: npt.NDArray[np.int64] | None

    def eliminate_at(self, n: int) -> int | None:
        """Elimination boundary for ``n`` patients, None when undefined."""
        value = int(self.eliminate_min[n])
        return None if value == UNDEFINED else value

    def stop_at(self, n: int) -> int | None:
        """Extrasafe lowest-dose stopping boundary for ``n`` patients, None when undefined or not extrasafe."""
        if self.stop_min is None:
            return None
        value = int(self.stop_min[n])
        return None if value == UNDEFINED else value


def boin_boundaries(
    target: float,
    max_n: int,
    *,
    p_saf: float | None = None,
    p_tox: float | None = None,
    cutoff_eli: float = 0.95,
    extrasafe: bool = False,
    offset: float = 0.05,
) -> BOINBoundaries:
    """The full boundary table of BOIN 2.7.2 ``get.boundary`` for n = 1..max_n (``dosefinding.md`` 3.1)."""
    if isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < 1:
        raise ValidationError("max_n", "must be an integer >= 1", max_n)
    if not 0.0 < cutoff_eli < 1.0:
        raise ValidationError("cutoff_eli", "must be a probability strictly between 0 and 1", cutoff_eli)
    if extrasafe and not 0.0 <= offset < cutoff_eli:
        raise ValidationError("offset", "must be >= 0 and below cutoff_eli", offset)
    lambda_e, lambda_d = boin_lambdas(target, p_saf, p_tox)
    escalate = [UNDEFINED]
    deescalate = [UNDEFINED]
    eliminate = [UNDEFINED]
    stop = [UNDEFINED]
    for n in range(1, max_n + 1):
        elim = _first_exceeding(target, n, cutoff_eli)
        b_d = _deescalation_count(lambda_d * n)
        if elim != UNDEFINED:
            b_d = min(b_d, elim)
        escalate.append(_floor_tolerant(lambda_e * n))
        deescalate.append(b_d)
        eliminate.append(elim)
        stop.append(_first_exceeding(target, n, cutoff_eli - offset))
    return BOINBoundaries(
        target=float(target),
        max_n=max_n,
        lambda_e=lambda_e,
        lambda_d=lambda_d,
        cutoff_eli=cutoff_eli,
        escalate_max=_readonly(escalate),
        deescalate_min=_readonly(deescalate),
        eliminate_min=_readonly(eliminate),
        stop_min=_readonly(stop) if extrasafe else None,
    )


def pava(values: Sequence[float], weights: Sequence[float]) -> tuple[float, ...]:
    """Weighted isotonic (non-decreasing) regression by pooling the first adjacent violator, as BOIN's own PAVA.

    Repeatedly find the first ``i`` with ``x[i+1] < x[i]``, pool the two level sets containing ``i`` and ``i+1``
    into their weighted mean, until no violation is left (Barlow et al. 1972; BOIN 2.7.2 internal ``pava``).
    """
    x = [float(v) for v in values]
    w = [float(v) for v in weights]
    level = list(range(len(x)))
    while True:
        violator = next((i for i in range(len(x) - 1) if x[i + 1] - x[i] < 0), None)
        if violator is None:
            return tuple(x)
        a, b = level[violator], level[violator + 1]
        members = [j for j in range(len(x)) if level[j] in (a, b)]
        pooled = sum(x[j] * w[j] for j in members) / sum(w[j] for j in members)
        for j in members:
            x[j] = pooled
            level[j] = a


@dataclass(frozen=True)
class IsotonicEstimate:
    """BOIN's isotonic DLT estimates on the treated, admissible doses (1-based dose -> estimate)."""

    doses: tuple[int, ...]
    estimates: tuple[float, ...]


def isotonic_estimates(
    n_at_dose: Sequence[int], tox_at_dose: Sequence[int], admissible: Sequence[bool]
) -> IsotonicEstimate:
    """Weighted PAVA of ``(y + 0.05)/(n + 0.1)`` with inverse Beta(y+0.05, n-y+0.05) variance weights."""
    doses = tuple(i + 1 for i, (n, ok) in enumerate(zip(n_at_dose, admissible, strict=True)) if n > 0 and ok)
    raw: list[float] = []
    weights: list[float] = []
    for dose in doses:
        n, y = n_at_dose[dose - 1], tox_at_dose[dose - 1]
        raw.append((y + 0.05) / (n + 0.1))
        variance = (y + 0.05) * (n - y + 0.05) / ((n + 0.1) ** 2 * (n + 0.1 + 1))
        weights.append(1.0 / variance)
    return IsotonicEstimate(doses, pava(raw, weights))


def check_counts(n_at_dose: Sequence[int], tox_at_dose: Sequence[int]) -> None:
    """Counts per dose must be non-negative integers with ``0 <= tox <= n`` and equal lengths."""
    if len(n_at_dose) != len(tox_at_dose) or len(n_at_dose) == 0:
        raise ValidationError("tox_at_dose", "must have one entry per dose, like n_at_dose", tox_at_dose)
    for i, (n, y) in enumerate(zip(n_at_dose, tox_at_dose, strict=True)):
        if n < 0:
            raise ValidationError(f"n_at_dose[{i}]", "must be >= 0", n)
        if not 0 <= y <= n:
            raise ValidationError(f"tox_at_dose[{i}]", "must lie between 0 and the patients at that dose", y)


def select_mtd(
    target: float,
    n_at_dose: Sequence[int],
    tox_at_dose: Sequence[int],
    *,
    cutoff_eli: float = 0.95,
    extrasafe: bool = False,
    offset: float = 0.05,
    p_tox: float | None = None,
    bound_mtd: bool = False,
    max_dose: int | None = None,
) -> int | None:
    """The MTD as BOIN 2.7.2 ``select.mtd`` (``dosefinding.md`` 1.1, 3.2); None where R returns 99.

    Elimination is re-applied from the lowest dose upward (n >= 3; the first hit eliminates it and all higher
    doses); with ``extrasafe`` the lowest dose is also checked at ``cutoff_eli - offset``. Among treated,
    non-eliminated doses the isotonic estimates (see ``isotonic_estimates``) get ``i * 1e-10`` added (i = 1, 2,
    ...) and the dose minimising ``|p_hat - target|`` is selected. With ``bound_mtd`` the selected estimate must
    not exceed ``lambda_d``; otherwise the highest lower admissible dose whose estimate does is taken (None if
    none). ``max_dose`` (not in R) caps the candidate doses, for doses a live design has eliminated for good.
    """
    check_target(target)
    check_counts(n_at_dose, tox_at_dose)
    num_doses = len(n_at_dose)
    admissible = [True] * num_doses
    for i in range(num_doses):
        n, y = n_at_dose[i], tox_at_dose[i]
        if n >= MIN_N_ELIMINATION and prob_above(target, n, y) > cutoff_eli:
            admissible[i:] = [False] * (num_doses - i)
            break
    lowest_n, lowest_y = n_at_dose[0], tox_at_dose[0]
    if (
        extrasafe
        and lowest_n >= MIN_N_ELIMINATION
        and prob_above(target, lowest_n, lowest_y) > cutoff_eli - offset
    ):
        admissible = [False] * num_doses
    if max_dose is not None:
        admissible = [ok and i < max_dose for i, ok in enumerate(admissible)]
    if not admissible[0] or sum(n for n, ok in zip(n_at_dose, admissible, strict=True) if ok) == 0:
        return None
    iso = isotonic_estimates(n_at_dose, tox_at_dose, admissible)
    tie_broken = [p + (i + 1) * 1e-10 for i, p in enumerate(iso.estimates)]
    distances = [abs(p - target) for p in tie_broken]
    selected = min(range(len(distances)), key=distances.__getitem__)
    if bound_mtd:
        _, lambda_d = boin_lambdas(target, None, p_tox)
        while selected >= 0 and tie_broken[selected] > lambda_d:
            selected -= 1
        if selected < 0:
            return None
    return iso.doses[selected]
