"""Berlin definition of ARDS (JAMA 2012;307:2526, clinical.md 3.1) and the S/F surrogate (Rice 2007)."""

from decimal import Decimal

import pytest

from mexards.clinical.berlin import (
    BerlinCategory,
    classify_berlin,
    pf_ratio,
    sf_ratio,
    sf_surrogate,
    standard_barometric_pressure_mmhg,
)
from mexards.domain.errors import ValidationError, ValidationErrors

B = BerlinCategory


def berlin(pao2: object, fio2: object = "1.0", peep: object = 10, support: str | None = "invasive", **kw: object):
    return classify_berlin(pao2_mmhg=pao2, fio2_fraction=fio2, peep_cmh2o=peep, support=support, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pao2", "expected"),
    [
        ("301", B.NOT_ARDS),
        ("300.01", B.NOT_ARDS),
        ("300", B.MILD),
        ("200.01", B.MILD),
        ("200", B.MODERATE),
        ("100.01", B.MODERATE),
        ("100", B.SEVERE),
        ("40", B.SEVERE),
    ],
)
def test_each_band_edge_on_invasive_ventilation_belongs_to_the_milder_side_only_above_it(
    pao2: str, expected: BerlinCategory
) -> None:
    assert berlin(pao2).category is expected


def test_float_trap_114_over_0_57_is_exactly_200_and_moderate() -> None:
    result = berlin(114, 0.57)
    assert result.pf_ratio == 200
    assert result.category is B.MODERATE


def test_fio2_percent_is_accepted() -> None:
    assert berlin(80, 50).pf_ratio == 160


def test_peep_exactly_5_is_enough_and_4_9_is_not() -> None:
    assert berlin(150, peep=5).category is B.MODERATE
    result = berlin(150, peep="4.9")
    assert result.category is B.NOT_ASSESSABLE
    assert "PEEP" in result.reasons[0]


def test_no_positive_pressure_support_is_not_assessable() -> None:
    assert berlin(150, peep=0, support="none").category is B.NOT_ASSESSABLE


def test_noninvasive_cpap_is_allowed_for_mild() -> None:
    assert berlin(250, support="noninvasive", peep=5).category is B.MILD


@pytest.mark.parametrize(("pao2", "pragmatic"), [("200", B.MODERATE), ("150", B.MODERATE), ("100", B.SEVERE)])
def test_noninvasive_support_with_pf_at_most_200_is_not_classifiable_under_the_strict_policy(
    pao2: str, pragmatic: BerlinCategory
) -> None:
    strict = berlin(pao2, support="noninvasive")
    assert strict.category is B.NOT_CLASSIFIABLE
    assert strict.pragmatic_category is pragmatic
    loose = berlin(pao2, support="noninvasive", policy="pragmatic")
    assert loose.category is pragmatic


def test_invasive_pragmatic_category_matches_the_category() -> None:
    result = berlin(150)
    assert result.pragmatic_category is result.category is B.MODERATE


@pytest.mark.parametrize("item", ["timing_within_1_week", "bilateral_opacities", "edema_not_cardiac"])
def test_a_failed_non_oxygenation_criterion_is_not_ards_with_a_reason(item: str) -> None:
    result = berlin(80, **{item: False})
    assert result.category is B.NOT_ARDS
    assert result.reasons and result.reasons[0].startswith("not ARDS")


@pytest.mark.parametrize("item", ["timing_within_1_week", "bilateral_opacities", "edema_not_cardiac"])
def test_an_unknown_non_oxygenation_criterion_is_not_assessable_naming_it(item: str) -> None:
    result = berlin(80, **{item: None})
    assert result.category is B.NOT_ASSESSABLE
    assert result.missing == (item,)
    assert item in result.reasons[0]


@pytest.mark.parametrize("field", ["pao2_mmhg", "fio2_fraction", "peep_cmh2o", "support"])
def test_a_missing_oxygenation_input_is_not_assessable_naming_it(field: str) -> None:
    values: dict[str, object] = {"pao2_mmhg": 80, "fio2_fraction": "0.5", "peep_cmh2o": 10, "support": "invasive"}
    values[field] = None
    result = classify_berlin(**values)  # type: ignore[arg-type]
    assert result.category is B.NOT_ASSESSABLE
    assert field in result.missing


