"""Worked examples V01-V04 of clinical-examples.md section V (VFD-28, Schoenfeld & Bernard 2002 via Yehya 2019
[S24]). Source: /work/shared/reference/clinical-examples.md section V; clinical.md 3.7. Whole days, exact."""

import pytest

from mexards.clinical.ventilation import ventilator_free_days


@pytest.mark.parametrize(
    ("case", "ventilated_days", "total", "ardsnet"),
    [
        ("V01", list(range(0, 10)), 18, 18),
        ("V04", [*range(0, 5), *range(8, 12)], 19, 16),
    ],
)
def test_vfd_worked_examples_from_clinical_examples_section_v(
    case: str, ventilated_days: list[int], total: int, ardsnet: int
) -> None:
    result = ventilator_free_days(ventilated_days, death_day=None, follow_up_end_day=28)
    assert result.total == total, case
    assert result.ardsnet == ardsnet, case
    assert result.value == ardsnet, case
