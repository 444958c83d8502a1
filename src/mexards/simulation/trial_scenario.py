"""Scenario files for virtual ARDS patients and the whole-trial simulation: one YAML file, checked at load.

A scenario names the protocol (dose levels, Phase 1 design, DLT window, Phase 2 arms) and gives every
parameter of the patient model (:mod:`mexards.simulation.ards_patient`,
:mod:`mexards.simulation.trial_course`) and of the trial (:mod:`mexards.simulation.whole_trial`), each block
with its source. The shipped scenarios live in ``simulation/scenarios/*.yaml`` (``mexards``, the reference;
``mexards-null``, no effect); the format is documented in ``docs/whole-trial-simulation.md``.

A file may start from another with ``base: NAME`` (a built-in scenario name or a path): its mappings are
merged key by key into the base's, lists and numbers replace. Every problem is reported at once as a
:class:`~mexards.domain.errors.ValidationErrors`, each naming the dotted path of the field
(``population.severity.MILD: must be a probability in [0, 1]``); an unknown key is an error (usually a typo).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mexards.domain.errors import NotFoundError, ValidationError, ValidationErrors
from mexards.simulation.trial_parameter import (
    ANALYSES,
    EXCLUDING_CONDITIONS,
    FORMAT_VERSION,
    HARMLESS_CONDITIONS,
    MULTIPLICITY,
    SEVERITIES,
    Course,
    DoseResponse,
    DoseToxicity,
    Normal,
    Population,
    Screening,
    TrialPlan,
    TrialScenario,
)

__all__ = [
    "Course",
    "DoseResponse",
    "DoseToxicity",
    "Normal",
    "Population",
    "Screening",
    "TrialPlan",
    "TrialScenario",
    "list_builtin_scenarios",
    "load_trial_scenario",
    "scenario_from_document",
]

_PACKAGE = "mexards.simulation"


class _Reader:
    """Reads typed values out of nested mappings, collecting every error with its dotted path."""

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def fail(self, path: str, rule: str, value: Any = None) -> None:
        self.errors.append(ValidationError(path, rule, value))

    def block(self, data: Mapping[str, Any], key: str, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        where = f"{path}.{key}" if path else key
        value = data.get(key)
        if not isinstance(value, Mapping):
            self.fail(where, "is required and must be a mapping", value)
            return {}
        for name in value:
            if str(name) not in allowed and name != "source":
                self.fail(f"{where}.{name}", "is not a known scenario field", value[name])
        return {str(k): v for k, v in value.items()}

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        default: float | None = None,
    ) -> float:
        where = f"{path}.{key}"
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
            self.fail(
                where, "is required and must be a number" if value is None else "must be a number", value
            )
            return math.nan
        number = float(value)
        if low is not None and (number <= low if low_open else number < low):
            self.fail(where, f"must be {'greater than' if low_open else 'at least'} {low:g}", value)
        if high is not None and number > high:
            self.fail(where, f"must be at most {high:g}", value)
        return number

    def probability(self, data: Mapping[str, Any], key: str, path: str) -> float:
        value = data.get(key)
        number = self.number(data, key, path)
        if math.isfinite(number) and not 0.0 <= number <= 1.0:
            self.fail(f"{path}.{key}", "must be a probability in [0, 1]", value)
        return number

    def integer(self, data: Mapping[str, Any], key: str, path: str, *, low: int) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{path}.{key}", "is required and must be a whole number", value)
            return low
        if value < low:
            self.fail(f"{path}.{key}", f"must be at least {low}", value)
        return value

    def choice(self, data: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...]) -> str:
        value = data.get(key)
        if value not in choices:
            self.fail(f"{path}.{key}", f"must be one of: {', '.join(choices)}", value)
            return choices[0]
        return str(value)

    def normal(self, data: Mapping[str, Any], key: str, path: str, *, positive: bool = False) -> Normal:
        where = f"{path}.{key}"
        block = self.block(data, key, path, ("mean", "sd", "min", "max"))
        if not block:
            return Normal(math.nan, math.nan)
        low = 0.0 if positive else None
        mean = self.number(block, "mean", where, low=low, low_open=positive)
        sd = self.number(block, "sd", where, low=0.0)
        minimum = None if block.get("min") is None else self.number(block, "min", where, low=low)
        maximum = None if block.get("max") is None else self.number(block, "max", where, low=low)
        if minimum is not None and maximum is not None and minimum >= maximum:
            self.fail(f"{where}.max", "must be greater than min", maximum)
        return Normal(mean, sd, minimum, maximum)

    def per_class(self, data: Mapping[str, Any], key: str, path: str, kind: str) -> tuple[Any, ...]:
        where = f"{path}.{key}"
        block = self.block(data, key, path, SEVERITIES)
        values: list[Any] = []
        for name in SEVERITIES:
            if kind == "normal":
                values.append(self.normal(block, name, where))
            elif kind == "probability":
                values.append(self.probability(block, name, where))
            else:
                values.append(self.number(block, name, where, low=0.0))
        return tuple(values)

    def distribution(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        fixed: tuple[str, ...] | None = None,
        total: bool = True,
    ) -> tuple[tuple[str, float], ...]:
        """A mapping name -> probability (summing to 1 when ``total``), in file order."""
        where = f"{path}.{key}"
        value = data.get(key)
        if not isinstance(value, Mapping) or not value:
            self.fail(where, "is required and must be a mapping of names to probabilities", value)
            return ()
        items: list[tuple[str, float]] = []
        for name in value:
            if fixed is not None and str(name) not in fixed:
                self.fail(f"{where}.{name}", f"is not one of: {', '.join(fixed)}", value[name])
                continue
            items.append((str(name), self.probability({str(name): value[name]}, str(name), where)))
        if total and items and all(math.isfinite(p) for _, p in items):
            mass = sum(p for _, p in items)
            if abs(mass - 1.0) > 1e-6:
                self.fail(where, f"probabilities must add up to 1 (they add up to {mass:g})", mass)
        return tuple(items)


def _population(r: _Reader, data: Mapping[str, Any]) -> Population:
    p = r.block(
        data,
        "population",
        "",
        (
            "age_years",
            "female_probability",
            "height_cm",
            "bmi",
            "aetiology",
            "severity",
            "pf_ratio_mmhg",
            "fio2_fraction",
            "peep_cmh2o",
            "noninvasive_probability_mild",
            "non_respiratory_sofa_mean",
            "compliance_ml_cmh2o",
            "cxr_quadrants",
            "hours_since_diagnosis_max",
        ),
    )
    where = "population"
    height = r.block(p, "height_cm", where, ("male", "female"))
    severity = dict(r.distribution(p, "severity", where, fixed=SEVERITIES))
    quadrants = dict(r.distribution(p, "cxr_quadrants", where, fixed=("1", "2", "3", "4")))
    population = Population(
        age_years=r.normal(p, "age_years", where, positive=True),
        female_probability=r.probability(p, "female_probability", where),
        height_cm_male=r.normal(height, "male", f"{where}.height_cm", positive=True),
        height_cm_female=r.normal(height, "female", f"{where}.height_cm", positive=True),
        bmi=r.normal(p, "bmi", where, positive=True),
        aetiology=r.distribution(p, "aetiology", where),
        severity=tuple(severity.get(s, 0.0) for s in SEVERITIES),
        pf_ratio_mmhg=r.per_class(p, "pf_ratio_mmhg", where, "normal"),
        fio2_fraction=r.per_class(p, "fio2_fraction", where, "normal"),
        peep_cmh2o=r.per_class(p, "peep_cmh2o", where, "normal"),
        noninvasive_probability_mild=r.probability(p, "noninvasive_probability_mild", where),
        non_respiratory_sofa_mean=r.per_class(p, "non_respiratory_sofa_mean", where, "number"),
        compliance_ml_cmh2o=r.normal(p, "compliance_ml_cmh2o", where, positive=True),
        cxr_quadrants=tuple(quadrants.get(str(q), 0.0) for q in range(1, 5)),
        hours_since_diagnosis_max=r.number(p, "hours_since_diagnosis_max", where, low=0.0, low_open=True),
    )
    for i, name in enumerate(SEVERITIES):
        if population.non_respiratory_sofa_mean[i] > 20:
            r.fail(
                f"{where}.non_respiratory_sofa_mean.{name}", "must be at most 20 (five systems of 4 points)"
            )
        fio2 = population.fio2_fraction[i]
        if math.isfinite(fio2.mean) and not 0.21 <= fio2.mean <= 1.0:
            r.fail(f"{where}.fio2_fraction.{name}.mean", "must be between 0.21 and 1", fio2.mean)
    return population


def _screening(r: _Reader, data: Mapping[str, Any]) -> Screening:
    s = r.block(data, "screening", "", ("consent_refused", "not_ards", "conditions"))
    known = EXCLUDING_CONDITIONS + HARMLESS_CONDITIONS
    return Screening(
        consent_refused=r.probability(s, "consent_refused", "screening"),
        not_ards=r.probability(s, "not_ards", "screening"),
        conditions=r.distribution(s, "conditions", "screening", fixed=known, total=False),
    )


def _course(r: _Reader, data: Mapping[str, Any]) -> Course:
    c = r.block(
        data,
        "course",
        "",
        (
            "pf_change_day7_mmhg",
            "pf_ratio_bounds_mmhg",
            "pf_autocorrelation",
            "recovery_time_constant_days",
            "mortality_day28",
            "mortality_day60",
            "death_timing_shape",
            "ventilation_days_mean",
            "intubation_probability_noninvasive",
            "adverse_event_rate",
            "adverse_event_terms",
            "adverse_event_grades",
        ),
    )
    where = "course"
    bounds = r.block(c, "pf_ratio_bounds_mmhg", where, ("min", "max"))
    low = r.number(bounds, "min", f"{where}.pf_ratio_bounds_mmhg", low=0.0, low_open=True)
    high = r.number(bounds, "max", f"{where}.pf_ratio_bounds_mmhg", low=300.0, low_open=True)
    if math.isfinite(low) and low >= 100:
        r.fail(f"{where}.pf_ratio_bounds_mmhg.min", "must be below 100 (the severe band)", low)
    grades = dict(r.distribution(c, "adverse_event_grades", where, fixed=("1", "2", "3", "4")))
    course = Course(
        pf_change_day7_mmhg=r.per_class(c, "pf_change_day7_mmhg", where, "normal"),
        pf_ratio_min_mmhg=low,
        pf_ratio_max_mmhg=high,
        pf_autocorrelation=r.probability(c, "pf_autocorrelation", where),
        recovery_time_constant_days=r.number(c, "recovery_time_constant_days", where, low=0.0, low_open=True),
        mortality_day28=r.per_class(c, "mortality_day28", where, "probability"),
        mortality_day60=r.per_class(c, "mortality_day60", where, "probability"),
        death_timing_shape=r.number(c, "death_timing_shape", where, low=0.0, low_open=True),
        ventilation_days_mean=r.per_class(c, "ventilation_days_mean", where, "number"),
        intubation_probability_noninvasive=r.probability(c, "intubation_probability_noninvasive", where),
        adverse_event_rate=r.number(c, "adverse_event_rate", where, low=0.0),
        adverse_event_terms=r.distribution(c, "adverse_event_terms", where),
        adverse_event_grades=tuple(grades.get(str(g), 0.0) for g in range(1, 5)),
    )
    for i, name in enumerate(SEVERITIES):
        if course.mortality_day60[i] < course.mortality_day28[i]:
            r.fail(
                f"{where}.mortality_day60.{name}",
                "must be at least mortality_day28",
                course.mortality_day60[i],
            )
        if 0 <= course.ventilation_days_mean[i] < 1:
            r.fail(
                f"{where}.ventilation_days_mean.{name}", "must be at least 1", course.ventilation_days_mean[i]
            )
    return course


def _dose_toxicity(r: _Reader, data: Mapping[str, Any]) -> DoseToxicity:
    d = r.block(data, "dose_toxicity", "", ("target", "dlt_probability", "dlt_terms", "grade4_probability"))
    where = "dose_toxicity"
    target = r.number(d, "target", where, low=0.0, low_open=True, high=0.99)
    raw = d.get("dlt_probability")
    probabilities: list[float] = []
    if not isinstance(raw, list) or not raw:
        r.fail(f"{where}.dlt_probability", "is required: a list with one probability per dose level", raw)
    else:
        for i, value in enumerate(raw):
            probabilities.append(
                r.probability({f"dlt_probability[{i}]": value}, f"dlt_probability[{i}]", where)
            )
        if all(math.isfinite(p) for p in probabilities) and any(
            b < a for a, b in itertools.pairwise(probabilities)
        ):
            r.fail(f"{where}.dlt_probability", "must not decrease with the dose", raw)
    return DoseToxicity(
        target=target,
        dlt_probability=tuple(probabilities),
        dlt_terms=r.distribution(d, "dlt_terms", where),
        grade4_probability=r.probability(d, "grade4_probability", where),
    )


def _dose_response(r: _Reader, data: Mapping[str, Any]) -> DoseResponse:
    d = r.block(
        data, "dose_response", "", ("ed50_particles", "pf_change_emax_mmhg", "mortality_odds_ratio_max")
    )
    where = "dose_response"
    return DoseResponse(
        ed50_particles=r.number(d, "ed50_particles", where, low=0.0, low_open=True),
        pf_change_emax_mmhg=r.number(d, "pf_change_emax_mmhg", where),
        mortality_odds_ratio_max=r.number(d, "mortality_odds_ratio_max", where, low=0.0, low_open=True),
    )


def _trial(r: _Reader, data: Mapping[str, Any]) -> TrialPlan:
    t = r.block(
        data,
        "trial",
        "",
        (
            "accrual_per_month",
            "phase2_start_gap_days",
            "phase2_sample_size",
            "primary_endpoint_day",
            "analysis",
            "multiplicity",
            "alpha",
            "power_curve_scales",
            "follow_up_days",
        ),
    )
    where = "trial"
    size = t.get("phase2_sample_size")
    if size is not None:
        size = r.integer(t, "phase2_sample_size", where, low=6)
    scales = t.get("power_curve_scales")
    values: list[float] = []
    if not isinstance(scales, list) or not scales:
        r.fail(
            f"{where}.power_curve_scales",
            "is required: a list of effect multipliers such as [0, 0.5, 1]",
            scales,
        )
    else:
        for i, value in enumerate(scales):
            values.append(
                r.number({f"power_curve_scales[{i}]": value}, f"power_curve_scales[{i}]", where, low=0.0)
            )
    day = r.integer(t, "primary_endpoint_day", where, low=2)
    follow_up = r.integer(t, "follow_up_days", where, low=1)
    if follow_up < day:
        r.fail(f"{where}.follow_up_days", "must be at least primary_endpoint_day", follow_up)
    if day > 28:
        r.fail(f"{where}.primary_endpoint_day", "must be at most 28 (the modelled P/F course)", day)
    return TrialPlan(
        accrual_per_month=r.number(t, "accrual_per_month", where, low=0.0, low_open=True),
        phase2_start_gap_days=r.number(t, "phase2_start_gap_days", where, low=0.0),
        phase2_sample_size=size,
        primary_endpoint_day=day,
        analysis=r.choice(t, "analysis", where, ANALYSES),
        multiplicity=r.choice(t, "multiplicity", where, MULTIPLICITY),
        alpha=r.number(t, "alpha", where, low=0.0, low_open=True, high=0.5),
        power_curve_scales=tuple(values),
        follow_up_days=follow_up,
    )


_TOP = (
    "format_version",
    "base",
    "name",
    "description",
    "protocol",
    "sources",
    "population",
    "screening",
    "course",
    "dose_toxicity",
    "dose_response",
    "trial",
)


def scenario_from_document(document: Mapping[str, Any]) -> TrialScenario:
    """Check a parsed scenario document (after ``base`` merging) and build the scenario."""
    r = _Reader()
    if not isinstance(document, Mapping):
        raise ValidationError("scenario", "must be a mapping of scenario fields", document)
    for key in document:
        if key not in _TOP:
            r.fail(str(key), "is not a known scenario field", document[key])
    if document.get("format_version") != FORMAT_VERSION:
        r.fail("format_version", f"must be {FORMAT_VERSION}", document.get("format_version"))
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        r.fail("name", "is required (text)", name)
    protocol = document.get("protocol")
    if not isinstance(protocol, str) or not protocol.strip():
        r.fail(
            "protocol", "is required: a built-in registry id such as NCT04602104 or a protocol file", protocol
        )
    sources = document.get("sources", {})
    if not isinstance(sources, Mapping):
        r.fail("sources", "must be a mapping of source keys to citations", sources)
        sources = {}
    scenario = TrialScenario(
        name=str(name),
        description=str(document.get("description", "")),
        protocol=str(protocol),
        population=_population(r, document),
        screening=_screening(r, document),
        course=_course(r, document),
        dose_toxicity=_dose_toxicity(r, document),
        dose_response=_dose_response(r, document),
        trial=_trial(r, document),
        sources={str(k): str(v) for k, v in sources.items()},
        block_sources={
            key: str(block["source"])
            for key in _TOP
            if isinstance(block := document.get(key), Mapping) and "source" in block
        },
    )
    if r.errors:
        raise ValidationErrors(r.errors)
    return scenario


def merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged into ``base``: mappings key by key (recursively), anything else replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def list_builtin_scenarios() -> tuple[str, ...]:
    """Names of the scenarios shipped with mexards (``mexards``, ``mexards-null``, ...)."""
    folder = resources.files(_PACKAGE).joinpath("scenarios")
    return tuple(sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")))


def _document(name_or_path: str, seen: tuple[str, ...]) -> dict[str, Any]:
    if name_or_path in list_builtin_scenarios():
        text = (
            resources.files(_PACKAGE)
            .joinpath("scenarios", f"{name_or_path}.yaml")
            .read_text(encoding="utf-8")
        )
        key = f"builtin:{name_or_path}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            known = ", ".join(list_builtin_scenarios())
            raise NotFoundError(
                f"no scenario '{name_or_path}': not a file and not a built-in scenario ({known})"
            )
        text = path.read_text(encoding="utf-8")
        key = str(path.resolve())
    if key in seen:
        raise ValidationError("base", "scenarios refer to each other in a cycle", name_or_path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError("scenario", f"is not valid YAML: {exc}", name_or_path) from None
    if not isinstance(document, dict):
        raise ValidationError("scenario", "must be a mapping of scenario fields", name_or_path)
    base = document.pop("base", None)
    if base is None:
        return document
    if not isinstance(base, str) or not base.strip():
        raise ValidationError("base", "must name a built-in scenario or a scenario file", base)
    if base not in list_builtin_scenarios() and not Path(base).is_absolute() and key.startswith("/"):
        candidate = Path(key).parent / base
        base = str(candidate) if candidate.is_file() else base
    return merged(_document(base, (*seen, key)), document)


def load_trial_scenario(name_or_path: str | Path) -> TrialScenario:
    """A built-in scenario by name, or a scenario file (``base`` resolved, everything checked)."""
    return scenario_from_document(_document(str(name_or_path), ()))
