"""Dose levels, treatment arms and exact dose arithmetic in particles.

MEXARDS (NCT04602104) gives nebulised MSC exosomes once daily on Days 1-7. Phase 1 levels are 2.0e8, 8.0e8 and
16.0e8 particles per dose; Phase 2 randomizes 1:1:1 to a quarter of the MTD, the MTD, or saline
(``clinical.md`` 1.4; ``clinical-examples.md`` X01, X02). Particle counts are whole numbers, so every
computation here is exact integer arithmetic: a fraction of a dose that is not a whole number of particles is
refused rather than rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from mexards.domain.errors import ValidationError
from mexards.domain.validation import enum_member

DOSING_DAYS = 7
"""Number of once-daily doses per participant in MEXARDS (Days 1-7, ``clinical.md`` 1.4)."""

_SCIENTIFIC = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*[x×*]\s*10\s*\^\s*([+-]?[0-9]+)\s*")


def particles(field: str, value: object) -> int:
    """Return an exact whole number of particles from an int, an integral Decimal or a numeric string.

    Strings may be plain (``"200000000"``), E-notation (``"2.0e8"``) or ``"2.0×10^8"`` / ``"2.0x10^8"``.
    Floats are refused because they cannot carry large counts exactly; booleans are refused too.
    """
    if isinstance(value, bool | float):
        raise ValidationError(
            field, "must be an exact whole number of particles (int, Decimal or text)", value
        )
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        match = _SCIENTIFIC.fullmatch(value)
        try:
            number = Decimal(match.group(1)).scaleb(int(match.group(2))) if match else Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError(field, "must be a number of particles", value) from None
    else:
        raise ValidationError(
            field, "must be an exact whole number of particles (int, Decimal or text)", value
        )
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationError(field, "must be a whole number of particles", value)
    return int(number)


def positive_particles(field: str, value: object) -> int:
    """Like :func:`particles` but the count must be greater than zero."""
    count = particles(field, value)
    if count <= 0:
        raise ValidationError(field, "must be greater than zero", value)
    return count


def total_over_days(daily_dose_particles: object, days: int = DOSING_DAYS) -> int:
    """Total particles over ``days`` once-daily doses (X01: 2.0e8 x 7 = 1.4e9)."""
    daily = particles("daily_dose_particles", daily_dose_particles)
    if daily < 0:
        raise ValidationError("daily_dose_particles", "must not be negative", daily_dose_particles)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValidationError("days", "must be a whole number of days, at least 1", days)
    return daily * days


def fraction_of_dose(dose_particles: object, fraction: Fraction) -> int:
    """``fraction`` of a dose, exactly; refused if the result is not a whole number of particles."""
    dose = positive_particles("dose_particles", dose_particles)
    if not isinstance(fraction, Fraction) or fraction <= 0:
        raise ValidationError("fraction", "must be a positive fraction", fraction)
    exact = dose * fraction
    if exact.denominator != 1:
        raise ValidationError("dose_particles", f"{fraction} of it is not a whole number of particles", dose)
    return exact.numerator


def quarter_of_mtd(mtd_dose_particles: object) -> int:
    """Phase 2 low dose: a quarter of the MTD (X02: MTD 16.0e8 -> 4.0e8; MTD 8.0e8 -> 2.0e8)."""
    return fraction_of_dose(mtd_dose_particles, Fraction(1, 4))


@dataclass(frozen=True, slots=True, order=True)
class DoseLevel:
    """A Phase 1 dose level: its 1-based index (level 1 is the lowest) and the particles per daily dose."""

    index: int
    dose_particles: int

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 1:
            raise ValidationError("dose_level.index", "must be a whole number, at least 1", self.index)
        object.__setattr__(
            self, "dose_particles", positive_particles("dose_level.dose_particles", self.dose_particles)
        )

    def total_particles(self, days: int = DOSING_DAYS) -> int:
        """Total particles over the course (``days`` once-daily doses)."""
        return total_over_days(self.dose_particles, days)


class ArmKind(StrEnum):
    """How an arm's daily dose is defined."""

    DOSE = "dose"
    """A fixed dose level (the open-label Phase 1 cohorts)."""
    FRACTION_OF_MTD = "fraction_of_mtd"
    """A fraction of the declared MTD (Phase 2: 1/4 MTD and MTD)."""
    PLACEBO = "placebo"
    """Saline control (Phase 2), zero particles."""


@dataclass(frozen=True, slots=True)
class Arm:
    """A treatment arm. ``code`` is the short arm code (CDISC ARMCD); ``label`` its description."""

    code: str
    kind: ArmKind
    label: str = ""
    dose_level: DoseLevel | None = None
    fraction_of_mtd: Fraction | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,20}", self.code):
            raise ValidationError("arm.code", "must be 1-20 letters, digits, '_' or '-'", self.code)
        object.__setattr__(self, "kind", enum_member(ArmKind, "arm.kind", self.kind))
        if self.kind is ArmKind.DOSE and self.dose_level is None:
            raise ValidationError("arm.dose_level", "is required for a dose arm", None)
        if self.kind is not ArmKind.DOSE and self.dose_level is not None:
            raise ValidationError("arm.dose_level", "is only allowed for a dose arm", self.dose_level)
        if self.kind is ArmKind.FRACTION_OF_MTD:
            if not isinstance(self.fraction_of_mtd, Fraction) or self.fraction_of_mtd <= 0:
                raise ValidationError(
                    "arm.fraction_of_mtd", "must be a positive fraction", self.fraction_of_mtd
                )
        elif self.fraction_of_mtd is not None:
            raise ValidationError(
                "arm.fraction_of_mtd", "is only allowed for a fraction_of_mtd arm", self.fraction_of_mtd
            )

    @property
    def is_placebo(self) -> bool:
        return self.kind is ArmKind.PLACEBO

    def daily_dose_particles(self, mtd_dose_particles: object = None) -> int:
        """Particles per daily dose; a fraction-of-MTD arm needs the MTD, a placebo arm gives 0."""
        if self.kind is ArmKind.PLACEBO:
            return 0
        if self.kind is ArmKind.DOSE:
            assert self.dose_level is not None
            return self.dose_level.dose_particles
        if mtd_dose_particles is None:
            raise ValidationError("mtd_dose_particles", "is required for a fraction_of_mtd arm", None)
        assert self.fraction_of_mtd is not None
        return fraction_of_dose(mtd_dose_particles, self.fraction_of_mtd)

    def total_particles(self, mtd_dose_particles: object = None, days: int = DOSING_DAYS) -> int:
        """Particles over the whole course of ``days`` once-daily doses."""
        return total_over_days(self.daily_dose_particles(mtd_dose_particles), days)
