"""SOFA (Vincent 1996; clinical.md 3.3): every band edge, the special rules, SI units, partial scores."""

from decimal import Decimal

import pytest

from mexards.clinical.sofa import (
    SYSTEMS,
    cardiovascular_points,
    cns_points,
    coagulation_points,
    creatinine_points,
    liver_points,
    respiration_points,
    sofa_score,
    urine_output_points,
)
from mexards.domain.errors import ValidationError, ValidationErrors

D = Decimal


@pytest.mark.parametrize(
    ("pf", "support", "points"),
    [
        ("400", True, 0),
        ("399.9", False, 1),
        ("300", False, 1),
        ("299", False, 2),
        ("200", True, 2),
        ("199.9", True, 3),
        ("100", True, 3),
        ("99", True, 4),
        ("199", False, 2),
        ("50", False, 2),
    ],
)
def test_respiration_bands_and_the_cap_at_2_without_support(pf: str, support: bool, points: int) -> None:
    assert respiration_points(D(pf), support) == points


def test_respiration_below_200_with_unknown_support_is_missing_not_guessed() -> None:
    result = sofa_score(pf_ratio=150)
    assert "respiration" in result.missing
    assert respiration_points(D(250), None) == 2


@pytest.mark.parametrize(
    ("platelets", "points"), [("150", 0), ("149", 1), ("100", 1), ("99", 2), ("50", 2), ("49", 3), ("20", 3), ("19", 4)]
)
def test_coagulation_bands(platelets: str, points: int) -> None:
    assert coagulation_points(D(platelets)) == points


@pytest.mark.parametrize(
    ("bili", "points"),
    [("1.19", 0), ("1.2", 1), ("1.9", 1), ("1.99", 1), ("2.0", 2), ("5.9", 2), ("6.0", 3), ("11.9", 3), ("12", 4)],
)
def test_liver_bands(bili: str, points: int) -> None:
    assert liver_points(D(bili)) == points


def test_si_bilirubin_is_converted_before_scoring_34_umol_is_1_point() -> None:
    """clinical.md 3.3: 34 µmol/L = 1.99 mg/dL -> 1 point (the SI column would say 2)."""
    result = sofa_score(bilirubin_mg_dl=34, bilirubin_unit="µmol/L")
    assert result.components["liver"] == 1


@pytest.mark.parametrize(
    ("map_", "dopa", "dobu", "epi", "norepi", "points"),
    [
        ("70", "0", "0", "0", "0", 0),
        ("69.9", "0", "0", "0", "0", 1),
        ("60", "5", "0", "0", "0", 2),
        ("60", "5.01", "0", "0", "0", 3),
        ("60", "0", "2", "0", "0", 2),
        ("60", "0", "0", "0.1", "0", 3),
        ("60", "0", "0", "0", "0.1", 3),
        ("60", "15", "0", "0", "0", 3),
        ("60", "15.1", "0", "0", "0", 4),
        ("60", "0", "0", "0.11", "0", 4),
        ("60", "0", "0", "0", "0.2", 4),
        ("90", "3", "5", "0", "0.05", 3),
    ],
)
def test_cardiovascular_takes_the_highest_applicable_row(
    map_: str, dopa: str, dobu: str, epi: str, norepi: str, points: int
) -> None:
    assert cardiovascular_points(D(map_), D(dopa), D(dobu), D(epi), D(norepi))[0] == points


def test_vasopressors_score_without_a_map() -> None:
    assert sofa_score(norepinephrine_ug_kg_min="0.2").components["cardiovascular"] == 4
    assert "cardiovascular" in sofa_score().missing


@pytest.mark.parametrize(
    ("gcs", "points"), [(15, 0), (14, 1), (13, 1), (12, 2), (10, 2), (9, 3), (6, 3), (5, 4), (3, 4)]
)
def test_cns_bands(gcs: int, points: int) -> None:
    assert cns_points(gcs) == points


