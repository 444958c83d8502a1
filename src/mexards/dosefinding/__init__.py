"""Dose-finding designs (3+3, BOIN, CRM) behind one query vocabulary, with modifiers and decision tables.

Every design has ``num_doses``, ``name`` and ``fit(outcomes) -> Decision``; doses are 1-based. See
``docs/dosefinding.md``.

The public names load on first use (PEP 562): the outcome vocabulary (``Cohort``, ``Decision``) does not load scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mexards.lazy import lazy_names

if TYPE_CHECKING:
    from mexards.dosefinding.boin import BOIN, BOINBoundaries, boin_boundaries, boin_lambdas, select_mtd
    from mexards.dosefinding.catalog import DesignOptions, build_design
    from mexards.dosefinding.crm import CRM, CRMPosterior, crm_mtd, crm_posterior, getprior
    from mexards.dosefinding.design import DESIGN_NAMES, Decision, Design
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

_HOME = {
    "BOIN": "boin",
    "BOINBoundaries": "boin",
    "boin_boundaries": "boin",
    "boin_lambdas": "boin",
    "select_mtd": "boin",
    "DESIGN_NAMES": "design",
    "DesignOptions": "catalog",
    "build_design": "catalog",
    "CRM": "crm",
    "CRMPosterior": "crm",
    "crm_mtd": "crm",
    "crm_posterior": "crm",
    "getprior": "crm",
    "Decision": "design",
    "Design": "design",
    "DontSkipDoses": "modifier",
    "StopAtN": "modifier",
    "StopWhenTooToxic": "modifier",
    "Cohort": "outcome",
    "counts": "outcome",
    "format_outcomes": "outcome",
    "parse_outcomes": "outcome",
    "BOINTable": "table",
    "DosePath": "table",
    "RuleRow": "table",
    "boin_table": "table",
    "decision_table": "table",
    "dose_paths": "table",
    "three_plus_three_table": "table",
    "ThreePlusThree": "three_plus_three",
}
"""The submodule that defines each public name."""


__getattr__ = lazy_names(__name__, _HOME)


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
