"""Murray lung injury score (Am Rev Respir Dis 1988;138:720; clinical.md 3.2): bands, divisor, compliance."""

from decimal import Decimal

import pytest

from mexards.clinical.murray import (
    DYNAMIC_FORMULA,
    STATIC_FORMULA,
    MurrayCategory,
    compliance_points,
    murray_category,
    murray_score,
    peep_points,
    pf_points,
    static_compliance_ml_cmh2o,
)
from mexards.domain.errors import ValidationError, ValidationErrors


@pytest.mark.parametrize(
    ("pf", "points"),
    [("300", 0), ("299.99", 1), ("225", 1), ("224.9", 2), ("175", 2), ("174.99", 3), ("100", 3), ("99.9", 4)],
)
def test_pf_bands_are_half_open(pf: str, points: int) -> None:
    assert pf_points(Decimal(pf)) == points


@pytest.mark.parametrize(
    ("peep", "points"),
    [("5", 0), ("5.1", 1), ("8", 1), ("8.5", 2), ("11", 2), ("11.01", 3), ("14", 3), ("14.5", 4), ("15", 4)],
)
def test_peep_bands_are_half_open(peep: str, points: int) -> None:
    assert peep_points(Decimal(peep)) == points


@pytest.mark.parametrize(
    ("compliance", "points"),
    [("80", 0), ("79.9", 1), ("60", 1), ("59.5", 2), ("40", 2), ("39.9", 3), ("20", 3), ("19.5", 4)],
)
def test_compliance_bands_are_half_open(compliance: str, points: int) -> None:
    assert compliance_points(Decimal(compliance)) == points


@pytest.mark.parametrize(
    ("score", "category"),
    [
        ("0", MurrayCategory.NONE),
        ("0.25", MurrayCategory.MILD_MODERATE),
        ("2.5", MurrayCategory.MILD_MODERATE),
        ("2.51", MurrayCategory.SEVERE),
        ("4", MurrayCategory.SEVERE),
    ],
)
def test_exactly_2_5_is_mild_to_moderate_and_above_is_severe(score: str, category: MurrayCategory) -> None:
    assert murray_category(Decimal(score)) is category


def test_score_divides_by_the_number_of_available_components() -> None:
    two = murray_score(cxr_quadrants=2, pf_ratio=150)
    assert two.components == {"cxr": 2, "pf_ratio": 3}
    assert two.score == Decimal("2.5")
    assert two.missing == ("peep", "compliance")
    assert not two.complete


def test_pf_can_be_computed_from_pao2_and_fio2() -> None:
    assert murray_score(cxr_quadrants=1, pao2_mmhg=114, fio2_fraction="0.57").pf_ratio == 200


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"pf_ratio": 150}, "cxr_quadrants"), ({"cxr_quadrants": 2}, "pf_ratio")]
)
def test_chest_x_ray_and_pf_are_required(kwargs: dict[str, object], field: str) -> None:
    kwargs.setdefault("cxr_quadrants", None)
    with pytest.raises(ValidationError) as info:
        murray_score(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize("quadrants", [5, "2.5", -1, "x"])
def test_cxr_must_be_a_whole_number_of_quadrants(quadrants: object) -> None:
    with pytest.raises(ValidationError) as info:
        murray_score(cxr_quadrants=quadrants, pf_ratio=150)  # type: ignore[arg-type]
    assert info.value.field == "cxr_quadrants"


def test_static_compliance_is_vt_over_plateau_minus_peep_and_the_formula_is_recorded() -> None:
    result = murray_score(cxr_quadrants=2, pf_ratio=150, peep_cmh2o=10, tidal_volume_ml=400, plateau_cmh2o=30)
    assert result.compliance_ml_cmh2o == 20
    assert result.components["compliance"] == 3
    assert result.compliance_formula == STATIC_FORMULA
    assert static_compliance_ml_cmh2o(400, 30, 10) == 20


def test_peak_pressure_is_used_only_when_chosen() -> None:
    silent = murray_score(cxr_quadrants=2, pf_ratio=150, peep_cmh2o=10, tidal_volume_ml=400, peak_cmh2o=35)
    assert silent.compliance_ml_cmh2o is None
    assert silent.warnings
    chosen = murray_score(
        cxr_quadrants=2, pf_ratio=150, peep_cmh2o=10, tidal_volume_ml=400, peak_cmh2o=35, compliance_formula="peak"
    )
    assert chosen.compliance_ml_cmh2o == 16
    assert chosen.compliance_formula == DYNAMIC_FORMULA


def test_plateau_not_above_peep_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        murray_score(cxr_quadrants=2, pf_ratio=150, peep_cmh2o=10, tidal_volume_ml=400, plateau_cmh2o=10)
    assert info.value.field == "plateau_cmh2o"


def test_every_invalid_input_is_reported() -> None:
    with pytest.raises(ValidationErrors) as info:
        murray_score(cxr_quadrants=9, pf_ratio="x", peep_cmh2o=-2, compliance_ml_cmh2o=0)
    assert {e.field for e in info.value.errors} == {"cxr_quadrants", "pf_ratio", "peep_cmh2o", "compliance_ml_cmh2o"}


def test_total_is_the_sum_of_points_and_rule_version_is_recorded() -> None:
    result = murray_score(cxr_quadrants=4, pf_ratio=90, peep_cmh2o=16, compliance_ml_cmh2o=18)
    assert result.total == 16
    assert "1988" in result.rule_version
