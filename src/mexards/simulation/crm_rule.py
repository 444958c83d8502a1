"""CRM decisions for a whole batch: the posterior on a fixed quadrature grid, one matrix product per cohort.

The model and rules are dfcrm 0.2-2.1's (``crm``, ``crmsim``; O'Quigley, Pepe & Fisher 1990; Cheung 2011;
dosefinding.md 1.2):

- empiric: ``p_k(a) = skeleton_k ** exp(a)``; logistic: ``logit p_k(a) = intcpt + exp(a) x_k`` with
  ``x_k = logit(skeleton_k) - intcpt``; prior ``a ~ N(0, prior_sd**2)``;
- the estimate is the posterior mean of ``a``; ``p_hat_k = p_k(estimate)``;
- the MTD is the dose with ``p_hat`` closest to the target (the highest dose if all are below it, the lowest if
  all are above it; ties go to the lower dose, as R's ``order``);
- with ``restrict`` the next dose is ``min(MTD, last dose)`` when the DLT rate of the last cohort is at least the
  target (coherence), else ``min(MTD, last dose + 1)`` (no skipping); the final selection is the unrestricted MTD.

The log-likelihood of every distinct state of the batch is ``Y . log P + (N - Y) . log(1 - P)``, a
``(states x K) . (K x G)`` product with the model's ``P`` tabulated on the design's grid of ``G`` abscissae;
the posterior mean is then a weighted sum over the grid. States are the distinct count vectors of the batch,
so a cohort costs one product however many trials share a state.
"""

from __future__ import annotations

from typing import TypeGuard

import numpy as np
from numpy.typing import NDArray

from mexards.dosefinding.crm import CRM, QUADRATURE_NODES, QUADRATURE_WEIGHTS, log_tox_terms, tox_probabilities
from mexards.dosefinding.design import Design
from mexards.simulation.batch import BoolArray, IntArray, TrialBatch, distinct

FloatArray = NDArray[np.float64]

BLOCK_ROWS = 64
"""Distinct states per block of the posterior computation (64 x 2001 doubles = 1 MB of work space)."""


def is_plain_crm(design: Design) -> TypeGuard[CRM]:
    """Whether ``design`` is the CRM design itself (not wrapped by a modifier)."""
    return type(design) is CRM


class CRMRule:
    """Vectorised dfcrm CRM (Bayes, empiric or logistic), with dfcrm's coherence restriction."""

    needs_histories = False

    def __init__(self, design: CRM) -> None:
        self.design = design
        self.name: str = design.name
        self.num_doses: int = design.num_doses
        self.target = design.target
        self.restrict = bool(design.restrict)
        self._log_p, self._log_q = log_tox_terms(design.skeleton, design.model, design.intcpt)
        self._log_prior = -0.5 * (QUADRATURE_NODES / design.prior_sd) ** 2

    def first_dose(self) -> int:
        """The design's start dose (0-based)."""
        recommended = self.design.fit(()).recommended_dose
        return 0 if recommended is None else int(recommended) - 1

    def mtd(self, n: IntArray, y: IntArray) -> IntArray:
        """dfcrm's MTD (0-based) for each row of counts: the posterior mean on the design's grid, then the
        dose whose plug-in DLT probability is closest to the target (the lower dose on ties).

        Rows are processed in blocks of :data:`BLOCK_ROWS` so that the (rows x grid) work arrays stay small.
        """
        nf = n.astype(np.float64)
        yf = y.astype(np.float64)
        estimate = np.empty(len(nf))
        for start in range(0, len(nf), BLOCK_ROWS):
            rows = slice(start, start + BLOCK_ROWS)
            log_post = yf[rows] @ self._log_p
            log_post += (nf[rows] - yf[rows]) @ self._log_q
            log_post += self._log_prior
            log_post -= log_post.max(axis=1, keepdims=True)
            kernel = np.exp(log_post, out=log_post)
            kernel *= QUADRATURE_WEIGHTS
            estimate[rows] = (kernel @ QUADRATURE_NODES) / kernel.sum(axis=1)
        design = self.design
        ptox = tox_probabilities(design.skeleton, estimate, design.model, design.intcpt)  # (K, rows)
        return np.asarray(np.argmin(np.abs(ptox - self.target), axis=0), dtype=np.int64)

    def _state_mtd(self, batch: TrialBatch, rows: IntArray) -> IntArray:
        first, inverse = distinct(batch.codes(rows, with_position=False))
        chosen_rows = rows[first]
        return self.mtd(batch.n[chosen_rows], batch.y[chosen_rows])[inverse]

    def decide(self, batch: TrialBatch, rows: IntArray) -> tuple[IntArray, BoolArray]:
        """The restricted CRM recommendation for the next cohort; the CRM never stops early."""
        best = self._state_mtd(batch, rows)
        if self.restrict:
            last = batch.dose[rows]
            rate = batch.last_tox[rows] / batch.cohort_size
            cap = np.where(rate >= self.target, last, last + 1)
            best = np.minimum(best, cap)
        return best, np.zeros(len(rows), dtype=np.bool_)

    def select(self, batch: TrialBatch, rows: IntArray) -> IntArray:
        """The unrestricted MTD of the final data (dfcrm ``crmsim``'s ``finalobj$mtd``)."""
        return self._state_mtd(batch, rows)
