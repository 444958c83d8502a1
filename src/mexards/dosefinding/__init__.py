"""Dose-finding designs (3+3, BOIN, CRM) behind one query vocabulary, with modifiers and decision tables.

Every design has ``num_doses``, ``name`` and ``fit(outcomes) -> Decision``; doses are 1-based. See
``docs/dosefinding.md``.
"""

from mexards.dosefinding.boin import BOIN, boin_boundaries, boin_lambdas, select_mtd
from mexards.dosefinding.design import Decision, Design
from mexards.dosefinding.modifier import DontSkipDoses, StopAtN, StopWhenTooToxic
from mexards.dosefinding.outcome import Cohort, counts, format_outcomes, parse_outcomes
from mexards.dosefinding.three_plus_three import ThreePlusThree

__all__ = [
    "BOIN",
    "Cohort",
    "Decision",
    "Design",
    "DontSkipDoses",
    "StopAtN",
    "StopWhenTooToxic",
    "ThreePlusThree",
    "boin_boundaries",
    "boin_lambdas",
    "counts",
    "format_outcomes",
    "parse_outcomes",
    "select_mtd",
]
