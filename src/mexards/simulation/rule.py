"""A design's decisions applied to a whole batch of trials at once.

A :class:`DecisionRule` answers, for some rows of a :class:`~mexards.simulation.batch.TrialBatch`, the two
questions the simulators ask: after a cohort, *where does each trial go next, or does it stop?*; at the end,
*which dose does each trial select?* Three kinds exist:

- :class:`~mexards.simulation.live_rule.LiveFitRule` calls the design's live ``fit`` once per distinct state
  (any :class:`~mexards.dosefinding.design.Design`, modifiers included);
- :class:`~mexards.simulation.boin_rule.BOINRule` uses lookup tables built from the design's own boundaries
  (``boin_boundaries``) and calls its ``select_mtd`` once per distinct final state;
- :class:`~mexards.simulation.crm_rule.CRMRule` computes every trial's CRM posterior on a fixed quadrature grid as
  one matrix product per cohort.

:func:`rule_for` picks the fastest rule that reproduces the design exactly; the agreement tests check every fast
rule decision by decision against the live ``fit``.
"""

from __future__ import annotations

from typing import Protocol

from mexards.dosefinding.design import Design
from mexards.simulation.batch import BoolArray, IntArray, TrialBatch


class DecisionRule(Protocol):
    """Batch decisions of one design. Doses are 0-based here; -1 means none."""

    name: str
    num_doses: int
    needs_histories: bool

    def first_dose(self) -> int:
        """The dose (0-based) of the first cohort."""
        ...

    def decide(self, batch: TrialBatch, rows: IntArray) -> tuple[IntArray, BoolArray]:
        """For each row, the next dose and whether the trial stops now."""
        ...

    def select(self, batch: TrialBatch, rows: IntArray) -> IntArray:
        """For each (finished) row, the selected MTD or -1 for none."""
        ...


def rule_for(design: Design, *, live: bool = False) -> DecisionRule:
    """The batch rule for ``design``: a fast table/grid rule for plain BOIN and CRM, else the live ``fit``.

    ``live=True`` forces the live-``fit`` rule (the reference that the fast rules are tested against).
    """
    from mexards.simulation.live_rule import LiveFitRule

    if not live:
        from mexards.simulation.boin_rule import BOINRule, is_plain_boin
        from mexards.simulation.crm_rule import CRMRule, is_plain_crm

        if is_plain_boin(design):
            return BOINRule(design)
        if is_plain_crm(design):
            return CRMRule(design)
    return LiveFitRule(design)
