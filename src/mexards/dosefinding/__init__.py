"""Dose-finding designs (3+3, BOIN, CRM) behind one query vocabulary, with modifiers and decision tables.

Every design has ``num_doses``, ``name`` and ``fit(outcomes) -> Decision``; doses are 1-based. See
``docs/dosefinding.md``.
"""

from mexards.dosefinding.boin import BOIN, BOINBoundaries, boin_boundaries, boin_lambdas, select_mtd
from mexards.dosefinding.catalog import DESIGN_NAMES, DesignOptions, build_design
from mexards.dosefinding.crm import CRM, CRMPosterior, crm_mtd, crm_posterior, getprior
from mexards.dosefinding.design import Decision, Design
from mexards.dosefinding.modifier import DontSkipDoses, StopAtN, StopWhenTooToxic
from mexards.dosefinding.outcome import Cohort, counts, format_outcomes, parse_outcomes
from mexards.dosefinding.table import (
    BOINTable,
    DosePath,
    RuleRow,
    boin_table,
    decision_table,
    dose_paths,
    three_plus_three_table,
)
from mexards.dosefinding.three_plus_three import ThreePlusThree

__all__ = [
    "BOIN",
    "CRM",
    "DESIGN_NAMES",
    "BOINBoundaries",
    "BOINTable",
    "CRMPosterior",
    "Cohort",
    "Decision",
    "Design",
    "DesignOptions",
    "DontSkipDoses",
    "DosePath",
    "RuleRow",
    "StopAtN",
    "StopWhenTooToxic",
    "ThreePlusThree",
    "boin_boundaries",
    "boin_lambdas",
    "boin_table",
    "build_design",
    "counts",
    "crm_mtd",
    "crm_posterior",
    "decision_table",
    "dose_paths",
    "format_outcomes",
    "getprior",
    "parse_outcomes",
    "select_mtd",
    "three_plus_three_table",
]
