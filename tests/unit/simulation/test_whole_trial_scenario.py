"""Scenario files: the shipped ones load, user files are checked at load and every error names its field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mexards.domain.errors import NotFoundError, ValidationError, ValidationErrors
from mexards.simulation.trial_scenario import (
    list_builtin_scenarios,
    load_trial_scenario,
    merged,
    scenario_from_document,
)


def _fields(error: ValidationError) -> set[str]:
    errors = error.errors if isinstance(error, ValidationErrors) else [error]
    return {e.field for e in errors}


def _write(folder: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_reference_and_null_scenarios_are_shipped() -> None:
    assert {"mexards", "mexards-null"} <= set(list_builtin_scenarios())


def test_the_reference_scenario_documents_its_sources_and_has_an_effect() -> None:
    scenario = load_trial_scenario("mexards")
    assert scenario.protocol == "NCT04602104"
    assert "LUNG_SAFE" in scenario.sources and "ARMA" in scenario.sources
    for block in ("population", "screening", "course", "dose_toxicity", "dose_response", "trial"):
        assert scenario.block_sources[block], block
    assert sum(scenario.population.severity) == pytest.approx(1.0)
    assert not scenario.dose_response.is_null


def test_the_null_scenario_is_the_reference_without_any_dose_response() -> None:
    null = load_trial_scenario("mexards-null")
    reference = load_trial_scenario("mexards")
    assert null.dose_response.is_null
    assert null.population == reference.population
    assert null.dose_toxicity == reference.dose_toxicity
    assert null.dose_response.ed50_particles == reference.dose_response.ed50_particles


def test_a_user_file_based_on_a_builtin_overrides_only_what_it_gives(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "format_version: 1\nbase: mexards\nname: mine\n"
        "dose_toxicity: {dlt_probability: [0.02, 0.05, 0.10]}\n",
    )
    scenario = load_trial_scenario(path)
    assert scenario.name == "mine"
    assert scenario.dose_toxicity.dlt_probability == (0.02, 0.05, 0.10)
    assert scenario.dose_toxicity.target == load_trial_scenario("mexards").dose_toxicity.target


def test_a_base_may_be_another_file_next_to_the_scenario(tmp_path: Path) -> None:
    _write(tmp_path, "format_version: 1\nbase: mexards\nname: parent\ntrial: {alpha: 0.1}\n", "parent.yaml")
    path = _write(tmp_path, "format_version: 1\nbase: parent.yaml\nname: child\n")
    assert load_trial_scenario(path).trial.alpha == 0.1


def test_every_bad_field_is_reported_at_once_with_its_path(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
format_version: 1
base: mexards
name: broken
population:
  severity: {MILD: 0.5, MODERATE: 0.6, SEVERE: 0.2}
  female_probability: 1.4
course:
  mortality_day28: {MILD: 0.5, MODERATE: 0.3, SEVERE: 0.3}
dose_toxicity:
  dlt_probability: [0.3, 0.2, "high"]
trial:
  analysis: anova
  alpha: 0
""",
    )
    with pytest.raises(ValidationErrors) as info:
        load_trial_scenario(path)
    assert {
        "population.severity",
        "population.female_probability",
        "course.mortality_day60.MILD",
        "dose_toxicity.dlt_probability[2]",
        "trial.analysis",
        "trial.alpha",
    } <= _fields(info.value)
    rules = {e.field: e.rule for e in info.value.errors}
    assert "add up to 1" in rules["population.severity"]
    assert rules["population.female_probability"] == "must be a probability in [0, 1]"


def test_a_decreasing_dose_toxicity_curve_is_refused() -> None:
    document = merged(_builtin_document(), {"dose_toxicity": {"dlt_probability": [0.3, 0.2, 0.4]}})
    with pytest.raises(ValidationError) as info:
        scenario_from_document(document)
    assert _fields(info.value) == {"dose_toxicity.dlt_probability"}


def test_an_unknown_key_is_an_error_not_a_silent_default() -> None:
    document = merged(_builtin_document(), {"course": {"mortality_day_28": 0.3}, "populaton": {}})
    with pytest.raises(ValidationError) as info:
        scenario_from_document(document)
    assert {"course.mortality_day_28", "populaton"} <= _fields(info.value)


def test_a_missing_block_is_named() -> None:
    document = _builtin_document()
    del document["dose_response"]
    with pytest.raises(ValidationError) as info:
        scenario_from_document(document)
    assert "dose_response" in _fields(info.value)


def test_an_unknown_scenario_name_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        load_trial_scenario("no-such-scenario")


def test_scenarios_that_base_on_each_other_in_a_cycle_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "format_version: 1\nbase: b.yaml\nname: a\n", "a.yaml")
    _write(tmp_path, "format_version: 1\nbase: a.yaml\nname: b\n", "b.yaml")
    with pytest.raises(ValidationError) as info:
        load_trial_scenario(tmp_path / "a.yaml")
    assert info.value.field == "base"


def test_invalid_yaml_is_reported_on_the_scenario() -> None:
    with pytest.raises(ValidationError) as info:
        scenario_from_document(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert info.value.field == "scenario"


def _builtin_document() -> dict[str, object]:
    from importlib import resources

    text = (
        resources.files("mexards.simulation")
        .joinpath("scenarios", "mexards.yaml")
        .read_text(encoding="utf-8")
    )
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document
