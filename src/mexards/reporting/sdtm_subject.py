"""SDTM subject-level datasets, part 1: the shared subject context and the DM, DS and SV domains.

Built from the services read model :class:`~mexards.services.results.ClinicalRecords` (never from storage).
Conventions (SDTMIG 3.4):

- ``USUBJID`` = ``STUDYID-participant id`` (unique across studies of the sponsor, section 4.1.2.3);
  ``SUBJID`` = the participant id.
- Dates are ISO 8601 (section 4.4.1), times in UTC to the second without an offset (the define document
  states UTC). Study days (``--DY``) count from ``RFSTDTC`` (the first dose) with no Day 0 (section 4.4.4).
- ``VISITNUM`` is the position of the visit in the protocol's schedule, as in TV; a visit code the schedule
  does not know gets ``VISITNUM`` 100 + its order of first appearance (unplanned visits, section 4.4.5).
- ``EPOCH``: SCREENING before the first dose, DOSE ESCALATION (Phase 1) or BLINDED TREATMENT (Phase 2, masked
  design) on dosing days, FOLLOW-UP afterwards, as the TA dataset lays the arms out.
- DM holds everyone screened. A screen failure has ``ARMNRS`` SCREEN FAILURE, a participant never assigned
  NOT ASSIGNED, one assigned but never dosed ASSIGNED, NOT TREATED (codelist C142179). A Phase 1 participant
  has the dose level's arm (open label). A randomised participant has their allocated arm only in the
  unblinded variant; otherwise ``ARMCD``/``ARM``/``ACTARMCD``/``ACTARM`` are ``BLINDED`` (BLD-1).
- DS: the protocol milestones INFORMED CONSENT OBTAINED and RANDOMIZED, and one disposition event per
  participant who ended (COMPLETED, DEATH, WITHDRAWAL BY SUBJECT, LOST TO FOLLOW-UP, SCREEN FAILURE).
- SV: one row per visit done (``SVOCCUR`` Y) or missed (``SVOCCUR`` N with the reason).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from mexards.clinical.anthropometry import age_completed_years
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import Participant
from mexards.protocol.model import Protocol
from mexards.reporting.dataset import DOMAIN_LABELS, DOMAIN_VARIABLES, Dataset, Value
from mexards.reporting.terminology import (
    COUNTRY_CODES,
    DISPOSITION_EVENTS,
    MASKED_ARM,
    SEX_TERMS,
)
from mexards.reporting.trial_design import arm_codes, shorten, study_id
from mexards.services.record import CRFRecord
from mexards.services.results import ClinicalRecords

UNPLANNED_VISIT_BASE = 100
OMITTED = {"DM": ("BRTHDTC",)}
"""Permissible variables left out of a domain (date of birth: AGE is given instead, for privacy)."""


def dtc(value: datetime | date | str | None) -> str | None:
    """An ISO 8601 ``--DTC`` value: date-times in UTC to the second (no offset), dates as dates."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, str):
        try:
            parsed: datetime | date = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
        value = parsed
    if isinstance(value, datetime):
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return moment.isoformat(timespec="seconds")
    return value.isoformat()


def _as_date(value: datetime | date | str | None) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = dtc(value)
    return date.fromisoformat(text[:10]) if text else None


