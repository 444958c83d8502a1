"""SDTM trial design datasets TS, TA, TE, TV, TI built from the protocol."""

from __future__ import annotations

import dataclasses

from mexards.protocol.model import Protocol
from mexards.reporting.conformance import check_datasets
from mexards.reporting.dataset import Dataset
from mexards.reporting.trial_design import (
    arm_codes,
    shorten,
    split_text,
    study_day,
    trial_design_datasets,
    trial_summary,
)


def _ts(dataset: Dataset) -> dict[str, list[str | None]]:
    values: dict[str, list[str | None]] = {}
    for row in dataset.rows:
        value = row["TSVAL"] if row["TSVAL"] is not None else f"NF:{row['TSVALNF']}"
        values.setdefault(str(row["TSPARMCD"]), []).append(None if value is None else str(value))
    return values


def test_every_built_in_protocol_gives_five_conformant_datasets(protocol: Protocol) -> None:
    datasets = trial_design_datasets(protocol)
    assert list(datasets) == ["TS", "TA", "TE", "TV", "TI"]
    assert [f for f in check_datasets(datasets) if f.severity == "error"] == []


def test_trial_summary_of_mexards_states_the_registry_facts(mexards: Protocol) -> None:
    ts = _ts(trial_summary(mexards))
    assert ts["TITLE"] == [mexards.identification.official_title]
    assert ts["REGID"] == ["NCT04602104"]
    assert ts["TPHASE"] == ["PHASE I/II TRIAL"]
    assert ts["TTYPE"] == ["SAFETY", "EFFICACY"]
    assert ts["RANDOM"] == ["Y"] and ts["TBLIND"] == ["DOUBLE BLIND"] and ts["INTMODEL"] == ["PARALLEL"]
    assert ts["PLANSUB"] == ["169"] and ts["ACTSUB"] == ["18"] and ts["NARMS"] == ["6"]
    assert ts["AGEMIN"] == ["P18Y"] and ts["AGEMAX"] == ["P70Y"]
    assert ts["SEXPOP"] == ["BOTH"] and ts["HLTSUBJI"] == ["N"] and ts["ADDON"] == ["Y"]
    assert ts["STYPE"] == ["INTERVENTIONAL"] and ts["TCNTRL"] == ["PLACEBO"]
    assert ts["ROUTE"] == ["RESPIRATORY (INHALATION)"] and ts["DOSFRQ"] == ["QD"]
    assert ts["TRT"] == ["hMSC-Exos (allogeneic human MSC exosomes)"]
    assert ts["SSTDTC"] == ["2020-11-30"] and ts["SENDTC"] == ["2023-01-11"]
    assert "DOSE" not in ts, "the dose differs between arms, so no single DOSE"


def test_a_fixed_dose_trial_states_dose_and_unit_and_unknowns_get_null_flavors(
    all_protocols: list[Protocol],
) -> None:
    adipose = next(p for p in all_protocols if p.registry_id == "NCT01902082")
    ts = _ts(trial_summary(adipose))
    assert ts["DOSE"] == ["1000000"] and ts["DOSU"] == ["cells/kg"] and ts["DOSFRQ"] == ["ONCE"]
    assert ts["ROUTE"] == ["INTRAVENOUS"]
    assert ts["AGEMAX"] == ["NF:PINF"], "no maximum age is positive infinity (SDTMIG TS assumptions)"
    assert ts["TBLIND"] == ["NF:UNK"] and ts["SSTDTC"] == ["NF:UNK"]
    assert ts["REGID"] == ["NCT01902082"]


def test_healthy_volunteer_trial_is_not_add_on_and_dose_escalation_is_adaptive(
    all_protocols: list[Protocol],
) -> None:
    volunteers = next(p for p in all_protocols if p.registry_id == "NCT04313647")
    ts = _ts(trial_summary(volunteers))
    assert ts["HLTSUBJI"] == ["Y"] and ts["ADDON"] == ["N"] and ts["ADAPT"] == ["Y"]
    assert ts["RANDOM"] == ["N"] and ts["TBLIND"] == ["OPEN LABEL"] and ts["INTMODEL"] == ["SEQUENTIAL"]
    assert ts["PLANSUB"] == ["NF:UNK"] and ts["ACTSUB"] == ["24"]


def test_a_title_over_200_characters_continues_in_tsval1(mexards: Protocol) -> None:
    title = "A very long official title " * 12
    ident = dataclasses.replace(mexards.identification, official_title=title.strip())
    ts = trial_summary(dataclasses.replace(mexards, identification=ident))
    row = next(r for r in ts.rows if r["TSPARMCD"] == "TITLE")
    assert len(str(row["TSVAL"])) <= 200 and row["TSVAL1"] and len(str(row["TSVAL1"])) <= 200
    assert str(row["TSVAL"]) + str(row["TSVAL1"]) == title.strip()
    assert [v.name for v in ts.variables][6:8] == ["TSVAL", "TSVAL1"]
    assert [f for f in check_datasets({"TS": ts}) if f.severity == "error"] == []


