"""Strata: every factor value is required before allocation (RND-3; OpenClinica #2284)."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.randomization.stratum import StratificationDesign, StratificationFactor, Stratum

DESIGN = StratificationDesign.of({"berlin_severity": ["mild", "moderate", "severe"], "site": ["S01", "S02"]})


def test_strata_are_the_cross_product_of_factor_levels_in_order() -> None:
    keys = [s.key for s in DESIGN.strata()]
    assert len(keys) == 6
    assert keys[0] == "berlin_severity=mild|site=S01"
    assert keys[-1] == "berlin_severity=severe|site=S02"


def test_a_design_without_factors_has_one_stratum() -> None:
    assert [s.key for s in StratificationDesign().strata()] == ["all"]
    assert StratificationDesign().stratum_for({}) == Stratum(())


def test_a_participant_s_values_give_the_stratum_whatever_the_key_order() -> None:
    stratum = DESIGN.stratum_for({"site": "S02", "berlin_severity": "moderate"})
    assert stratum.key == "berlin_severity=moderate|site=S02"
    assert DESIGN.stratum_from_key(stratum.key) == stratum


@pytest.mark.parametrize(
    ("values", "field", "rule"),
    [
        ({"site": "S01"}, "berlin_severity", "is required for randomization"),
        ({"site": "S01", "berlin_severity": ""}, "berlin_severity", "is required for randomization"),
        ({"site": "S01", "berlin_severity": None}, "berlin_severity", "is required for randomization"),
        ({"site": "S03", "berlin_severity": "mild"}, "site", "must be one of S01, S02"),
        ({"site": "S01", "berlin_severity": "mild", "age": "old"}, "age", "is not a stratification factor"),
    ],
)
def test_missing_unknown_or_extra_stratification_values_name_the_factor(
    values: dict[str, object], field: str, rule: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        DESIGN.stratum_for(values)
    assert caught.value.field == field
    assert caught.value.rule.startswith(rule)


def test_factor_names_and_levels_are_validated() -> None:
    with pytest.raises(ValidationError, match=r"factors\.name"):
        StratificationFactor("Site", ("S01",))
    with pytest.raises(ValidationError, match=r"factors\.site\.levels"):
        StratificationFactor("site", ("S01", "S01"))
    with pytest.raises(ValidationError, match="factors"):
        StratificationDesign((StratificationFactor("site", ("a",)), StratificationFactor("site", ("b",))))
