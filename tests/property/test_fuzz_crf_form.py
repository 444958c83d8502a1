"""Hostile input to the CRF form parser (``mexards.protocol.form``): whatever is entered, every built-in form
either returns typed values inside the plausible ranges of the form library or refuses with ``field: rule``
errors naming a field that was entered (or ``<field>_unit``, or a required field). Nothing else escapes.

Sources: edc-and-standards.md 1.2 (range and type checks at entry, REDCap/OpenClinica style); OWASP WSTG 4.7
(input validation). Crashes this fuzzing once found are pinned as regression tests at the end.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.form import FormDefinition, FormField, builtin_form, builtin_forms
from mexards.services.crf import convert
from tests.reliability.hostile import INJECTIONS, values

FORMS = sorted(builtin_forms())


def errors_of(exc: ValidationError) -> list[ValidationError]:
    return exc.errors if isinstance(exc, ValidationErrors) else [exc]


def assert_typed(spec: FormField, value: Any) -> None:
    """A value the form accepted has the field's type and lies in its range (stored unit)."""
    if spec.type in ("decimal", "integer"):
        assert isinstance(value, Decimal if spec.type == "decimal" else int) and not isinstance(value, bool)
        number = Decimal(value)
        assert number.is_finite()
        assert spec.minimum is None or number >= spec.minimum, (spec.name, value)
        assert spec.maximum is None or number <= spec.maximum, (spec.name, value)
    elif spec.type == "boolean":
        assert isinstance(value, bool)
    elif spec.type == "choice":
        assert value in spec.choices
    elif spec.type == "date":
        assert isinstance(value, date) and not isinstance(value, datetime)
    elif spec.type == "datetime":
        assert isinstance(value, datetime) and value.tzinfo is not None
    else:
        assert isinstance(value, str) and len(value) <= 2000 and value == value.strip()


@st.composite
def entries(draw: st.DrawFn) -> tuple[FormDefinition, dict[str, Any], dict[str, str]]:
    form = builtin_form(draw(st.sampled_from(FORMS)))
    names = [f.name for f in form.fields]
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    entered: dict[str, Any] = {name: draw(values(max_exponent=40)) for name in chosen}
    if draw(st.booleans()):
        entered[draw(st.sampled_from([*INJECTIONS[:6], "unknown_field", "pao2"]))] = draw(values(40))
    units: dict[str, str] = {}
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=3)):
        spec = form.field(name)
        units[name] = draw(st.sampled_from([*spec.allowed_units, "furlongs", "", "MMHG", "<b>%</b>"]))
    return form, entered, units


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries())
def test_a_form_returns_typed_values_in_range_or_names_every_bad_field(
    case: tuple[FormDefinition, dict[str, Any], dict[str, str]],
) -> None:
    form, entered, units = case
    try:
        checked = form.check(entered, units, convert)
    except ValidationError as exc:
        allowed = set(entered) | {f"{n}_unit" for n in units} | {f.name for f in form.fields if f.required}
        for error in errors_of(exc):
            assert error.field in allowed, (error.field, error.rule)
            assert error.rule and "Traceback" not in error.rule
        return
    assert set(checked) <= {f.name for f in form.fields}
    assert set(checked) <= set(entered)
    for name, value in checked.items():
        assert_typed(form.field(name), value)