def test_split_text_cuts_at_spaces_and_keeps_every_character() -> None:
    text = "word " * 90
    pieces = split_text(text)
    assert "".join(pieces) == text and all(len(p) <= 200 for p in pieces) and len(pieces) == 3
    assert all(p.endswith(" ") for p in pieces[:-1])
    assert split_text("x" * 450) == ["x" * 200, "x" * 200, "x" * 50]


def test_shorten_keeps_short_text_and_cuts_long_text_at_a_word() -> None:
    assert shorten("short") == "short"
    cut = shorten("alpha beta gamma delta", 15)
    assert cut == "alpha beta..." and len(cut) <= 15


def test_trial_arms_branch_phase_one_by_dose_level_and_phase_two_by_randomisation(mexards: Protocol) -> None:
    ta = trial_design_datasets(mexards)["TA"]
    first = [r for r in ta.rows if r["TAETORD"] == 1]
    assert [r["ARMCD"] for r in first] == [
        "P1_LOW",
        "P1_MEDIUM",
        "P1_HIGH",
        "P2_QUARTER_MTD",
        "P2_MTD",
        "P2_CONTROL",
    ]
    assert first[0]["TABRANCH"] == "Assigned to dose level L1 (low) by the dose-escalation rule"
    assert first[3]["TABRANCH"] == "Randomized to Phase 2: hMSC-Exos dosage 1"
    epochs = {(r["ARMCD"], r["EPOCH"]) for r in ta.rows if r["TAETORD"] == 2}
    assert ("P1_LOW", "DOSE ESCALATION") in epochs and ("P2_CONTROL", "BLINDED TREATMENT") in epochs
    assert {r["EPOCH"] for r in ta.rows if r["TAETORD"] == 3} == {"FOLLOW-UP"}


def test_trial_elements_keep_start_rules_arm_neutral(mexards: Protocol) -> None:
    te = trial_design_datasets(mexards)["TE"]
    treatment = [r for r in te.rows if r["ETCD"] not in ("SCRN", "FU")]
    assert len(treatment) == 6
    assert len({r["TESTRL"] for r in treatment}) == 1, "the same start rule for every treatment element"
    assert "saline" not in str(treatment[0]["TESTRL"]).lower()
    assert {r["TEDUR"] for r in treatment} == {"P7D"}
    follow_up = next(r for r in te.rows if r["ETCD"] == "FU")
    assert follow_up["TEDUR"] == "P53D", "Day 8 to Day 60"


def test_visits_map_protocol_day_zero_to_study_day_minus_one(mexards: Protocol) -> None:
    tv = trial_design_datasets(mexards)["TV"]
    assert [r["VISITDY"] for r in tv.rows] == [-1, 1, 2, 3, 4, 5, 6, 7, 14, 28, 60]
    assert [r["VISITNUM"] for r in tv.rows] == list(range(1, 12))
    day_fourteen = next(r for r in tv.rows if r["VISITDY"] == 14)
    assert day_fourteen["TVSTRL"] == "Start of Day 14 (window Day 13 to Day 15)"
    assert study_day(0) == -1 and study_day(-3) == -4 and study_day(1) == 1


def test_criteria_are_listed_with_their_registry_ids_and_category(protocol: Protocol) -> None:
    ti = trial_design_datasets(protocol)["TI"]
    ids = [c.id for c in protocol.eligibility.all()]
    assert [r["IETESTCD"] for r in ti.rows] == ids
    assert [r["IECAT"] for r in ti.rows] == (
        ["INCLUSION"] * len(protocol.eligibility.inclusion)
        + ["EXCLUSION"] * len(protocol.eligibility.exclusion)
    )
    assert all(len(str(r["IETEST"])) <= 200 for r in ti.rows)


def test_arm_codes_are_unique_upper_case_and_at_most_twenty_characters(mexards: Protocol) -> None:
    arms = (
        *mexards.arms,
        dataclasses.replace(mexards.arms[0], id="p1-low"),
        dataclasses.replace(mexards.arms[1], id="an_arm_identifier_longer_than_twenty"),
    )
    codes = arm_codes(dataclasses.replace(mexards, arms=arms))
    assert len(set(codes.values())) == len(arms)
    assert codes["p1-low"] == "ARM07", "P1_LOW is taken, so the fallback code is used"
    assert all(len(code) <= 20 and code == code.upper() for code in codes.values())
