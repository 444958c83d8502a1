"""Patient records for screening: JSON and CSV forms, types, unit alternatives, events and field errors
(docs/eligibility.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from mexards.clinical.eligibility import Screener
from mexards.clinical.patient import Event, PatientSchema, json_records, records_from_csv
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol import builtin_protocol
from mexards.protocol.vocabulary import standard_fields

SCHEMA = PatientSchema(standard_fields())
NOW = "2025-03-01T08:00:00Z"


def errors_of(record: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationErrors) as caught:
        SCHEMA.parse(record)
    return [(e.field, e.rule) for e in caught.value.errors]


def test_nested_and_dotted_forms_give_the_same_record() -> None:
    nested = SCHEMA.parse({"screening_at": NOW, "anthropometry": {"weight_kg": "75.5", "height_cm": 176}})
    dotted = SCHEMA.parse({"screening_at": NOW, "anthropometry.weight_kg": "75.5", "anthropometry.height_cm": "176"})
    assert nested.values == dotted.values
    assert nested.get("anthropometry.weight_kg") == Decimal("75.5")


def test_values_are_typed_and_numbers_are_exact_decimals_as_entered() -> None:
    record = SCHEMA.parse({"screening_at": NOW, "date_of_birth": "1980-01-10", "sex": "Male",
                           "oxygenation": {"fio2_fraction": 0.57, "support": "INVASIVE"},
                           "history": {"epilepsy": "no"}, "liver": {"child_pugh_score": "7"}})
    assert record.screening_at == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert record.get("date_of_birth") == date(1980, 1, 10)
    assert record.get("sex") == "male"
    assert record.get("oxygenation.fio2_fraction") == Decimal("0.57")
    assert record.get("oxygenation.support") == "invasive"
    assert record.get("history.epilepsy") is False
    assert record.get("liver.child_pugh_score") == 7


def test_empty_values_are_missing_not_errors() -> None:
    record = SCHEMA.parse({"screening_at": NOW, "anthropometry.weight_kg": "", "history.epilepsy": None})
    assert record.get("anthropometry.weight_kg") is None and record.get("history.epilepsy") is None


def test_every_bad_field_is_reported_by_name() -> None:
    found = errors_of({"screening_at": NOW, "anthropometry": {"weight_kg": "heavy"}, "sex": "x",
                       "history": {"epilepsy": "maybe"}, "date_of_birth": "10/01/1980", "liver": {"inr": "1,2"},
                       "labs": {"cd4_count": 100}})
    assert found == [
        ("anthropometry.weight_kg", "must be a number"),
        ("sex", "must be one of: male, female"),
        ("history.epilepsy", "must be true or false"),
        ("date_of_birth", "must be a date YYYY-MM-DD"),
        ("liver.inr", "must be a number"),
        ("labs.cd4_count", "is not a known patient field"),
    ]


def test_the_screening_time_is_required_and_needs_a_time_zone() -> None:
    assert errors_of({"sex": "male"}) == [("screening_at", "is required")]
    assert errors_of({"screening_at": "2025-03-01T08:00"}) == [
        ("screening_at", "must include a time zone (e.g. Z or +08:00)")]
    assert errors_of({"screening_at": "yesterday"})[0][0] == "screening_at"


def test_only_one_unit_of_a_quantity_may_be_given() -> None:
    assert errors_of({"screening_at": NOW, "oxygenation": {"pao2_mmhg": 80, "pao2_kpa": "10.7"}}) == [
        ("oxygenation.pao2_kpa", "give only one of oxygenation.pao2_mmhg or oxygenation.pao2_kpa")]


@pytest.mark.parametrize(
    ("raw", "event"),
    [
        ({"occurred": False}, Event(False)),
        ({"occurred": True, "date": "2025-02-20"}, Event(True, date(2025, 2, 20))),
        ({"date": "2025-02-20"}, Event(True, date(2025, 2, 20))),
        ({"occurred": True}, Event(True)),
        (False, Event(False)),
        ("no", Event(False)),
        ("2025-02-20", Event(True, date(2025, 2, 20))),
    ],
)
def test_events_accept_the_full_and_the_short_forms(raw: object, event: Event) -> None:
    assert SCHEMA.parse({"screening_at": NOW, "events": {"severe_trauma": raw}}).get("events.severe_trauma") == event


def test_an_event_with_a_date_but_occurred_false_is_contradictory() -> None:
    assert errors_of({"screening_at": NOW, "events": {"acute_mi": {"occurred": False, "date": "2025-02-01"}}}) == [
        ("events.acute_mi.date", "is given although occurred is false")]


def test_csv_rows_use_dotted_columns_and_text_cells() -> None:
    text = "patient_id,screening_at,anthropometry.weight_kg,events.acute_mi.occurred\nA,2025-03-01T08:00Z,75,no\n"
    (row,) = records_from_csv(text)
    record = SCHEMA.parse(row)
    assert record.patient_id == "A"
    assert record.get("events.acute_mi") == Event(False)


def test_json_input_may_be_one_patient_a_list_or_a_patients_object() -> None:
    assert json_records('{"screening_at": "2025-03-01T08:00Z"}')[1] is True
    assert len(json_records('[{"a": 1}, {"b": 2}]')[0]) == 2
    assert json_records('{"patients": [{"a": 1}]}') == ([{"a": 1}], False)
    with pytest.raises(ValidationError):
        json_records("[1, 2]")
    with pytest.raises(ValidationError):
        json_records("{not json")


def test_json_numbers_keep_their_digits() -> None:
    (record,), _ = json_records('{"anthropometry": {"weight_kg": 80.92}}')
    assert record["anthropometry"]["weight_kg"] == Decimal("80.92")


def test_errors_from_clinical_definitions_are_named_after_the_patient_field() -> None:
    screener = Screener(builtin_protocol("NCT04602104"))
    with pytest.raises(ValidationErrors) as caught:
        screener.screen({"screening_at": NOW, "anthropometry": {"weight_kg": 75, "height_cm": 1.76},
                         "oxygenation": {"pao2_mmhg": 80, "fio2_fraction": "0.1", "peep_cmh2o": 10,
                                         "support": "invasive"}})
    fields = {e.field for e in caught.value.errors}
    assert fields <= {"oxygenation.fio2_fraction", "anthropometry.height_cm"} and fields


def test_batch_errors_name_the_row() -> None:
    screener = Screener(builtin_protocol("NCT04602104"))
    with pytest.raises(ValidationErrors) as caught:
        screener.screen_many([{"screening_at": NOW}, {"screening_at": NOW, "sex": "unknown"}, {}])
    assert [(e.field, e.rule) for e in caught.value.errors] == [
        ("rows[2].sex", "must be one of: male, female"), ("rows[3].screening_at", "is required")]


def test_protocol_specific_fields_are_accepted_only_for_that_protocol() -> None:
    record = {"screening_at": NOW, "labs": {"heart_normal": True}}
    Screener(builtin_protocol("NCT04313647")).schema.parse(record)
    with pytest.raises(ValidationErrors):
        Screener(builtin_protocol("NCT04602104")).schema.parse(record)
