"""The SDTM conformance checks flag what they promise to flag."""

from __future__ import annotations

import dataclasses

import pytest

from mexards.domain.errors import ValidationErrors
from mexards.protocol.model import Protocol
from mexards.reporting.conformance import (
    Finding,
    check_datasets,
    ensure_conformant,
    is_iso8601_date,
    is_iso8601_duration,
)
from mexards.reporting.dataset import Dataset, Variable
from mexards.reporting.trial_design import trial_design_datasets


def _rules(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.dataset, f.variable, f.rule) for f in findings}


def _with_rows(dataset: Dataset, change: dict[int, dict[str, object]]) -> Dataset:
    rows = tuple({**row, **change.get(n, {})} for n, row in enumerate(dataset.rows))
    return dataclasses.replace(dataset, rows=rows)


@pytest.fixture
def datasets(mexards: Protocol) -> dict[str, Dataset]:
    return trial_design_datasets(mexards)


def test_a_dataset_missing_a_required_variable_is_flagged(datasets: dict[str, Dataset]) -> None:
    ti = datasets["TI"]
    datasets["TI"] = dataclasses.replace(ti, variables=tuple(v for v in ti.variables if v.name != "IECAT"))
    findings = check_datasets(datasets)
    assert ("TI", "IECAT", "SD-REQ") in _rules(findings)
    with pytest.raises(ValidationErrors) as caught:
        ensure_conformant(datasets)
    assert any(e.field == "TI.IECAT" and e.rule.startswith("SD-REQ") for e in caught.value.errors)


def test_a_missing_expected_variable_and_a_null_required_value_are_flagged(
    datasets: dict[str, Dataset],
) -> None:
    ta = datasets["TA"]
    datasets["TA"] = dataclasses.replace(
        ta,
        variables=tuple(v for v in ta.variables if v.name != "TABRANCH"),
        rows=tuple({k: v for k, v in row.items() if k != "TABRANCH"} for row in ta.rows),
    )
    datasets["TE"] = _with_rows(datasets["TE"], {0: {"TESTRL": None}})
    rules = _rules(check_datasets(datasets))
    assert ("TA", "TABRANCH", "SD-EXP") in rules and ("TE", "TESTRL", "SD-REQ") in rules


def test_a_bad_iso_8601_value_is_flagged(datasets: dict[str, Dataset]) -> None:
    ts = datasets["TS"]
    start = next(n for n, r in enumerate(ts.rows) if r["TSPARMCD"] == "SSTDTC")
    age = next(n for n, r in enumerate(ts.rows) if r["TSPARMCD"] == "AGEMIN")
    datasets["TS"] = _with_rows(ts, {start: {"TSVAL": "30/11/2020"}, age: {"TSVAL": "18 years"}})
    datasets["TE"] = _with_rows(datasets["TE"], {1: {"TEDUR": "7 days"}})
    findings = [f for f in check_datasets(datasets) if f.rule == "SD-ISO8601"]
    assert {f.field for f in findings} == {
        f"TS.TSVAL[row {start + 1}]",
        f"TS.TSVAL[row {age + 1}]",
        "TE.TEDUR[row 2]",
    }


def test_controlled_terms_are_checked_with_errors_for_closed_and_warnings_for_extensible_lists(
    datasets: dict[str, Dataset],
) -> None:
    ts = datasets["TS"]
    phase = next(n for n, r in enumerate(ts.rows) if r["TSPARMCD"] == "TPHASE")
    route = next(n for n, r in enumerate(ts.rows) if r["TSPARMCD"] == "ROUTE")
    datasets["TS"] = _with_rows(ts, {phase: {"TSVAL": "PHASE 1/2"}, route: {"TSVAL": "NASAL SPRAY"}})
    datasets["TI"] = _with_rows(datasets["TI"], {0: {"IECAT": "INCLUDE"}})
    datasets["TA"] = _with_rows(datasets["TA"], {0: {"EPOCH": "WAITING"}})
    severities = {(f.field, f.severity) for f in check_datasets(datasets) if f.rule == "SD-CT"}
    assert (f"TS.TSVAL[row {phase + 1}]", "error") in severities
    assert (f"TS.TSVAL[row {route + 1}]", "warning") in severities
    assert ("TI.IECAT[row 1]", "error") in severities and ("TA.EPOCH[row 1]", "warning") in severities


