"""Decision tables to print before a trial starts.

- BOIN: the per-cohort table of BOIN 2.7.2 ``get.boundary``'s ``boundary_tab`` (escalate if #DLT <=,
  de-escalate if #DLT >=, eliminate if #DLT >=, at n = cohort size x 1..cohorts) and the full table for n =
  1..N (``full_boundary_tab``), plus the extrasafe stopping row (reference notes ``dosefinding.md`` 3.1).
- 3+3: its rule table, produced by asking the design itself what it does after each count at a middle dose.
- Any design (CRM in particular): dose transition pathways, the decision after every possible outcome of the
  next cohort(s), as ``escalation::get_dose_paths`` and trialr's ``crm_dtps`` (Yap C et al. 2017, "Dose
  transition pathways: the missing link between complex dose-finding designs and simple decision-making", Clin
  Cancer Res 23:7440-7447).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mexards.domain.errors import ValidationError
from mexards.dosefinding.boin import BOIN, BOINBoundaries, boin_boundaries
from mexards.dosefinding.design import Decision, Design
from mexards.dosefinding.outcome import Cohort, as_cohorts, format_outcomes
from mexards.dosefinding.three_plus_three import ThreePlusThree


@dataclass(frozen=True)
class BoundaryRow:
    """Boundaries for ``n`` patients at a dose; None where undefined."""

    n: int
    escalate_max: int
    deescalate_min: int
    eliminate_min: int | None
    stop_min: int | None


@dataclass(frozen=True)
class BOINTable:
    """``get.boundary``'s output: lambdas, the per-cohort table and the full n = 1..N table."""

    target: float
    lambda_e: float
    lambda_d: float
    cohort_size: int
    cohorts: int
    per_cohort: tuple[BoundaryRow, ...]
    full: tuple[BoundaryRow, ...]
    extrasafe: bool

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "design": "boin",
            "target": self.target,
            "lambda_e": self.lambda_e,
            "lambda_d": self.lambda_d,
            "cohort_size": self.cohort_size,
            "cohorts": self.cohorts,
            "extrasafe": self.extrasafe,
            "per_cohort": [_row_dict(r, self.extrasafe) for r in self.per_cohort],
            "full": [_row_dict(r, self.extrasafe) for r in self.full],
        }


def _row_dict(row: BoundaryRow, extrasafe: bool) -> dict[str, object]:
    data: dict[str, object] = {
        "n": row.n,
        "escalate_if_dlt_at_most": row.escalate_max,
        "deescalate_if_dlt_at_least": row.deescalate_min,
        "eliminate_if_dlt_at_least": row.eliminate_min,
    }
    if extrasafe:
        data["stop_if_dlt_at_least"] = row.stop_min
    return data


