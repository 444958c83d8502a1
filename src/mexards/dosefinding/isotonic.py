"""Isotonic DLT estimates as BOIN 2.7.2 computes them for MTD selection.

Sources: Barlow RE, Bartholomew DJ, Bremner JM, Brunk HD (1972), Statistical inference under order
restrictions (pool-adjacent-violators); Yuan Y et al. (2016) Clin Cancer Res 22:4291 (isotonic MTD selection
of BOIN); reference notes ``dosefinding.md`` 1.1 (weights, the 0.05/0.1 continuity terms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def pava(values: Sequence[float], weights: Sequence[float]) -> tuple[float, ...]:
    """Weighted non-decreasing isotonic regression pooling the first adjacent violator (BOIN's own PAVA).

    Repeatedly find the first ``i`` with ``x[i+1] < x[i]``, pool the two level sets containing ``i`` and
    ``i+1`` into their weighted mean, until no violation is left (Barlow et al. 1972; BOIN 2.7.2 internal
    ``pava``).
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