def test_names_labels_and_lengths_follow_the_transport_limits(datasets: dict[str, Dataset]) -> None:
    te = datasets["TE"]
    long_label = Variable("TEDUR", "A label that is much longer than forty characters", "Char", "Perm")
    variables = tuple(long_label if v.name == "TEDUR" else v for v in te.variables)
    variables += (Variable("LONGNAME9", "Too long a name", "Char", "Perm"),)
    datasets["TE"] = _with_rows(
        dataclasses.replace(te, variables=variables),
        {0: {"ELEMENT": "x" * 201, "ETCD": "SCREENING1"}, 1: {"ELEMENT": "Café"}},
    )
    rules = _rules(check_datasets(datasets))
    assert {
        ("TE", "TEDUR", "SD-LABEL"),
        ("TE", "LONGNAME9", "SD-NAME"),
        ("TE", "ELEMENT", "SD-LENGTH"),
        ("TE", "ETCD", "SD-LENGTH"),
    } <= rules
    assert ("TA", "ETCD", "TA-TE") in rules, "TA still names the screening element SCRN"


def test_keys_domain_value_types_and_ts_values_are_checked(datasets: dict[str, Dataset]) -> None:
    ts = datasets["TS"]
    datasets["TS"] = _with_rows(ts, {1: {"TSSEQ": "one"}, 2: {"TSVALNF": "UNK"}, 3: {"TSPARM": "Sponsor"}})
    datasets["TI"] = _with_rows(datasets["TI"], {1: {"IETESTCD": "I1"}, 2: {"DOMAIN": "IE"}})
    rules = _rules(check_datasets(datasets))
    assert {
        ("TS", "TSSEQ", "SD-TYPE"),
        ("TS", "TSVAL", "TS-VALUE"),
        ("TS", "TSPARM", "SD-CT"),
        ("TI", "IETESTCD", "SD-KEY"),
        ("TI", "DOMAIN", "SD-DOMAIN"),
    } <= rules


def test_a_required_trial_summary_parameter_must_be_present(datasets: dict[str, Dataset]) -> None:
    ts = datasets["TS"]
    datasets["TS"] = dataclasses.replace(ts, rows=tuple(r for r in ts.rows if r["TSPARMCD"] != "SEXPOP"))
    findings = [f for f in check_datasets(datasets) if f.rule == "TS-PARM"]
    assert [f.message for f in findings] == ["required parameter SEXPOP missing"]


def test_an_arm_in_trial_visits_must_be_an_arm_of_trial_arms(datasets: dict[str, Dataset]) -> None:
    datasets["TV"] = _with_rows(datasets["TV"], {0: {"ARMCD": "NOSUCHARM"}})
    assert ("TV", "ARMCD", "TV-TA") in _rules(check_datasets(datasets))


def test_warnings_alone_do_not_stop_an_export(datasets: dict[str, Dataset]) -> None:
    datasets["TA"] = _with_rows(datasets["TA"], {0: {"EPOCH": "WAITING"}})
    warnings = ensure_conformant(datasets)
    assert [w.severity for w in warnings] == ["warning"]


@pytest.mark.parametrize(
    "text",
    [
        "2020",
        "2020-11",
        "2020-11-30",
        "2020-11-30T08:15",
        "2020-11-30T08:15:30Z",
        "2020-11-30T08:15:30.5+08:00",
    ],
)
def test_iso_8601_dates_sdtm_allows_are_accepted(text: str) -> None:
    assert is_iso8601_date(text)


@pytest.mark.parametrize(
    "text", ["20201130", "2020-13-01", "2020-11-32", "30/11/2020", "2020-11-30 08:15", ""]
)
def test_malformed_dates_are_rejected(text: str) -> None:
    assert not is_iso8601_date(text)


@pytest.mark.parametrize("text", ["P18Y", "P7D", "P1Y6M", "PT2H", "P2W", "P1DT12H", "P0.5D"])
def test_iso_8601_durations_are_accepted(text: str) -> None:
    assert is_iso8601_duration(text)


@pytest.mark.parametrize("text", ["P", "18Y", "P18", "PT", "P1H", "7 days", ""])
def test_malformed_durations_are_rejected(text: str) -> None:
    assert not is_iso8601_duration(text)
