"""The reference rule: ask the design's live ``fit`` once per distinct state of the batch.

Rows with the same state key (see :mod:`mexards.simulation.batch`) share one ``fit`` call on the history of the
first of them; the decision (next dose, stop, MTD if stopped now) is memoised by key, so a design is asked about
each reachable state at most once per process however many trials pass through it.
"""

from __future__ import annotations

import numpy as np

from mexards.dosefinding.design import Decision, Design
from mexards.simulation.batch import BoolArray, IntArray, TrialBatch, distinct


def _zero_based(dose: int | None) -> int:
    return -1 if dose is None else dose - 1


class LiveFitRule:
    """Decisions straight from ``design.fit``; works for every design and modifier."""

    needs_histories = True

    def __init__(self, design: Design) -> None:
        self.design = design
        self.name = design.name
        self.num_doses = design.num_doses
        self._memo: dict[tuple[int, ...], tuple[int, bool, int]] = {}
        self._first: int | None = None

    def first_dose(self) -> int:
        """The dose the design recommends before any patient is treated (dose 1 if it names none)."""
        if self._first is None:
            decision: Decision = self.design.fit(())
            self._first = 0 if decision.recommended_dose is None else decision.recommended_dose - 1
        return self._first

    def _answers(self, batch: TrialBatch, rows: IntArray) -> tuple[IntArray, BoolArray, IntArray]:
        first, inverse = distinct(batch.codes(rows))
        size = len(first)
        next_dose = np.empty(size, dtype=np.int64)
        stop = np.empty(size, dtype=np.bool_)
        mtd = np.empty(size, dtype=np.int64)
        for i, position in enumerate(first):
            row = int(rows[position])
            key = batch.key(row)
            answer = self._memo.get(key)
            if answer is None:
                decision = self.design.fit(batch.history(row))
                answer = (
                    _zero_based(decision.recommended_dose),
                    (not decision.should_continue) or decision.recommended_dose is None,
                    _zero_based(decision.mtd),
                )
                self._memo[key] = answer
            next_dose[i], stop[i], mtd[i] = answer
        return next_dose[inverse], stop[inverse], mtd[inverse]

    def decide(self, batch: TrialBatch, rows: IntArray) -> tuple[IntArray, BoolArray]:
        """Next dose and stop flag from ``fit`` on each distinct state."""
        next_dose, stop, _ = self._answers(batch, rows)
        return next_dose, stop

    def select(self, batch: TrialBatch, rows: IntArray) -> IntArray:
        """The design's ``mtd`` for the final data of each row."""
        _, _, mtd = self._answers(batch, rows)
        return mtd
