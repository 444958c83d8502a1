"""Child-Pugh (clinical.md 3.4): band edges, words, classes, SI input."""

import pytest

from mexards.clinical.child_pugh import child_pugh, child_pugh_class, points_from_words
from mexards.domain.errors import ValidationError, ValidationErrors


def score(bili: object = 1, alb: object = 4, inr: object = 1, asc: object = 1, he: object = 1, **kw: object):
    return child_pugh(bilirubin_mg_dl=bili, albumin_g_dl=alb, inr=inr, ascites=asc, encephalopathy=he, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("bili", "points"), [("1.99", 1), ("2", 2), ("3", 2), ("3.01", 3)])
def test_bilirubin_band_edges(bili: str, points: int) -> None:
    assert score(bili=bili).components["bilirubin"] == points


@pytest.mark.parametrize(("alb", "points"), [("3.51", 1), ("3.5", 2), ("2.8", 2), ("2.79", 3)])
def test_albumin_band_edges(alb: str, points: int) -> None:
    assert score(alb=alb).components["albumin"] == points


def test_the_harrison_albumin_band_starts_at_3_0() -> None:
    assert score(alb="2.9", albumin_lower_g_dl="3.0").components["albumin"] == 3


@pytest.mark.parametrize(("inr", "points"), [("1.69", 1), ("1.7", 2), ("2.3", 2), ("2.31", 3)])
def test_inr_band_edges(inr: str, points: int) -> None:
    assert score(inr=inr).components["inr"] == points


@pytest.mark.parametrize(
    ("word", "points"),
    [
        ("none", 1),
        ("mild", 2),
        ("moderate", 3),
        ("severe", 3),
        ("grade 1-2", 2),
        ("grade 3-4", 3),
        ("Grade 3", 3),
        ("grade 1", 2),
        (2, 2),
        ("3", 3),
    ],
)
def test_ascites_and_encephalopathy_accept_points_and_words(word: object, points: int) -> None:
    assert points_from_words(word, "ascites") == points  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, 4, "lots", True, None])
def test_bad_ascites_is_rejected_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        score(asc=bad)
    assert info.value.field == "ascites"


@pytest.mark.parametrize(("total", "cls"), [(5, "A"), (6, "A"), (7, "B"), (9, "B"), (10, "C"), (15, "C")])
def test_class_boundaries(total: int, cls: str) -> None:
    assert child_pugh_class(total) == cls


def test_si_bilirubin_and_albumin_are_converted_before_scoring() -> None:
    result = score(bili="34.2", alb="35", bilirubin_unit="µmol/L", albumin_unit="g/L")
    assert result.components["bilirubin"] == 2
    assert result.components["albumin"] == 2


def test_several_bad_items_are_reported_together() -> None:
    with pytest.raises(ValidationErrors) as info:
        score(bili="x", inr=-1, he=9)
    assert {e.field for e in info.value.errors} == {"bilirubin_mg_dl", "inr", "encephalopathy"}


def test_result_carries_total_components_and_rule_version() -> None:
    result = score()
    assert result.score == result.total == 5
    assert result.complete and result.missing == ()
    assert "2.8-3.5" in result.rule_version


@pytest.mark.parametrize(
    ("items", "total", "excluded"),
    [
        (("3.5", "2.7", "2.0", 2, 2), 12, False),
        (("3.5", "2.7", "2.4", 2, 2), 13, True),
        (("1.9", "3.6", "1.6", 3, 3), 9, False),
    ],
)
def test_the_trial_exclusion_is_score_above_12_not_class_c(
    items: tuple[str, str, str, int, int], total: int, excluded: bool
) -> None:
    """NCT04602104 exclusion 2 [S1]: Child-Pugh score > 12; 10-12 is class C but not excluded."""
    bili, alb, inr, asc, he = items
    result = score(bili=bili, alb=alb, inr=inr, asc=asc, he=he)
    assert result.score == total
    assert (result.score > 12) is excluded
