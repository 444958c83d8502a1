"""A dose-finding scenario: the true DLT probabilities and how the trial is run.

The conduct follows BOIN 2.7.2 ``get.oc`` and dfcrm ``crmsim`` (dosefinding.md 1.1 and 1.2): the first cohort
is treated at the start dose; after every cohort **except the last** the design is asked for the next dose (it
may stop the trial); the last cohort is added without any check; at the end the design's MTD selection is applied
to all the data. The planned sample size is ``num_cohorts * cohort_size``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from mexards.domain.errors import ValidationError, ValidationErrors


@dataclass(frozen=True)
class DoseFindingScenario:
    """True DLT probabilities per dose (dose 1 first) and the trial's cohort plan.

    ``target`` is the target DLT rate used for the overdosing summaries: the *true MTD* is the highest dose whose
    true DLT probability is at most ``target`` (none when every dose is above it), and doses above it are
    overdoses. ``start_dose`` is 1-based; ``None`` means the design's own start dose (or dose 1).
    """

    true_tox: tuple[float, ...]
    cohort_size: int
    num_cohorts: int
    start_dose: int | None = None
    target: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "true_tox", tuple(float(p) for p in self.true_tox))
        errors: list[ValidationError] = []
        if not self.true_tox:
            errors.append(ValidationError("true_tox", "needs at least one dose", self.true_tox))
        for i, p in enumerate(self.true_tox):
            if not (math.isfinite(p) and 0.0 <= p <= 1.0):
                errors.append(ValidationError(f"true_tox[{i}]", "must be a probability in [0, 1]", p))
        if self.cohort_size < 1:
            errors.append(ValidationError("cohort_size", "must be at least 1", self.cohort_size))
        if self.num_cohorts < 1:
            errors.append(ValidationError("num_cohorts", "must be at least 1", self.num_cohorts))
        if self.start_dose is not None and not 1 <= self.start_dose <= max(1, len(self.true_tox)):
            errors.append(
                ValidationError("start_dose", f"must be a dose between 1 and {len(self.true_tox)}", self.start_dose)
            )
        if self.target is not None and not (math.isfinite(self.target) and 0.0 < self.target < 1.0):
            errors.append(ValidationError("target", "must be a probability strictly between 0 and 1", self.target))
        if errors:
            raise ValidationErrors(errors)

    @property
    def num_doses(self) -> int:
        """The number of dose levels."""
        return len(self.true_tox)

    @property
    def max_patients(self) -> int:
        """The planned sample size ``num_cohorts * cohort_size``."""
        return self.num_cohorts * self.cohort_size

    @property
    def true_mtd(self) -> int | None:
        """The highest dose (1-based) with true DLT probability <= target; ``None`` if none or no target."""
        if self.target is None:
            return None
        below = [i + 1 for i, p in enumerate(self.true_tox) if p <= self.target]
        return max(below) if below else None

    @property
    def above_mtd(self) -> tuple[bool, ...] | None:
        """Per dose, whether it lies above the true MTD (``None`` without a target)."""
        if self.target is None:
            return None
        mtd = self.true_mtd or 0
        return tuple(d > mtd for d in range(1, self.num_doses + 1))


def parse_probabilities(text: str, field: str) -> tuple[float, ...]:
    """Parse ``"0.10,0.25,0.40"`` into probabilities; errors name ``field`` and the position."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise ValidationError(field, "expected comma-separated probabilities such as 0.10,0.25,0.40", text)
    values: list[float] = []
    for i, part in enumerate(parts):
        try:
            value = float(part)
        except ValueError:
            raise ValidationError(f"{field}[{i}]", "must be a number", part) from None
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValidationError(f"{field}[{i}]", "must be a probability in [0, 1]", value)
        values.append(value)
    return tuple(values)


def for_design(scenario: DoseFindingScenario, design: Any) -> DoseFindingScenario:
    """Check that the scenario fits ``design`` and take the design's target when the scenario has none."""
    if scenario.num_doses != design.num_doses:
        raise ValidationError(
            "true_tox", f"gives {scenario.num_doses} doses but the design has {design.num_doses}", scenario.true_tox
        )
    target = getattr(design, "target", None)
    if scenario.target is None and isinstance(target, int | float) and not isinstance(target, bool):
        return replace(scenario, target=float(target))
    return scenario