@st.composite
def valid_entries(draw: st.DrawFn) -> tuple[FormDefinition, dict[str, Any]]:
    form = builtin_form(draw(st.sampled_from(FORMS)))
    entered: dict[str, Any] = {}
    for spec in form.fields:
        if not spec.required and draw(st.booleans()):
            continue
        low, high = spec.minimum, spec.maximum
        if spec.type == "decimal":
            value: Any = draw(st.decimals(min_value=low, max_value=high, places=2, allow_nan=False))
            entered[spec.name] = str(value)
        elif spec.type == "integer":
            entered[spec.name] = draw(st.integers(int(low) if low is not None else -1000,
                                                  int(high) if high is not None else 1000))  # fmt: skip
        elif spec.type == "boolean":
            entered[spec.name] = draw(st.sampled_from([True, False, "yes", "no", "true", "0"]))
        elif spec.type == "choice":
            entered[spec.name] = draw(st.sampled_from(spec.choices))
        elif spec.type == "date":
            entered[spec.name] = draw(st.dates()).isoformat()
        elif spec.type == "datetime":
            entered[spec.name] = draw(st.datetimes(timezones=st.timezones())).isoformat()
        else:
            entered[spec.name] = draw(st.one_of(st.sampled_from(INJECTIONS[:-1]), st.text(max_size=200)))
    return form, entered


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_entries())
def test_values_of_the_right_type_inside_the_range_are_accepted_as_entered(
    case: tuple[FormDefinition, dict[str, Any]],
) -> None:
    form, entered = case
    fio2_as_percent = {"fio2_fraction"}  # fio2_fraction converts entries above 1 from percent (clinical.md 3)
    try:
        checked = form.check(entered, None, convert)
    except ValidationError as exc:
        problems = [(e.field, e.rule) for e in errors_of(exc)]
        # text may not be blank when required; nothing else may be refused
        assert all(form.field(f).type == "text" and "required" in r for f, r in problems), problems
        return
    for name, raw in entered.items():
        spec = form.field(name)
        value = checked.get(name)
        if value is None:
            assert spec.type == "text" and not str(raw).strip()
            continue
        assert_typed(spec, value)
        if spec.type == "decimal" and name not in fio2_as_percent:
            assert value == Decimal(raw)
        if spec.type == "text":
            assert value == raw.strip()  # injection strings are kept as plain text, never interpreted


@pytest.mark.parametrize("form_id", FORMS)
def test_injection_strings_in_a_number_field_are_refused_naming_the_field(form_id: str) -> None:
    form = builtin_form(form_id)
    for spec in form.fields:
        if spec.type not in ("decimal", "integer"):
            continue
        for text in INJECTIONS:
            if not text.strip() or text.strip().isdecimal():  # blank is "not entered"; １２３ is a number
                continue
            with pytest.raises(ValidationError) as caught:
                form.check({spec.name: text}, None, convert)
            assert spec.name in [e.field for e in errors_of(caught.value)], (spec.name, text)


# --- crashes the fuzzing above once found, now refused cleanly -------------------------------------------

ABSURD_EXPONENT = "1e999999999"


def test_an_absurd_exponent_entered_in_another_unit_is_refused_naming_the_field() -> None:
    form = builtin_form("blood_gas")
    with pytest.raises(ValidationError) as caught:
        form.check({"pao2_mmhg": ABSURD_EXPONENT}, {"pao2_mmhg": "kPa"}, convert)
    assert "pao2_mmhg" in [e.field for e in errors_of(caught.value)]


@pytest.mark.parametrize(
    ("form_id", "name", "unit"), [("murray", "pao2_mmhg", None), ("labs", "albumin_g_dl", "g/L")]
)
def test_a_conversion_refusal_names_the_form_field(form_id: str, name: str, unit: str | None) -> None:
    form = builtin_form(form_id)
    with pytest.raises(ValidationError) as caught:
        form.check({name: "-1"}, {name: unit} if unit else None, convert)
    fields = [e.field for e in errors_of(caught.value)]
    assert name in fields
    assert all(f == name or f in {s.name for s in form.fields} for f in fields), fields


def test_an_integer_of_five_thousand_digits_is_refused_naming_the_field() -> None:
    form = builtin_form("vital_signs")
    with pytest.raises(ValidationError) as caught:
        form.check({"heart_rate_per_min": 10**5000}, None, convert)
    assert "heart_rate_per_min" in [e.field for e in errors_of(caught.value)]