@dataclass
class SubjectContext:
    """What every subject-level domain needs: identifiers, reference dates, visits, epochs and arms."""

    protocol: Protocol
    records: ClinicalRecords

    def __post_init__(self) -> None:
        self.studyid = study_id(self.protocol)
        visits = self.protocol.schedule.visits if self.protocol.schedule else ()
        self.visit_number = {v.id: n for n, v in enumerate(visits, start=1)}
        self.visit_label = {v.id: shorten(v.label) for v in visits}
        self.visit_day = {v.id: v.day for v in visits}
        self.people = {p.participant_id: p for p in self.records.participants}
        self.arm_code = arm_codes(self.protocol)
        self.arm_label = {a.id: shorten(a.label) for a in self.protocol.arms}
        days = [d for i in self.protocol.interventions for d in i.schedule_days]
        self.last_dosing_day = max(days, default=0)
        masked = self.protocol.identification.design.masking not in ("", "NONE")
        self.phase2_epoch = "BLINDED TREATMENT" if masked else "TREATMENT"
        levels = {n: level.id for n, level in enumerate(self.protocol.dose_levels, start=1)}
        self.level_arm = {n: a.id for n, lid in levels.items() for a in self.protocol.arms
                          if a.phase == 1 and a.dose_level == lid}
        self.last_dose: dict[ParticipantId, datetime] = {}
        for given in self.records.administrations:
            stamp = given.ended_at or given.started_at
            if stamp is not None and given.status.value != "missed":
                current = self.last_dose.get(given.participant_id)
                self.last_dose[given.participant_id] = stamp if current is None else max(current, stamp)
        self.start_dtc = {pid: dtc(p.first_dose_at) for pid, p in self.people.items()}
        self.start_date = {pid: _as_date(p.first_dose_at) for pid, p in self.people.items()}
        self.demographics: dict[ParticipantId, CRFRecord] = {
            r.participant_id: r for r in self.records.crf_records if r.form_id == "demographics"}

    def usubjid(self, pid: ParticipantId) -> str:
        return f"{self.studyid}-{pid}"

    def participant_of(self, usubjid: str) -> ParticipantId | None:
        """The participant id of a ``USUBJID`` this context made."""
        if not hasattr(self, "_by_usubjid"):
            self._by_usubjid = {self.usubjid(pid): pid for pid in self.people}
        return self._by_usubjid.get(usubjid)

    def visit(self, code: str) -> tuple[int, str]:
        """``(VISITNUM, VISIT)`` of a visit code (unplanned codes numbered from 101)."""
        if code not in self.visit_number:
            self.visit_number[code] = UNPLANNED_VISIT_BASE + 1 + sum(
                1 for n in self.visit_number.values() if n > UNPLANNED_VISIT_BASE)
            self.visit_label[code] = f"UNPLANNED {code}"[:200]
        return self.visit_number[code], self.visit_label[code]

    def reference_start(self, pid: ParticipantId) -> datetime | None:
        person = self.people.get(pid)
        return person.first_dose_at if person else None

    def study_day(self, pid: ParticipantId, when: datetime | date | str | None) -> int | None:
        """``--DY`` of a date: Day 1 is the date of RFSTDTC, the day before is -1 (no Day 0)."""
        start, on = self.start_date.get(pid), _as_date(when)
        if start is None or on is None:
            return None
        delta = (on - start).days
        return delta + 1 if delta >= 0 else delta

    def epoch(self, pid: ParticipantId, when: datetime | date | str | None) -> str | None:
        """The epoch of a date or date-time (before the first dose, to the minute when times are known: the
        screening epoch)."""
        day = self.study_day(pid, when)
        person = self.people.get(pid)
        moment, start = dtc(when), self.start_dtc.get(pid)
        if person is None or moment is None:
            return None
        if day is None or day < 1 or (start is not None and "T" in moment and moment < start):
            return "SCREENING"
        if day > self.last_dosing_day:
            return "FOLLOW-UP"
        return self.phase2_epoch if person.randomization is not None else "DOSE ESCALATION"

    def arm_of(self, person: Participant) -> str | None:
        """The arm id of a participant as the actor may see it (None: masked or not assigned)."""
        if person.randomization is not None:
            return self.records.phase2_arm.get(person.participant_id)
        if person.dose_level is not None:
            return self.level_arm.get(person.dose_level.index)
        return None


def subject_dataset(domain: str, rows: Iterable[dict[str, Value]]) -> Dataset:
    """The dataset of ``domain`` with its standard variables (less those omitted) and ``rows``."""
    omitted = OMITTED.get(domain, ())
    variables = tuple(v for v in DOMAIN_VARIABLES[domain] if v.name not in omitted)
    return Dataset(domain, DOMAIN_LABELS[domain], variables, tuple(rows))


def _arm_columns(ctx: SubjectContext, person: Participant) -> dict[str, Value]:
    assigned = person.randomization is not None or person.dose_level is not None
    if not assigned:
        reason = "SCREEN FAILURE" if person.state.value == "ineligible" else "NOT ASSIGNED"
        return {"ARMCD": None, "ARM": None, "ACTARMCD": None, "ACTARM": None, "ARMNRS": reason}
    arm = ctx.arm_of(person)
    code, label = (ctx.arm_code[arm], ctx.arm_label[arm]) if arm else (MASKED_ARM, MASKED_ARM)
    treated = bool(person.dosed_days) or person.participant_id in ctx.last_dose
    return {"ARMCD": code, "ARM": label, "ACTARMCD": code if treated else None,
            "ACTARM": label if treated else None, "ARMNRS": None if treated else "ASSIGNED, NOT TREATED"}


def _country(ctx: SubjectContext) -> str:
    names = {s.country for s in ctx.protocol.identification.sites if s.country}
    if len(names) != 1:
        return "UNK"
    name = names.pop()
    return COUNTRY_CODES.get(name.lower(), name.upper())


