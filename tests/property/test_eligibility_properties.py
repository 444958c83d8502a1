"""Invariants of the eligibility engine on varied MEXARDS patients (hypothesis).

- every criterion always gets a status and a reason, and the verdict follows from the statuses;
- removing recorded data never turns INELIGIBLE or INCOMPLETE into ELIGIBLE, and never flips a decided
  criterion (it can only become MISSING);
- making a failing datum worse never turns INELIGIBLE into ELIGIBLE.

``enrolment_at`` is not removed: by design (docs/eligibility.md) the screening time stands in for a missing
enrolment time, an earlier anchor.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexards.clinical.eligibility import Screener, Status, Verdict
from mexards.clinical.patient import flatten
from mexards.protocol import builtin_protocol, example_patients

SCREENER = Screener(builtin_protocol("NCT04602104"))
BASE = flatten(example_patients("NCT04602104")[0])
SCREEN_DAY = date(2025, 3, 1)


def decimals(low: str, high: str, places: int = 1) -> st.SearchStrategy[str]:
    return st.decimals(Decimal(low), Decimal(high), places=places).map(str)


def event(days_back: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(False), st.integers(0, days_back).map(lambda d: str(SCREEN_DAY - timedelta(days=d))))


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "date_of_birth": st.dates(date(1940, 1, 1), date(2012, 1, 1)).map(str),
    "sex": st.sampled_from(["male", "female"]),
    "anthropometry.weight_kg": decimals("40", "130"),
    "anthropometry.height_cm": decimals("150", "200", 0),
    "oxygenation.pao2_mmhg": decimals("40", "320", 0),
    "oxygenation.fio2_fraction": st.sampled_from(["0.3", "0.4", "0.5", "0.57", "0.6", "0.8", "1.0"]),
    "oxygenation.peep_cmh2o": st.sampled_from(["0", "3", "5", "8", "10", "15"]),
    "oxygenation.support": st.sampled_from(["invasive", "noninvasive", "none"]),
    "oxygenation.paco2_mmhg": decimals("30", "80", 0),
    "ards.onset_within_1_week": st.booleans(),
    "ards.bilateral_opacities": st.booleans(),
    "ards.diagnosed_at": st.integers(0, 150).map(
        lambda h: (datetime.fromisoformat("2025-03-01T08:00:00+00:00") - timedelta(hours=h)).isoformat()),
    "hemodynamics.left_atrial_hypertension_signs": st.booleans(),
    "hemodynamics.paop_mmhg": decimals("5", "30", 0),
    "liver.bilirubin_mg_dl": decimals("0.2", "8"),
    "liver.albumin_g_dl": decimals("1.5", "5"),
    "liver.inr": decimals("0.8", "4"),
    "liver.ascites": st.sampled_from(["none", "mild", "severe"]),
    "liver.encephalopathy": st.sampled_from(["none", "grade 1-2", "grade 3-4"]),
    "labs.anc_per_mm3": decimals("100", "9000", 0),
    "history.chronic_respiratory_disease": st.booleans(),
    "history.home_oxygen": st.booleans(),
    "history.malignancy": st.booleans(),
    "history.malignancy_only_basal_cell_skin": st.booleans(),
    "treatment.dialysis": st.booleans(),
    "reproductive.childbearing_potential": st.booleans(),
    "reproductive.pregnant": st.booleans(),
    "events.severe_trauma": event(30),
    "events.dvt_or_pe": event(150),
    "events.acute_mi": event(60),
    "attestations.otherwise_unsuitable": st.booleans(),
}
REMOVABLE = sorted(k for k in set(BASE) | set(FIELDS)
                   if k not in ("screening_at", "enrolment_at", "patient_id", "notes"))


@st.composite
def patients(draw: st.DrawFn) -> dict[str, Any]:
    record = dict(BASE)
    for key in draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=12)):
        value = draw(FIELDS[key])
        record.pop(f"{key}.occurred", None)
        record.pop(f"{key}.date", None)
        record[key] = value
    return record


def statuses(record: dict[str, Any]) -> tuple[Verdict, dict[str, Status]]:
    result = SCREENER.screen(record)
    return result.verdict, {c.id: c.status for c in result.criteria}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients())
def test_every_criterion_gets_a_status_and_the_verdict_follows_from_them(record: dict[str, Any]) -> None:
    result = SCREENER.screen(record)
    assert [c.id for c in result.criteria] == [c.id for c in SCREENER.protocol.eligibility.all()]
    assert all(isinstance(c.status, Status) and c.reason for c in result.criteria)
    fails = any(c.fails for c in result.criteria)
    missing = any(c.status is Status.MISSING for c in result.criteria)
    expected = Verdict.INELIGIBLE if fails else Verdict.INCOMPLETE if missing else Verdict.ELIGIBLE
    assert result.verdict is expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients(), st.data())
def test_removing_data_never_makes_a_patient_eligible_or_flips_a_decided_criterion(
        record: dict[str, Any], data: st.DataObject) -> None:
    before_verdict, before = statuses(record)
    present = [k for k in REMOVABLE if k in record]
    removed = data.draw(st.lists(st.sampled_from(present), unique=True, min_size=1, max_size=8))
    reduced = {k: v for k, v in record.items() if k not in removed}
    after_verdict, after = statuses(reduced)
    if before_verdict is not Verdict.ELIGIBLE:
        assert after_verdict is not Verdict.ELIGIBLE
    for criterion, status in before.items():
        assert after[criterion] in (status, Status.MISSING)


def _older(record: dict[str, Any], days: int) -> None:
    born = date.fromisoformat(record["date_of_birth"])
    record["date_of_birth"] = str(born - timedelta(days=days))


def _younger(record: dict[str, Any], days: int) -> None:
    born = date.fromisoformat(record["date_of_birth"])
    record["date_of_birth"] = str(min(born + timedelta(days=days), SCREEN_DAY))


def _add(key: str, sign: int, floor: Decimal = Decimal(0)) -> Any:
    def change(record: dict[str, Any], amount: int) -> None:
        if record.get(key) not in (None, ""):
            value = Decimal(str(record[key])) + sign * Decimal(amount) / 10
            record[key] = str(max(value, floor))
    return change


def _earlier_diagnosis(record: dict[str, Any], hours: int) -> None:
    if record.get("ards.diagnosed_at"):
        moment = datetime.fromisoformat(record["ards.diagnosed_at"]) - timedelta(hours=hours)
        record["ards.diagnosed_at"] = moment.isoformat()


def _closer(key: str) -> Any:
    def change(record: dict[str, Any], days: int) -> None:
        value = record.get(key)
        if isinstance(value, str) and value[:1].isdigit():
            record[key] = str(min(date.fromisoformat(value) + timedelta(days=days), SCREEN_DAY))
    return change


def _worse_liver(record: dict[str, Any], amount: int) -> None:
    _add("liver.bilirubin_mg_dl", 1)(record, amount)
    _add("liver.inr", 1)(record, amount)
    _add("liver.albumin_g_dl", -1, Decimal("0.1"))(record, amount)


WORSEN: dict[str, Any] = {
    "E2": _worse_liver,
    "E3": _add("oxygenation.paco2_mmhg", 1),
    "E4": _closer("events.severe_trauma"),
    "E7": _closer("events.dvt_or_pe"),
    "E8": _closer("events.acute_mi"),
    "E10": _add("anthropometry.weight_kg", 1),
    "I4": _earlier_diagnosis,
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients(), st.integers(1, 400))
def test_making_a_failing_datum_worse_never_makes_an_ineligible_patient_eligible(
        record: dict[str, Any], amount: int) -> None:
    result = SCREENER.screen(record)
    if result.verdict is not Verdict.INELIGIBLE:
        return
    worse = copy.deepcopy(record)
    for criterion in result.failing:
        if criterion == "I2":
            age = int(result.criterion("I2").values["age_years"])
            (_older if age > 70 else _younger)(worse, amount)
        elif criterion in WORSEN:
            WORSEN[criterion](worse, amount)
    after = SCREENER.screen(worse)
    assert after.verdict is Verdict.INELIGIBLE
    assert set(after.failing) >= {c for c in result.failing if c in WORSEN or c == "I2"}
