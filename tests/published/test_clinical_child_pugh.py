"""Worked examples C01-C05 of clinical-examples.md section C (Child-Pugh [S22]; exclusion 2 of NCT04602104,
score > 12 [S1]). Source: /work/shared/reference/clinical-examples.md section C; clinical.md 3.4. Exact."""

import pytest

from mexards.clinical.child_pugh import child_pugh


@pytest.mark.parametrize(
    ("case", "bili", "alb", "inr", "ascites", "he", "points", "total", "cls", "excluded"),
    [
        ("C01", "1.5", "3.8", "1.2", "none", "none", [1, 1, 1, 1, 1], 5, "A", False),
        ("C03", "4.0", "2.5", "2.5", "severe", "grade 3", [3, 3, 3, 3, 3], 15, "C", True),
        ("C05", "3.5", "2.7", "2.0", "mild", "grade 1-2", [3, 3, 2, 2, 2], 12, "C", False),
    ],
)
def test_child_pugh_worked_examples_from_clinical_examples_section_c(
    case: str,
    bili: str,
    alb: str,
    inr: str,
    ascites: str,
    he: str,
    points: list[int],
    total: int,
    cls: str,
    excluded: bool,
) -> None:
    result = child_pugh(bilirubin_mg_dl=bili, albumin_g_dl=alb, inr=inr, ascites=ascites, encephalopathy=he)
    assert list(result.components.values()) == points, case
    assert result.score == total, case
    assert result.child_class == cls, case
    assert (result.score > 12) is excluded, case