def _check_positive(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(field, "must be an integer >= 1", value)


def _row(bounds: BOINBoundaries, n: int) -> BoundaryRow:
    return BoundaryRow(
        n,
        int(bounds.escalate_max[n]),
        int(bounds.deescalate_min[n]),
        bounds.eliminate_at(n),
        bounds.stop_at(n),
    )


def boin_table(
    target: float,
    cohorts: int,
    cohort_size: int,
    *,
    p_saf: float | None = None,
    p_tox: float | None = None,
    cutoff_eli: float = 0.95,
    extrasafe: bool = False,
    offset: float = 0.05,
    n_earlystop: int = 100,
) -> BOINTable:
    """BOIN's decision table for ``cohorts`` cohorts of ``cohort_size`` (as ``get.boundary``, which also
    truncates the table at ``n_earlystop`` patients)."""
    _check_positive(cohorts, "cohorts")
    _check_positive(cohort_size, "cohort_size")
    _check_positive(n_earlystop, "n_earlystop")
    total = min(cohorts * cohort_size, n_earlystop)
    bounds = boin_boundaries(
        target, total, p_saf=p_saf, p_tox=p_tox, cutoff_eli=cutoff_eli, extrasafe=extrasafe, offset=offset
    )
    per_cohort = tuple(_row(bounds, n) for n in range(cohort_size, total + 1, cohort_size))
    full = tuple(_row(bounds, n) for n in range(1, total + 1))
    return BOINTable(
        float(target), bounds.lambda_e, bounds.lambda_d, cohort_size, cohorts, per_cohort, full, extrasafe
    )


@dataclass(frozen=True)
class RuleRow:
    """One line of a rule-based design's table: after ``dlts`` DLTs in ``patients`` at the current dose."""

    patients: int
    dlts: int
    action: str


def _action(decision: Decision, dose: int) -> str:
    rec = decision.recommended_dose
    if not decision.should_continue:
        if rec is None:
            return "stop (no dose selected)"
        relative = "the current dose" if rec == dose else f"the dose {'below' if rec < dose else 'above'}"
        return f"stop (MTD: {relative})"
    if rec is None or rec == dose:
        return "stay: treat 3 more at the current dose"
    return "escalate" if rec > dose else "de-escalate to the dose below"


def three_plus_three_table(allow_deescalate: bool = False) -> tuple[RuleRow, ...]:
    """The 3+3 rule table, read off the design itself at dose 2 of 3.

    Rows for 3 patients (0..3 DLTs) and for 6 patients after 1/3 (1..4 DLTs in total). Each row asks the
    design twice: with 3 patients (0/3) at the dose below and with 6 (1/6); where the answers differ both are
    shown.
    """
    design = ThreePlusThree(3, allow_deescalate=allow_deescalate)
    below_three = (Cohort(1, (False,) * 3),)
    below_six = (Cohort(1, (False, False, True)), Cohort(1, (False,) * 3))
    rows: list[RuleRow] = []
    patterns: list[tuple[int, int, tuple[Cohort, ...]]] = []
    for dlts in range(4):
        patterns.append((3, dlts, (Cohort(2, tuple(i < dlts for i in range(3))),)))
    first = Cohort(2, (True, False, False))
    for extra in range(4):
        patterns.append((6, 1 + extra, (first, Cohort(2, tuple(i < extra for i in range(3))))))
    for patients, dlts, at_dose in patterns:
        with_three = _action(design.fit(below_three + at_dose), 2)
        with_six = _action(design.fit(below_six + at_dose), 2)
        action = (
            with_three
            if with_three == with_six
            else f"{with_three} if it has 3 patients; {with_six} if it has 6 with <= 1 DLT"
        )
        rows.append(RuleRow(patients, dlts, action))
    return tuple(rows)


@dataclass(frozen=True)
class DosePath:
    """One node of the dose transition pathways: the outcomes so far and the design's decision."""

    outcomes: str
    recommended_dose: int | None
    should_continue: bool
    children: tuple[DosePath, ...]

    def as_dict(self) -> dict[str, object]:
        """Plain nested data for JSON."""
        return {
            "outcomes": self.outcomes,
            "recommended_dose": self.recommended_dose,
            "should_continue": self.should_continue,
            "children": [c.as_dict() for c in self.children],
        }

    def leaves(self) -> tuple[DosePath, ...]:
        """All nodes without children, in order."""
        if not self.children:
            return (self,)
        return tuple(leaf for child in self.children for leaf in child.leaves())

    def walk(self) -> tuple[DosePath, ...]:
        """This node and its descendants, depth first."""
        return (self, *(node for child in self.children for node in child.walk()))


def dose_paths(
    design: Design, outcomes: str | Sequence[Cohort] = "", cohort_sizes: Sequence[int] = (3, 3)
) -> DosePath:
    """Every decision over the next cohorts (sizes ``cohort_sizes``), one branch per number of DLTs.

    A cohort with ``k`` DLTs is written with its ``k`` toxicities last (``2NNT``); every design here depends
    on the number of DLTs in a cohort, not on their order. Branching stops where the design stops.
    """
    for i, size in enumerate(cohort_sizes):
        _check_positive(size, f"cohort_sizes[{i}]")
    start = as_cohorts(outcomes, design.num_doses)
    return _grow(design, start, tuple(cohort_sizes))


def _grow(design: Design, cohorts: tuple[Cohort, ...], sizes: tuple[int, ...]) -> DosePath:
    decision = design.fit(cohorts)
    children: list[DosePath] = []
    dose = decision.recommended_dose
    if sizes and decision.should_continue and dose is not None:
        size = sizes[0]
        for dlts in range(size + 1):
            cohort = Cohort(dose, tuple(i >= size - dlts for i in range(size)))
            children.append(_grow(design, (*cohorts, cohort), sizes[1:]))
    return DosePath(format_outcomes(cohorts), dose, decision.should_continue, tuple(children))


def innermost(design: Design) -> Design:
    """The design inside any modifiers."""
    while hasattr(design, "parent"):
        design = design.parent
    return design


def decision_table(
    design: Design, cohorts: int, cohort_size: int
) -> BOINTable | tuple[RuleRow, ...] | DosePath:
    """The pre-trial table for a design: BOIN boundaries, the 3+3 rules, or the next two cohorts' pathways."""
    core = innermost(design)
    if isinstance(core, BOIN):
        return boin_table(
            core.target,
            cohorts,
            cohort_size,
            p_saf=core.p_saf,
            p_tox=core.p_tox,
            cutoff_eli=core.cutoff_eli,
            extrasafe=core.extrasafe,
            offset=core.offset,
            n_earlystop=core.n_earlystop,
        )
    if isinstance(core, ThreePlusThree):
        return three_plus_three_table(core.allow_deescalate)
    return dose_paths(design, "", (cohort_size,) * min(cohorts, 2))
