"""SDTM subject-level datasets, part 3: findings (VS, LB), the whole set, and the blinding check.

VS (SDTMIG 3.4 section 6.3.12): the vital-signs form (with its time point, e.g. PRE-DOSE), the SpO2 measured
before and after each nebulisation on the dosing log, and weight and height of the demographics form. LB
(section 6.3.5): the laboratory form and the arterial blood gas (PaO2, PaCO2, pH; specimen ARTERIAL BLOOD).
Test codes, names, categories, specimens and units: :data:`~mexards.reporting.terminology.VITAL_SIGNS` and
:data:`~mexards.reporting.terminology.LAB_TESTS`. Results are kept in the unit collected, so the standard
result equals the original one; no normal ranges are collected, so ``LBNRIND`` is null. ``--LOBXFL`` is Y on
each participant's last result of a test before the first dose (a PRE-DOSE result at the time of the first
dose counts as before it).

:func:`subject_datasets` builds DM, DS, EX, AE, VS, LB and SV; :func:`blinding_findings` checks that a masked
set names no Phase 2 arm, intervention or dose anywhere (rule ``BLD-ARM``, edc-and-standards.md 3.3: no arm
information in blinded datasets before unblinding).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from mexards.protocol.model import Protocol
from mexards.reporting.conformance import Finding
from mexards.reporting.dataset import Dataset, Value
from mexards.reporting.sdtm_event import adverse_events, exposure
from mexards.reporting.sdtm_subject import (
    SubjectContext,
    demographics,
    disposition,
    dtc,
    numbered,
    subject_dataset,
    subject_visits,
)
from mexards.reporting.terminology import LAB_TESTS, TIME_POINTS, VITAL_SIGNS
from mexards.reporting.trial_design import arm_codes
from mexards.services.results import ClinicalRecords

SUBJECT_DOMAINS = ("DM", "DS", "EX", "AE", "VS", "LB", "SV")
POST_DOSE = ("POST-DOSE", 7)
MIN_WORD = 4
"""Shorter arm words are not searched for inside values (they would match ordinary text)."""


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def _text(value: float) -> str:
    return format(value, "g") if value != int(value) else str(int(value))


def _finding(ctx: SubjectContext, prefix: str, pid: object, code: str, name: str, value: float, unit: str,
             when: datetime | str | None, visit: str | None) -> dict[str, Value]:
    person = ctx.people[pid]  # type: ignore[index]
    number, label = ctx.visit(visit) if visit else (None, None)
    text = _text(value)
    return {
        "STUDYID": ctx.studyid, "DOMAIN": prefix, "USUBJID": ctx.usubjid(person.participant_id),
        f"{prefix}SEQ": 0, f"{prefix}TESTCD": code, f"{prefix}TEST": name, f"{prefix}ORRES": text,
        f"{prefix}ORRESU": unit or None, f"{prefix}STRESC": text, f"{prefix}STRESN": value,
        f"{prefix}STRESU": unit or None, f"{prefix}LOBXFL": None, "VISITNUM": number, "VISIT": label,
        "EPOCH": ctx.epoch(person.participant_id, when), f"{prefix}DTC": dtc(when),
        f"{prefix}DY": ctx.study_day(person.participant_id, when),
    }


def _flag_last_before_exposure(ctx: SubjectContext, rows: list[dict[str, Value]], prefix: str) -> None:
    last: dict[tuple[Value, Value], dict[str, Value]] = {}
    for row in rows:
        pid = ctx.participant_of(str(row["USUBJID"]))
        start = dtc(ctx.reference_start(pid)) if pid is not None else None
        when = row.get(f"{prefix}DTC")
        if start is None or not isinstance(when, str):
            continue
        before = when < start or (when == start and row.get(f"{prefix}TPT") == "PRE-DOSE")
        key = (row["USUBJID"], row[f"{prefix}TESTCD"])
        if before and (key not in last or str(last[key][f"{prefix}DTC"]) <= when):
            last[key] = row
    for row in last.values():
        row[f"{prefix}LOBXFL"] = "Y"


def vital_signs(ctx: SubjectContext) -> Dataset:
    """VS: vital-signs forms, SpO2 around each dose, weight and height."""
    rows: list[dict[str, Value]] = []
    for record in ctx.records.crf_records:
        if record.form_id not in ("vital_signs", "demographics") or record.participant_id not in ctx.people:
            continue
        values = record.values
        when = values.get("measured_at") if record.form_id == "vital_signs" else record.entered_at.date()
        stamp = when if isinstance(when, str | datetime) else dtc(record.entered_at.date())
        point = TIME_POINTS.get(str(values.get("timepoint"))) if record.form_id == "vital_signs" else None
        for field, (code, name, unit) in VITAL_SIGNS.items():
            value = _number(values.get(field))
            if value is None or (record.form_id == "demographics") != (code in ("WEIGHT", "HEIGHT")):
                continue
            row = _finding(ctx, "VS", record.participant_id, code, name, value, unit, stamp, record.visit_code)
            row["VSTPT"], row["VSTPTNUM"] = point if point else (None, None)
            rows.append(row)
    day_visit = {v.day: v.id for v in (ctx.protocol.schedule.visits if ctx.protocol.schedule else ())}
    for given in ctx.records.administrations:
        if given.participant_id not in ctx.people:
            continue
        for value, when, point in ((given.spo2_pre_percent, given.started_at, TIME_POINTS["pre_dose"]),
                                   (given.spo2_post_percent, given.ended_at or given.started_at, POST_DOSE)):
            if value is None or when is None:
                continue
            row = _finding(ctx, "VS", given.participant_id, "OXYSAT", "Oxygen Saturation", float(value), "%", when,
                           day_visit.get(given.study_day.value))
            row["VSTPT"], row["VSTPTNUM"] = point
            rows.append(row)
    _flag_last_before_exposure(ctx, rows, "VS")
    rows.sort(key=lambda r: (str(r["USUBJID"]), str(r["VSDTC"] or ""), str(r["VSTESTCD"])))
    return subject_dataset("VS", numbered(rows, "VSSEQ"))


def laboratory(ctx: SubjectContext) -> Dataset:
    """LB: the laboratory form and the arterial blood gas."""
    rows: list[dict[str, Value]] = []
    for record in ctx.records.crf_records:
        if record.form_id not in ("labs", "blood_gas") or record.participant_id not in ctx.people:
            continue
        when = record.values.get("sampled_at" if record.form_id == "labs" else "measured_at")
        stamp = when if isinstance(when, str) else None
        gas = record.form_id == "blood_gas"
        for field, (code, name, category, specimen, unit) in LAB_TESTS.items():
            value = _number(record.values.get(field))
            if value is None or gas != (category == "BLOOD GAS"):
                continue
            row = _finding(ctx, "LB", record.participant_id, code, name, value, unit, stamp, record.visit_code)
            row.update({"LBCAT": category, "LBSPEC": specimen, "LBORNRLO": None, "LBORNRHI": None,
                        "LBNRIND": None})
            rows.append(row)
    _flag_last_before_exposure(ctx, rows, "LB")
    rows.sort(key=lambda r: (str(r["USUBJID"]), str(r["LBDTC"] or ""), str(r["LBTESTCD"])))
    return subject_dataset("LB", numbered(rows, "LBSEQ"))


def subject_datasets(protocol: Protocol, records: ClinicalRecords) -> dict[str, Dataset]:
    """DM, DS, EX, AE, VS, LB and SV of the records (masked unless the records are unblinded)."""
    ctx = SubjectContext(protocol, records)
    built = [demographics(ctx), disposition(ctx), exposure(ctx), adverse_events(ctx), vital_signs(ctx),
             laboratory(ctx), subject_visits(ctx)]
    return {ds.name: ds for ds in built}


def arm_words(protocol: Protocol) -> set[str]:
    """What would reveal a Phase 2 arm in a subject-level value: each Phase 2 arm's id, code, label and its
    interventions' names and descriptions (Phase 1 arms are open label and not listed)."""
    codes = arm_codes(protocol)
    words: set[str] = set()
    for arm in (a for a in protocol.arms if a.phase == 2):
        words |= {arm.id, codes[arm.id], arm.label}
        for item in (protocol.intervention(i) for i in arm.interventions):
            words |= {item.name, item.description} - {""}
    shared = {i.name for a in protocol.arms if a.phase != 2 for i in map(protocol.intervention, a.interventions)}
    return {w for w in words if w and w not in shared}


def blinding_findings(datasets: Mapping[str, Dataset], protocol: Protocol) -> list[Finding]:
    """Rule ``BLD-ARM``: every value in the subject-level datasets that names a Phase 2 arm (masked sets)."""
    words = [w.lower() for w in arm_words(protocol) if len(w) >= MIN_WORD]
    found: list[Finding] = []

    def names_arm(text: str) -> bool:
        lowered = text.lower()
        return any(word in lowered for word in words)

    for name in SUBJECT_DOMAINS:
        dataset = datasets.get(name)
        if dataset is None:
            continue
        for variable in {key for row in dataset.rows for key in row}:
            column = dataset.column(variable)
            if not names_arm("\x00".join(v for v in column if isinstance(v, str))):
                continue  # one search over the whole column; rows are looked at only when it matches
            found += [Finding(name, variable, number, "BLD-ARM", "names a Phase 2 treatment group in a masked dataset")
                      for number, value in enumerate(column, start=1)
                      if isinstance(value, str) and names_arm(value)]
    return sorted(found, key=lambda f: (SUBJECT_DOMAINS.index(f.dataset), f.row or 0, f.variable))