@pytest.mark.parametrize("gcs", [2, 16, "14.5", "x"])
def test_gcs_must_be_a_whole_number_from_3_to_15(gcs: object) -> None:
    with pytest.raises(ValidationError) as info:
        sofa_score(gcs=gcs)  # type: ignore[arg-type]
    assert info.value.field == "gcs"


@pytest.mark.parametrize(
    ("creat", "points"),
    [("1.19", 0), ("1.2", 1), ("1.99", 1), ("2", 2), ("3.49", 2), ("3.5", 3), ("4.99", 3), ("5", 4)],
)
def test_creatinine_bands(creat: str, points: int) -> None:
    assert creatinine_points(D(creat)) == points


@pytest.mark.parametrize(("urine", "points"), [("199", 4), ("200", 3), ("499", 3), ("500", 0)])
def test_urine_output_bands(urine: str, points: int) -> None:
    assert urine_output_points(D(urine)) == points


def test_renal_is_the_worse_of_creatinine_and_urine_output() -> None:
    assert sofa_score(creatinine_mg_dl="1.0", urine_output_ml_day=300).components["renal"] == 3
    assert sofa_score(creatinine_mg_dl="5.5", urine_output_ml_day=300).components["renal"] == 4


def test_si_creatinine_is_converted_first() -> None:
    assert sofa_score(creatinine_mg_dl=442, creatinine_unit="µmol/L").components["renal"] == 4
    assert sofa_score(creatinine_mg_dl=440, creatinine_unit="µmol/L").components["renal"] == 3


def test_renal_without_creatinine_is_scored_only_when_urine_output_gives_4() -> None:
    assert sofa_score(urine_output_ml_day=150).components["renal"] == 4
    assert "renal" in sofa_score(urine_output_ml_day=300).missing


def test_missing_systems_give_a_partial_total_never_imputed() -> None:
    result = sofa_score(platelets_10e3_ul=40, gcs=8)
    assert result.total == 6
    assert not result.complete
    assert set(result.missing) == set(SYSTEMS) - {"coagulation", "cns"}


def test_every_invalid_input_is_reported() -> None:
    with pytest.raises(ValidationErrors) as info:
        sofa_score(platelets_10e3_ul=-1, map_mmhg="x", dopamine_ug_kg_min=-2, creatinine_mg_dl="bad")
    assert {e.field for e in info.value.errors} == {
        "platelets_10e3_ul",
        "map_mmhg",
        "dopamine_ug_kg_min",
        "creatinine_mg_dl",
    }


def test_pf_can_come_from_pao2_and_fio2() -> None:
    assert sofa_score(pao2_mmhg=60, fio2_fraction="0.6", respiratory_support=True).components["respiration"] == 3


@pytest.mark.parametrize(
    ("umol", "points"),
    [("20", 0), ("20.52", 1), ("34.2", 2), ("102.6", 3), ("205.2", 4), ("204", 3)],
)
def test_si_bilirubin_edges_follow_the_mg_dl_table_after_conversion(umol: str, points: int) -> None:
    """clinical.md 3.3: convert µmol/L to mg/dL (÷ 17.1) first; 20 µmol/L = 1.17 mg/dL scores 0, not the SI 1."""
    assert sofa_score(bilirubin_mg_dl=umol, bilirubin_unit="µmol/L").components["liver"] == points


@pytest.mark.parametrize(
    ("umol", "points"),
    [("106.08", 1), ("106", 0), ("176.8", 2), ("309.4", 3), ("442", 4), ("441.9", 3)],
)
def test_si_creatinine_edges_follow_the_mg_dl_table_after_conversion(umol: str, points: int) -> None:
    """clinical.md 3.3: µmol/L ÷ 88.4, then the mg/dL bands (1.2, 2.0, 3.5, 5.0)."""
    assert sofa_score(creatinine_mg_dl=umol, creatinine_unit="µmol/L").components["renal"] == points


def test_dopamine_exactly_5_scores_2_as_in_vincent() -> None:
    assert sofa_score(map_mmhg=65, dopamine_ug_kg_min=5).components["cardiovascular"] == 2
