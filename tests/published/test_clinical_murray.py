"""Worked examples M01-M06 of clinical-examples.md section M (Murray LIS, Am Rev Respir Dis 1988;138:720 [S20]).

Source: /work/shared/reference/clinical-examples.md section M; definition clinical.md 3.2. Scores are exact.
"""

from decimal import Decimal

import pytest

from mexards.clinical.murray import MurrayCategory, murray_score


@pytest.mark.parametrize(
    ("case", "cxr", "pf", "peep", "compliance", "components", "score", "category"),
    [
        ("M01", 4, "90", "16", "18", [4, 4, 4, 4], "4.00", MurrayCategory.SEVERE),
        ("M03", 3, "150", "12", None, [3, 3, 3], "3.00", MurrayCategory.SEVERE),
        ("M06", 3, "160", "9", "45", [3, 3, 2, 2], "2.50", MurrayCategory.MILD_MODERATE),
    ],
)
def test_murray_worked_examples_from_clinical_examples_section_m(
    case: str,
    cxr: int,
    pf: str,
    peep: str,
    compliance: str | None,
    components: list[int],
    score: str,
    category: MurrayCategory,
) -> None:
    result = murray_score(cxr_quadrants=cxr, pf_ratio=pf, peep_cmh2o=peep, compliance_ml_cmh2o=compliance)
    assert list(result.components.values()) == components, case
    assert result.score == Decimal(score), case
    assert result.category is category, case


def test_m03_divides_by_3_not_4_when_compliance_is_unavailable() -> None:
    """clinical-examples.md M03: 9/3 = 3.00, not 9/4."""
    result = murray_score(cxr_quadrants=3, pf_ratio=150, peep_cmh2o=12)
    assert result.score == 3
    assert result.missing == ("compliance",)
