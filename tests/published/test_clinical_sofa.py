"""Worked examples S01-S03 of clinical-examples.md section S (SOFA, Vincent 1996 [S21]).

Source: /work/shared/reference/clinical-examples.md section S; definition clinical.md 3.3. Integers, exact.
"""

import pytest

from mexards.clinical.sofa import sofa_score

CASES = [
    (
        "S01",
        {
            "pf_ratio": 450,
            "respiratory_support": False,
            "platelets_10e3_ul": 200,
            "bilirubin_mg_dl": "0.8",
            "map_mmhg": 80,
            "gcs": 15,
            "creatinine_mg_dl": "0.9",
            "urine_output_ml_day": 1500,
        },
        [0, 0, 0, 0, 0, 0],
        0,
    ),
    (
        "S02",
        {
            "pf_ratio": 150,
            "respiratory_support": True,
            "platelets_10e3_ul": 120,
            "bilirubin_mg_dl": "1.5",
            "map_mmhg": 72,
            "norepinephrine_ug_kg_min": "0.08",
            "gcs": 15,
            "creatinine_mg_dl": "1.6",
            "urine_output_ml_day": 900,
        },
        [3, 1, 1, 3, 0, 1],
        9,
    ),
    (
        "S03",
        {
            "pf_ratio": 150,
            "respiratory_support": False,
            "platelets_10e3_ul": 180,
            "bilirubin_mg_dl": "0.5",
            "map_mmhg": 85,
            "gcs": 15,
            "creatinine_mg_dl": "0.8",
        },
        [2, 0, 0, 0, 0, 0],
        2,
    ),
]


@pytest.mark.parametrize(("case", "inputs", "components", "total"), CASES)
def test_sofa_worked_examples_from_clinical_examples_section_s(
    case: str, inputs: dict[str, object], components: list[int], total: int
) -> None:
    result = sofa_score(**inputs)  # type: ignore[arg-type]
    order = ["respiration", "coagulation", "liver", "cardiovascular", "cns", "renal"]
    assert [result.components[name] for name in order] == components, case
    assert result.total == total, case
    assert result.complete, case
