"""Worked example T01 of clinical-examples.md section T (CTCAE v5.0 Fever [S25]) and the edges in clinical.md 3.8.

Source: /work/shared/reference/clinical-examples.md section T; clinical.md 3.8 ("38.0 -> G1, 39.0 -> G1,
39.05 -> G2, 40.0 -> G2, 40.1 -> G3 or G4 depending on duration"). Grades are exact.
"""

import pytest

from mexards.clinical.ctcae import grade_fever


@pytest.mark.parametrize(("temperature", "grade"), [("37.9", 0), ("38.0", 1), ("39.0", 1), ("39.1", 2), ("40.0", 2)])
def test_t01_fever_grades_from_clinical_examples_section_t(temperature: str, grade: int) -> None:
    assert grade_fever(temperature).grade == grade


@pytest.mark.parametrize(("temperature", "hours", "grade"), [("39.05", None, 2), ("40.1", 12, 3), ("40.1", 36, 4)])
def test_fever_edges_listed_in_clinical_md_3_8(temperature: str, hours: int | None, grade: int) -> None:
    assert grade_fever(temperature, duration_hours=hours).grade == grade
