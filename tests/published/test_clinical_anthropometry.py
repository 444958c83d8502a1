"""Worked examples W01-W03 (BMI, exclusion 10 "BMI > 28" [S1]) and P01 (ARDSNet PBW [S23]).

Source: /work/shared/reference/clinical-examples.md sections W and P; clinical.md 3.5-3.6.
"""

from decimal import Decimal

import pytest

from mexards.clinical.anthropometry import bmi, predicted_body_weight_kg, tidal_volume_ml


@pytest.mark.parametrize(
    ("case", "weight", "height", "displayed", "excluded"),
    [("W01", "80", "170", "27.7", False), ("W03", "80.92", "170", "28.0", False)],
)
def test_bmi_worked_examples_from_clinical_examples_section_w(
    case: str, weight: str, height: str, displayed: str, excluded: bool
) -> None:
    assert bmi(weight, height, rounding="1dp") == Decimal(displayed), case
    assert (bmi(weight, height) > 28) is excluded, case


def test_w01_exact_bmi_is_27_68_and_more() -> None:
    """clinical-examples.md W01: 80 / 1.7^2 = 27.68..., tolerance 1e-12."""
    assert abs(bmi(80, 170) - Decimal("27.681660899653979")) < Decimal("1e-12")


def test_w03_float_trap_bmi_is_exactly_28_even_from_floats() -> None:
    """clinical-examples.md W03: float 80.92/1.7**2 = 28.000000000000004 would wrongly exclude."""
    assert bmi(80.92, 170.0) == 28


def test_p01_male_175_cm_pbw_70_566_and_vt_423_4() -> None:
    """clinical-examples.md P01: 50 + 0.91 x 22.6 = 70.566 kg (exact); VT 6 mL/kg = 423.4 mL at 0.1 mL."""
    assert predicted_body_weight_kg("male", 175) == Decimal("70.566")
    vt = tidal_volume_ml("male", 175)
    assert vt == Decimal("423.396")
    assert vt.quantize(Decimal("0.1")) == Decimal("423.4")
