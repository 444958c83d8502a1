"""BOIN decisions for a whole batch, from lookup tables of the design's own boundaries.

The tables are :func:`mexards.dosefinding.boin.boin_boundaries` (BOIN 2.7.2 ``get.boundary``) indexed by the
number of patients at the current dose. After a cohort at dose ``d`` with ``y`` DLTs in ``n`` patients, BOIN 2.7.2
``get.oc`` (dosefinding.md 1.1; Liu & Yuan 2015; Yuan et al. 2016) does, and so does this rule, per trial:

1. if ``y >= eliminate_min[n]``, dose ``d`` and all higher doses are eliminated; at the lowest dose the trial
   stops with no MTD; with ``extrasafe``, also stop at the lowest dose when ``y >= stop_min[n]``;
2. with ``n >= n_earlystop``, stop (and select) when the rule would stay, or would de-escalate from the lowest
   dose, or would escalate from the highest admissible dose;
3. escalate if ``y <= escalate_max[n]`` and the next dose is not eliminated (else stay); de-escalate if
   ``y >= deescalate_min[n]`` and ``d`` is not the lowest; else stay.

Eliminated doses are recomputed from the counts: elimination is checked after every cohort at its dose, so the
lowest dose whose counts reach the elimination boundary is the lowest eliminated dose. The final MTD is the
design's ``select_mtd``, called once per distinct final ``(n, y)`` and mapped back to the trials.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeGuard

import numpy as np
from numpy.typing import NDArray

from mexards.dosefinding import boin
from mexards.dosefinding.design import Design
from mexards.simulation.batch import BoolArray, IntArray, TrialBatch, distinct

NO_EARLY_STOP = 10**9

ESCALATE, STAY, DEESCALATE, ELIMINATE = 0, 1, 2, 3
"""Regions of the ``(n, y)`` plane at the current dose; elimination implies de-escalation (``b_d`` is capped)."""


def is_plain_boin(design: Design) -> TypeGuard[boin.BOIN]:
    """Whether ``design`` is the BOIN design itself (not wrapped by a modifier)."""
    return type(design) is boin.BOIN


class BOINRule:
    """Vectorised BOIN: decisions by table lookup, selection by ``select_mtd`` per distinct final state."""

    needs_histories = False

    def __init__(self, design: boin.BOIN) -> None:
        self.design = design
        self.name: str = design.name
        self.num_doses: int = design.num_doses
        self.target: float = float(design.target)
        self.p_tox: float | None = getattr(design, "p_tox", None)
        self.cutoff_eli: float = float(getattr(design, "cutoff_eli", 0.95))
        self.extrasafe: bool = bool(getattr(design, "extrasafe", False))
        self.offset: float = float(getattr(design, "offset", 0.05))
        earlystop = getattr(design, "n_earlystop", None)
        self.n_earlystop: int = NO_EARLY_STOP if earlystop is None else int(earlystop)
        self._tables: dict[str, NDArray[Any]] = {}

    def first_dose(self) -> int:
        """BOIN starts at the lowest dose unless the scenario says otherwise (``get.oc`` ``startdose=1``)."""
        recommended = self.design.fit(()).recommended_dose
        return 0 if recommended is None else int(recommended) - 1

    def _table(self, max_n: int) -> dict[str, NDArray[Any]]:
        """Per ``(n, y)`` (flattened as ``n * (size + 1) + y``): the rule's region and the stopping flags."""
        if not self._tables or int(self._tables["size"][0]) < max_n:
            size = max(max_n, 30)
            bounds = self.design.boundaries(size)
            n = np.arange(size + 1)[:, None]
            y = np.arange(size + 1)[None, :]
            never = size + 1  # a DLT count that can never be reached: "undefined" boundaries never fire
            eliminate = np.where(bounds.eliminate_min < 0, never, bounds.eliminate_min)[:, None]
            escalate = np.asarray(bounds.escalate_max)[:, None]
            deescalate = np.asarray(bounds.deescalate_min)[:, None]
            moving = np.where(y >= deescalate, DEESCALATE, STAY)
            region = np.where(y >= eliminate, ELIMINATE, np.where(y <= escalate, ESCALATE, moving))
            if bounds.stop_min is not None:
                stop_at = np.where(bounds.stop_min < 0, never, bounds.stop_min)[:, None]
                extrasafe_stop = y >= stop_at
            else:
                extrasafe_stop = np.zeros((size + 1, size + 1), dtype=np.bool_)
            self._tables = {
                "size": np.asarray([size], dtype=np.int64),
                "region": np.asarray(region, dtype=np.int64).reshape(-1),
                "extrasafe_stop": np.asarray(extrasafe_stop, dtype=np.bool_).reshape(-1),
                "n": np.broadcast_to(n, (size + 1, size + 1)).reshape(-1).copy(),
            }
        return self._tables

    def decide(self, batch: TrialBatch, rows: IntArray) -> tuple[IntArray, BoolArray]:
        """BOIN's next dose (or stop) for every row, from the counts at its current and next dose."""
        k = self.num_doses
        tables = self._table(int(batch.cohort_dose.shape[1]) * batch.cohort_size)
        width = int(tables["size"][0]) + 1
        region_of = tables["region"]
        d = batch.dose[rows]
        flat = rows * k + d
        n_flat = batch.n.reshape(-1)
        y_flat = batch.y.reshape(-1)
        cell = n_flat[flat] * width + y_flat[flat]
        region = region_of[cell]
        at_lowest = d == 0
        at_top = d == k - 1
        # The next dose is closed when it is above the highest dose or eliminated (its counts reached the
        # elimination boundary: a lower eliminated dose would have eliminated the current one too).
        up = np.where(at_top, flat, flat + 1)
        closed = at_top | (region_of[n_flat[up] * width + y_flat[up]] == ELIMINATE)
        escalate = region == ESCALATE
        deescalate = region >= DEESCALATE
        stop = at_lowest & (region == ELIMINATE)
        if self.extrasafe:
            stop |= at_lowest & tables["extrasafe_stop"][cell]
        if self.n_earlystop < NO_EARLY_STOP:
            converged = (region == STAY) | (at_lowest & deescalate) | (closed & escalate)
            stop |= (tables["n"][cell] >= self.n_earlystop) & converged
        step = (escalate & ~closed).astype(np.int64) - (deescalate & ~at_lowest).astype(np.int64)
        return d + step, stop

    def select(self, batch: TrialBatch, rows: IntArray) -> IntArray:
        """``select_mtd`` of the design's parameters, once per distinct final ``(n, y)``."""
        first, inverse = distinct(batch.codes(rows, with_position=False))
        chosen = np.empty(len(first), dtype=np.int64)
        parameters = (self.target, self.cutoff_eli, self.extrasafe, self.offset, self.p_tox)
        for i, row in enumerate(rows[first].tolist()):
            chosen[i] = _selected(parameters, tuple(batch.n[row].tolist()), tuple(batch.y[row].tolist()))
        return chosen[inverse]


@lru_cache(maxsize=1 << 16)
def _selected(
    parameters: tuple[float, float, bool, float, float | None], n: tuple[int, ...], y: tuple[int, ...]
) -> int:
    """``select_mtd`` (0-based, -1 for none); a pure function of its arguments, so it is memoised."""
    target, cutoff_eli, extrasafe, offset, p_tox = parameters
    mtd = boin.select_mtd(target, n, y, cutoff_eli=cutoff_eli, extrasafe=extrasafe, offset=offset, p_tox=p_tox)
    return -1 if mtd is None else mtd - 1
