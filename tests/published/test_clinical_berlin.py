"""Worked examples B01-B08 of clinical-examples.md section B (Berlin, JAMA 2012;307:2526 [S19]).

Source: /work/shared/reference/clinical-examples.md, section B; definition in clinical.md 3.1 [S19].
P/F values are compared exactly (tolerance 0: exact decimal arithmetic on the values as entered).
"""

from decimal import Decimal

import pytest

from mexards.clinical.berlin import BerlinCategory, classify_berlin


@pytest.mark.parametrize(
    ("case", "pao2", "fio2", "peep", "support", "pf", "category"),
    [
        ("B01", "80", "0.50", "10", "invasive", "160", BerlinCategory.MODERATE),
        ("B02", "240", "0.80", "5", "noninvasive", "300", BerlinCategory.MILD),
        ("B04", "60", "0.60", "12", "invasive", "100", BerlinCategory.SEVERE),
        ("B06", "114", "0.57", "10", "invasive", "200", BerlinCategory.MODERATE),
        ("B08", "75", "0.50", "3", "invasive", "150", BerlinCategory.NOT_ASSESSABLE),
    ],
)
def test_berlin_worked_examples_from_clinical_examples_section_b(
    case: str, pao2: str, fio2: str, peep: str, support: str, pf: str, category: BerlinCategory
) -> None:
    result = classify_berlin(
        pao2_mmhg=pao2,
        fio2_fraction=fio2,
        peep_cmh2o=peep,
        support=support,
        timing_within_1_week=True,
        bilateral_opacities=True,
        edema_not_cardiac=True,
    )
    assert result.pf_ratio == Decimal(pf), case
    assert result.category is category, case


def test_b06_float_trap_the_same_inputs_as_floats_are_still_exactly_200() -> None:
    """clinical-examples.md B06: float 114/0.57 = 200.00000000000003 would wrongly read MILD."""
    result = classify_berlin(pao2_mmhg=114.0, fio2_fraction=0.57, peep_cmh2o=10.0, support="invasive")
    assert result.pf_ratio == 200
    assert result.category is BerlinCategory.MODERATE


def test_b01_with_pao2_in_kpa_gives_the_same_category() -> None:
    """clinical-examples.md B01 with PaO2 10.666 kPa (~80 mmHg at 7.50062 mmHg/kPa), tolerance 0.01 mmHg."""
    from mexards.clinical.quantity import pressure_mmhg

    pao2 = pressure_mmhg("10.666", "kPa")
    assert abs(pao2 - 80) < Decimal("0.01")
    result = classify_berlin(pao2_mmhg=pao2, fio2_fraction="0.5", peep_cmh2o=10, support="invasive")
    assert result.category is BerlinCategory.MODERATE
