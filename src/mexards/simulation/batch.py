"""The state of many dose-finding trials (or of many enumerated dose paths), held as numpy arrays.

Rows are trials (Monte Carlo) or distinct states (exact enumeration). Doses are 0-based inside the arrays and
1-based at the boundary with :mod:`mexards.dosefinding`.

The *state key* of a row is ``(current dose, DLTs in the last cohort, n per dose, DLTs per dose)``. The designs
of :mod:`mexards.dosefinding` decide from these alone: BOIN from the counts at the current dose and the
eliminated doses (which the counts determine, as elimination is checked after every cohort at its dose), CRM from
the posterior (a function of the counts) and the coherence restriction (the last cohort), the 3+3 from the counts
at the current and neighbouring doses, the modifiers from counts. Rows with the same key are therefore merged in
the exact enumeration and share one live ``fit`` call; the agreement tests replay whole trials through ``fit``
to check this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mexards.dosefinding.outcome import Cohort

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass
class TrialBatch:
    """Counts and histories of a batch of trials that advance cohort by cohort.

    ``n``/``y``: patients and DLTs per dose (rows x doses); ``dose``: the dose of the last cohort (0-based);
    ``last_tox``: DLTs in the last cohort; ``cohort_dose``: the dose of every cohort so far (-1 = not treated);
    ``tox``: every patient's DLT indicator in order of enrolment (only kept when a rule needs histories).
    """

    n: IntArray
    y: IntArray
    dose: IntArray
    last_tox: IntArray
    cohort_dose: IntArray
    tox: BoolArray | None
    cohort_size: int

    @classmethod
    def empty(
        cls, rows: int, num_doses: int, num_cohorts: int, cohort_size: int, start: int, *, histories: bool
    ) -> TrialBatch:
        """A batch of ``rows`` trials before the first cohort, all at dose ``start`` (0-based)."""
        return cls(
            n=np.zeros((rows, num_doses), dtype=np.int64),
            y=np.zeros((rows, num_doses), dtype=np.int64),
            dose=np.full(rows, start, dtype=np.int64),
            last_tox=np.zeros(rows, dtype=np.int64),
            cohort_dose=np.full((rows, num_cohorts), -1, dtype=np.int64),
            tox=np.zeros((rows, num_cohorts * cohort_size), dtype=np.bool_) if histories else None,
            cohort_size=cohort_size,
        )

    def take(self, rows: IntArray) -> TrialBatch:
        """A new batch made of the given rows (copies)."""
        return TrialBatch(
            n=self.n[rows],
            y=self.y[rows],
            dose=self.dose[rows],
            last_tox=self.last_tox[rows],
            cohort_dose=self.cohort_dose[rows],
            tox=None if self.tox is None else self.tox[rows],
            cohort_size=self.cohort_size,
        )

    @property
    def num_doses(self) -> int:
        """Doses per row."""
        return int(self.n.shape[1])

    def history(self, row: int) -> tuple[Cohort, ...]:
        """The cohorts of one row as :class:`~mexards.dosefinding.outcome.Cohort` (1-based doses)."""
        if self.tox is None:
            raise ValueError("this batch keeps no patient histories")
        size = self.cohort_size
        cohorts: list[Cohort] = []
        for j, dose in enumerate(self.cohort_dose[row]):
            if dose < 0:
                break
            flags = self.tox[row, j * size : (j + 1) * size]
            cohorts.append(Cohort(dose=int(dose) + 1, tox=tuple(bool(f) for f in flags)))
        return tuple(cohorts)

    def key(self, row: int) -> tuple[int, ...]:
        """The state key of one row as a hashable tuple."""
        return (
            int(self.dose[row]),
            int(self.last_tox[row]),
            *(int(v) for v in self.n[row]),
            *(int(v) for v in self.y[row]),
        )

    def codes(self, rows: IntArray, *, with_position: bool = True) -> IntArray:
        """An integer code per row, equal for equal state keys (counts only when ``with_position`` is False).

        A mixed-radix number when it fits in 63 bits, otherwise the rank among the distinct rows of ``rows``.
        """
        max_n = max(int(self.cohort_dose.shape[1]) * self.cohort_size, 1)
        columns: list[tuple[IntArray, int]] = []
        if with_position:
            columns.append((self.dose[rows], self.num_doses))
            columns.append((self.last_tox[rows], self.cohort_size + 1))
        for k in range(self.num_doses):
            columns.append((self.n[rows, k], max_n + 1))
            columns.append((self.y[rows, k], max_n + 1))
        if sum(math.log2(radix) for _, radix in columns) < 62:
            code = np.zeros(len(rows), dtype=np.int64)
            for values, radix in columns:
                code = code * radix + values
            return code
        stacked = np.stack([values for values, _ in columns], axis=1)
        _, inverse = np.unique(stacked, axis=0, return_inverse=True)
        return np.asarray(inverse, dtype=np.int64).reshape(-1)


def distinct(codes: IntArray) -> tuple[IntArray, IntArray]:
    """Indices of the first row of each distinct code, and for every row the index of its distinct code."""
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    return np.asarray(first, dtype=np.int64), np.asarray(inverse, dtype=np.int64).reshape(-1)
