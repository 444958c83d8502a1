"""Dose arithmetic in exact particles (clinical-examples.md X01, X02; clinical.md 1.4)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from mexards.domain.dose import (
    Arm,
    ArmKind,
    DoseLevel,
    fraction_of_dose,
    particles,
    quarter_of_mtd,
    total_over_days,
)
from mexards.domain.errors import ValidationError


@pytest.mark.parametrize(
    ("daily", "total"),
    [("2.0e8", 1_400_000_000), ("8.0e8", 5_600_000_000), ("16.0e8", 11_200_000_000)],
)
def test_seven_daily_doses_total_the_x01_amounts_exactly(daily: str, total: int) -> None:
    assert total_over_days(daily) == total
    assert DoseLevel(1, particles("dose", daily)).total_particles() == total


@pytest.mark.parametrize(("mtd", "quarter"), [(1_600_000_000, 400_000_000), (800_000_000, 200_000_000)])
def test_quarter_of_the_mtd_matches_x02(mtd: int, quarter: int) -> None:
    assert quarter_of_mtd(mtd) == quarter


def test_particle_counts_are_read_from_several_exact_notations() -> None:
    assert particles("d", "2.0×10^8") == 200_000_000
    assert particles("d", "1.12x10^10") == 11_200_000_000
    assert particles("d", "1.12E10") == 11_200_000_000
    assert particles("d", Decimal("8.0E+8")) == 800_000_000
    assert particles("d", 42) == 42


@pytest.mark.parametrize("bad", [2e8, True, "2.5", "abc", Decimal("1.5"), None, "1e-3"])
def test_inexact_or_non_numeric_particle_counts_are_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        particles("dose_particles", bad)
    assert caught.value.field == "dose_particles"


def test_a_fraction_that_is_not_a_whole_number_of_particles_is_refused_not_rounded() -> None:
    with pytest.raises(ValidationError) as caught:
        quarter_of_mtd(10)
    assert "whole number" in caught.value.rule
    assert fraction_of_dose(12, Fraction(3, 4)) == 9


def test_a_dose_level_needs_a_positive_index_and_a_positive_dose() -> None:
    with pytest.raises(ValidationError, match=r"dose_level.index"):
        DoseLevel(0, 100)
    with pytest.raises(ValidationError, match=r"dose_level.dose_particles"):
        DoseLevel(1, 0)


def test_phase2_arms_derive_their_daily_dose_from_the_mtd() -> None:
    low = Arm("QMTD", ArmKind.FRACTION_OF_MTD, fraction_of_mtd=Fraction(1, 4))
    full = Arm("MTD", ArmKind.FRACTION_OF_MTD, fraction_of_mtd=Fraction(1))
    saline = Arm("PBO", ArmKind.PLACEBO)
    assert low.daily_dose_particles(1_600_000_000) == 400_000_000
    assert full.daily_dose_particles(800_000_000) == 800_000_000
    assert saline.daily_dose_particles(800_000_000) == 0
    assert saline.is_placebo
    assert low.total_particles(800_000_000) == 1_400_000_000


def test_a_phase1_dose_arm_uses_its_own_level_and_ignores_the_mtd() -> None:
    arm = Arm("L2", ArmKind.DOSE, dose_level=DoseLevel(2, 800_000_000))
    assert arm.daily_dose_particles() == 800_000_000
    assert arm.total_particles() == 5_600_000_000


def test_a_fraction_of_mtd_arm_without_an_mtd_is_refused() -> None:
    arm = Arm("QMTD", ArmKind.FRACTION_OF_MTD, fraction_of_mtd=Fraction(1, 4))
    with pytest.raises(ValidationError, match="mtd_dose_particles"):
        arm.daily_dose_particles()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"code": "A", "kind": "dose"}, "arm.dose_level"),
        ({"code": "A", "kind": "placebo", "dose_level": DoseLevel(1, 1)}, "arm.dose_level"),
        ({"code": "A", "kind": "fraction_of_mtd"}, "arm.fraction_of_mtd"),
        ({"code": "A", "kind": "placebo", "fraction_of_mtd": Fraction(1, 2)}, "arm.fraction_of_mtd"),
        ({"code": "A", "kind": "sham"}, "arm.kind"),
        ({"code": "", "kind": "placebo"}, "arm.code"),
    ],
)
def test_inconsistent_arms_are_refused_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Arm(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_total_over_days_refuses_a_non_positive_number_of_days() -> None:
    with pytest.raises(ValidationError, match="days"):
        total_over_days(100, 0)