def test_a_definite_failure_wins_over_a_missing_item() -> None:
    result = berlin(None, bilateral_opacities=False)
    assert result.category is B.NOT_ARDS


def test_pf_above_300_is_not_ards_even_when_imaging_is_unknown() -> None:
    assert berlin(350, bilateral_opacities=None).category is B.NOT_ARDS


def test_pf_above_300_on_peep_below_5_is_not_assessable_because_the_measurement_is_invalid() -> None:
    assert berlin(350, peep=3).category is B.NOT_ASSESSABLE


def test_altitude_at_or_below_1000_m_is_not_corrected() -> None:
    result = berlin(210, altitude_m=1000)
    assert result.pf_ratio_corrected is None
    assert result.category is B.MILD


def test_altitude_above_1000_m_with_measured_pressure_multiplies_by_pb_over_760() -> None:
    result = berlin(210, barometric_pressure_mmhg=570, altitude_m=2500)
    assert result.pf_ratio == 210
    assert result.pf_ratio_corrected == Decimal("157.5")
    assert result.category is B.MODERATE


def test_altitude_above_1000_m_without_pressure_uses_the_standard_atmosphere() -> None:
    result = berlin(210, altitude_m=2500)
    assert result.barometric_pressure_mmhg is not None
    assert abs(result.barometric_pressure_mmhg - Decimal("560.2")) < Decimal("0.1")
    assert result.category is B.MODERATE
    assert any("estimated" in w for w in result.warnings)


def test_a_low_barometric_pressure_without_altitude_is_corrected() -> None:
    assert berlin(210, barometric_pressure_mmhg=600).pf_ratio_corrected is not None
    assert berlin(210, barometric_pressure_mmhg=700).pf_ratio_corrected is None


def test_standard_pressure_is_760_at_sea_level_and_about_674_at_1000_m() -> None:
    assert standard_barometric_pressure_mmhg(0) == 760
    assert abs(standard_barometric_pressure_mmhg(1000) - Decimal("674.1")) < Decimal("0.1")


def test_invalid_inputs_are_all_reported_with_their_fields() -> None:
    with pytest.raises(ValidationErrors) as info:
        classify_berlin(pao2_mmhg="x", fio2_fraction=5, peep_cmh2o=-1, support="tent")
    assert {e.field for e in info.value.errors} == {"pao2_mmhg", "fio2_fraction", "peep_cmh2o", "support"}


def test_unknown_policy_is_rejected() -> None:
    with pytest.raises(ValidationError, match="strict"):
        berlin(80, policy="lenient")


def test_pf_ratio_rejects_zero_pao2() -> None:
    with pytest.raises(ValidationError) as info:
        pf_ratio(0, "0.5")
    assert info.value.field == "pao2_mmhg"


def test_sf_ratio_is_spo2_over_fio2() -> None:
    assert sf_ratio(92, "0.4") == 230


def test_sf_ratio_refuses_spo2_above_97() -> None:
    assert sf_ratio(97, 1) == 97
    with pytest.raises(ValidationError, match="97"):
        sf_ratio("97.5", "0.5")


def test_sf_surrogate_is_flagged_and_invalid_above_97() -> None:
    ok = sf_surrogate(94, "0.4")
    assert ok.surrogate and ok.valid
    assert abs(ok.estimated_pf_ratio - Decimal("203.5714285714")) < Decimal("1e-10")
    high = sf_surrogate(99, "0.4")
    assert not high.valid
    assert any("97" in w for w in high.warnings)


@pytest.mark.parametrize(("kpa", "category"), [("13.3", B.MODERATE), ("7.9", B.SEVERE), ("8.0", B.MODERATE)])
def test_kpa_input_is_converted_before_grading(kpa: str, category: BerlinCategory) -> None:
    from mexards.clinical.quantity import pressure_mmhg

    assert berlin(pressure_mmhg(kpa, "kPa"), "0.6").category is category
