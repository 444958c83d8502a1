"""A clinical value entered as text is a plain decimal in the digits 0-9: full-width (``１２３``), Arabic-Indic
(``١٢٣``) and other scripts' digits, which Python's ``int()`` and ``Decimal()`` would read, are refused naming
the field, in ``clinical.quantity``, the screening record and the CRF form parser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mexards.clinical import quantity
from mexards.clinical.eligibility import Screener
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.domain.validation import ASCII_DIGITS_RULE
from mexards.protocol import builtin_protocol, example_patients
from mexards.protocol.form import builtin_form, load_forms
from mexards.services.crf import convert

OTHER_DIGITS = ["１２３", "٨٢", "۸۲", "८२", "৮২", "８2.5", "1２", "－５", "８e1"]
"""Full-width, Arabic-Indic, Extended Arabic-Indic, Devanagari and Bengali digits, alone or mixed with ASCII."""


def fields(error: ValidationError) -> list[tuple[str, str]]:
    errors = error.errors if isinstance(error, ValidationErrors) else [error]
    return [(e.field, e.rule) for e in errors]


@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_quantity_refuses_other_digits_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        quantity.exact(text, "pao2_mmhg")
    assert caught.value.field == "pao2_mmhg"
    assert caught.value.rule in (ASCII_DIGITS_RULE, "must be a number")
    with pytest.raises(ValidationError) as converted:
        quantity.pressure_mmhg(text, "kPa", "pao2")
    assert converted.value.field == "pao2"


def test_a_full_width_number_is_refused_with_the_ascii_rule() -> None:
    with pytest.raises(ValidationError) as caught:
        quantity.fio2_fraction("０.５", "fio2_fraction")
    assert (caught.value.field, caught.value.rule) == ("fio2_fraction", ASCII_DIGITS_RULE)


@pytest.mark.parametrize("text", ["80", " 80 ", "7.5e1", "+5", "0.50"])
def test_quantity_still_reads_ascii_text_exactly(text: str) -> None:
    assert quantity.exact(text, "x") == Decimal(text.strip())


@given(st.integers(0, 10**6), st.sampled_from([0xFF10, 0x0660, 0x06F0, 0x0966]))
def test_a_number_in_any_other_script_is_refused_and_its_ascii_twin_is_read(number: int, zero: int) -> None:
    ascii_text = str(number)
    other = "".join(chr(zero + int(d)) for d in ascii_text)
    assert quantity.exact(ascii_text, "x") == number
    with pytest.raises(ValidationError) as caught:
        quantity.exact(other, "x")
    assert caught.value.rule == ASCII_DIGITS_RULE


def test_a_screening_record_number_in_full_width_digits_is_refused_naming_its_path() -> None:
    protocol = builtin_protocol("NCT04602104")
    record = dict(example_patients("NCT04602104")[0])
    record["anthropometry"] = {"weight_kg": "７５", "height_cm": "176"}
    with pytest.raises(ValidationError) as caught:
        Screener(protocol).schema.parse(record)
    assert fields(caught.value) == [("anthropometry.weight_kg", ASCII_DIGITS_RULE)]


@pytest.mark.parametrize(("form_id", "name"), [("blood_gas", "pao2_mmhg"), ("vital_signs", "heart_rate_per_min"),
                                               ("sofa", "gcs"), ("blood_gas", "fio2_fraction")])
@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_a_form_number_in_other_digits_is_refused_naming_the_form_field(form_id: str, name: str, text: str) -> None:
    form = builtin_form(form_id)
    with pytest.raises(ValidationError) as caught:
        form.check({name: text}, None, convert)
    named = [f for f, _ in fields(caught.value)]
    assert name in named


def test_a_form_number_in_another_unit_and_full_width_digits_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        builtin_form("blood_gas").check({"pao2_mmhg": "１０"}, {"pao2_mmhg": "kPa"}, convert)
    assert ("pao2_mmhg", ASCII_DIGITS_RULE) in fields(caught.value)


def test_a_form_definition_with_a_full_width_bound_is_refused_naming_it() -> None:
    text = "forms:\n  - id: f\n    fields:\n      - {name: x, type: decimal, min: '１０'}\n"
    with pytest.raises(ValidationError) as caught:
        load_forms(text)
    assert (caught.value.field, caught.value.rule) == ("forms[0].fields[0].min", ASCII_DIGITS_RULE)
    assert load_forms(text.replace("１０", "10"))["f"].fields[0].minimum == 10