def demographics(ctx: SubjectContext) -> Dataset:
    """DM: one row per participant screened."""
    rows: list[dict[str, Value]] = []
    country = _country(ctx)
    for person in ctx.records.participants:
        pid = person.participant_id
        values = ctx.demographics[pid].values if pid in ctx.demographics else {}
        consent = person.consent.consented_at if person.consent else None
        born = values.get("date_of_birth")
        birth = _as_date(born) if isinstance(born, str) else None
        on = _as_date(consent) or person.screened_at.date()
        age = age_completed_years(birth, on) if birth else None
        ended = person.state.is_terminal
        end_at = person.state_changed_at if ended else None
        sex = values.get("sex")
        rows.append({
            "STUDYID": ctx.studyid, "DOMAIN": "DM", "USUBJID": ctx.usubjid(pid), "SUBJID": str(pid),
            "RFSTDTC": dtc(person.first_dose_at), "RFENDTC": dtc(ctx.last_dose.get(pid)),
            "RFXSTDTC": dtc(person.first_dose_at), "RFXENDTC": dtc(ctx.last_dose.get(pid)),
            "RFICDTC": dtc(consent), "RFPENDTC": dtc(person.died_on or end_at),
            "DTHDTC": dtc(person.died_on), "DTHFL": "Y" if person.died_on else None, "SITEID": str(person.site_id),
            "AGE": age, "AGEU": "YEARS" if age is not None else None,
            "SEX": SEX_TERMS.get(sex, "U") if isinstance(sex, str) else "U", "RACE": None,
            **_arm_columns(ctx, person), "COUNTRY": country,
        })
    return subject_dataset("DM", rows)


def disposition(ctx: SubjectContext) -> Dataset:
    """DS: consent and randomisation milestones, and the end of participation of those who ended."""
    rows: list[dict[str, Value]] = []
    for person in ctx.records.participants:
        pid = person.participant_id
        events: list[tuple[str, str, str, datetime | date | None]] = []
        if person.consent is not None:
            events.append(("INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE",
                           person.consent.consented_at))
        if person.randomization is not None:
            events.append(("RANDOMIZED", "RANDOMIZED", "PROTOCOL MILESTONE", person.randomization.randomized_at))
        state = person.state.value
        if state in DISPOSITION_EVENTS:
            decod = DISPOSITION_EVENTS[state]
            term = person.end_reason or decod.capitalize()
            when: datetime | date | None = person.died_on if state == "died" else person.state_changed_at
            events.append((term[:200], decod, "DISPOSITION EVENT", when))
        for term, decod, category, when in events:
            rows.append({"STUDYID": ctx.studyid, "DOMAIN": "DS", "USUBJID": ctx.usubjid(pid), "DSSEQ": 0,
                         "DSTERM": term, "DSDECOD": decod, "DSCAT": category,
                         "EPOCH": ctx.epoch(pid, when) if person.enrolled_at else "SCREENING",
                         "DSSTDTC": dtc(when), "DSSTDY": ctx.study_day(pid, when)})
    return subject_dataset("DS", numbered(rows, "DSSEQ"))


def subject_visits(ctx: SubjectContext) -> Dataset:
    """SV: visits done (with their date) and visits missed (with the reason), in schedule order."""
    rows: list[dict[str, Value]] = []
    for visit in ctx.records.visits:
        if visit.status.value == "planned":
            continue
        number, label = ctx.visit(visit.visit_code)
        pid = visit.participant_id
        done = visit.status.value == "done"
        when = visit.actual_date if done else None
        rows.append({"STUDYID": ctx.studyid, "DOMAIN": "SV", "USUBJID": ctx.usubjid(pid), "VISITNUM": number,
                     "VISIT": label, "SVOCCUR": "Y" if done else "N",
                     "SVREASOC": None if done else (visit.missed_reason or "Not done")[:200],
                     "EPOCH": ctx.epoch(pid, when), "SVSTDTC": dtc(when), "SVENDTC": dtc(when),
                     "SVSTDY": ctx.study_day(pid, when), "SVENDY": ctx.study_day(pid, when)})
    rows.sort(key=lambda r: (str(r["USUBJID"]), float(r["VISITNUM"] or 0)))
    return subject_dataset("SV", rows)


def numbered(rows: list[dict[str, Value]], seq: str) -> list[dict[str, Value]]:
    """Rows sorted by subject (stable within a subject) with ``seq`` = 1, 2, ... within each USUBJID."""
    rows.sort(key=lambda r: str(r["USUBJID"]))
    counter: dict[Value, int] = {}
    for row in rows:
        counter[row["USUBJID"]] = counter.get(row["USUBJID"], 0) + 1
        row[seq] = counter[row["USUBJID"]]
    return rows
