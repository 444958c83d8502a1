"""ODM 1.3.2 clinical data: every participant's CRF records, dosing log, adverse events and status, with the
audit records the read model offers, from :class:`~mexards.services.results.ClinicalRecords`.

Structure (CDISC ODM 1.3.2 sections 3.1.4 and 4; element order of ``ODM1-3-2-foundation.xsd``):

- ``AdminData``: a ``User`` per person who entered or changed data, a ``Location`` (type Site) per site;
- ``ClinicalData`` > ``SubjectData`` (SubjectKey = participant id) with, in this order, ``SiteRef`` then the
  ``StudyEventData`` (never an ``AuditRecord`` after them: the mistake of the OpenEDC fixture);
- each CRF record is a ``FormData`` of the form as collected (``F.CRF.<form id>``, items = the form library's
  fields, plus a ``DERIVED`` item group for the values the system computed on save) in the study event of its
  visit (``SE.<visit id>``; a visit code outside the schedule gets an Unscheduled event);
- the dosing log, the adverse events and the participant's status (consent, enrolment, cohort and dose level,
  randomisation stratum, number and kit, end of participation) are repeating or single forms of three
  Common events (``SE.DOSING``, ``SE.AE``, ``SE.STATUS``);
- every CRF ``FormData`` carries an ``AuditRecord``: who entered the record and when (version 1), or who made
  the latest change, when and why (a later version; the record id and version are its ``SourceID``), at the
  participant's site (21 CFR 11.10(e); ``edc-and-standards.md`` 3.1 maps AuditRecord onto Part 11).

Blinding: the records are masked unless unblinded (locked database, unblinded role). Masked, a Phase 2 dose is
the kit code and the volume and no item names an arm; unblinded, the status form adds the allocated arm and
each Phase 2 dose its particles.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from lxml import etree  # type: ignore[import-untyped]

from mexards.domain.administration import Administration
from mexards.domain.adverse_event import AdverseEvent
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import Participant
from mexards.protocol.form import FormDefinition, FormField, builtin_forms
from mexards.protocol.model import Protocol
from mexards.reporting.crf import CodeListSpec, FormSpec, ItemGroupSpec, ItemSpec, RangeSpec
from mexards.reporting.odm import (
    ODM_NS,
    ClinicalPart,
    MetadataExtension,
    StudyEventSpec,
    _el,
    event_oid,
    metadata_version_oid,
)
from mexards.services.record import CRFRecord
from mexards.services.results import ClinicalRecords

_TYPES = {"decimal": "float", "integer": "integer", "boolean": "boolean", "text": "text", "choice": "text",
          "date": "date", "datetime": "datetime"}
STATUS_FORM = "SUBJECT"
DOSING_FORM = "dosing_log"
AE_FORM = "adverse_event"
ASSESSMENT_FORMS: dict[str, str] = {
    "demographics": "demographics", "blood_gas": "blood_gas", "ventilator_settings": "blood_gas",
    "sofa": "sofa", "murray": "murray", "bloods": "labs", "biomarkers": "labs", "vital_signs": "vital_signs",
    "vital_signs_post_dose": "vital_signs", "vital_status": "end_of_study",
}
"""Assessment named in the schedule -> the library form that collects it (FormRefs of each visit)."""


def form_key(form_id: str) -> str:
    return f"CRF.{form_id}"


def _item(field: FormField, form_id: str) -> ItemSpec:
    ranges = tuple(RangeSpec(comparator, bound, "Soft", f"{field.name} outside the plausible range")
                   for comparator, bound in (("GE", field.minimum), ("LE", field.maximum)) if bound is not None)
    length = max((len(c) for c in field.choices), default=0) or (200 if field.type == "text" else None)
    return ItemSpec(field.name, field.label or field.name.replace("_", " "), _TYPES[field.type], field.unit or "",
                    f"{form_key(form_id)}.{field.name}" if field.choices else "", ranges, length, field.required)


def _kind(values: Iterable[object]) -> str:
    seen = [v for v in values if v is not None]
    if seen and all(isinstance(v, bool) for v in seen):
        return "boolean"
    if seen and all(isinstance(v, int) and not isinstance(v, bool) for v in seen):
        return "integer"
    try:
        for v in seen:
            Decimal(str(v))
    except ArithmeticError:
        return "text"
    return "float" if seen else "text"


def _collected(form: FormDefinition, derived: Mapping[str, list[object]], extra: tuple[ItemSpec, ...] = (),
               repeating: bool = False) -> tuple[FormSpec, list[CodeListSpec]]:
    items = tuple(_item(f, form.form_id) for f in form.fields) + extra
    groups = [ItemGroupSpec("VALUES", form.title, items, repeating)]
    if derived:
        groups.append(ItemGroupSpec("DERIVED", f"{form.title}: values computed on save", tuple(
            ItemSpec(name, f"Computed: {name.replace('_', ' ')}", _kind(values)) for name, values in derived.items())))
    codelists = [CodeListSpec(f"{form_key(form.form_id)}.{f.name}", f"{form.title}: {f.name}",
                              tuple((c, c.replace("_", " ")) for c in f.choices)) for f in form.fields if f.choices]
    return FormSpec(form_key(form.form_id), form.title, tuple(groups)), codelists


def _status_form(unblinded: bool) -> FormSpec:
    def item(key: str, question: str, kind: str = "text") -> ItemSpec:
        return ItemSpec(key, question, kind, length=200 if kind == "text" else None)

    items = [item("SCREENED_AT", "Screened at", "datetime"), item("STATE", "Participation state"),
             item("CONSENT_AT", "Consent signed at", "datetime"), item("CONSENT_BY", "Consent signed by"),
             item("ENROLLED_AT", "Enrolled at", "datetime"), item("COHORT", "Phase 1 cohort", "integer"),
             item("DOSE_LEVEL", "Phase 1 dose level", "integer"), item("RAND_AT", "Randomised at", "datetime"),
             item("STRATUM", "Randomisation stratum"), item("RAND_NO", "Randomisation sequence number", "integer"),
             item("KIT", "Kit code"), item("FIRST_DOSE_AT", "First dose at", "datetime"),
             item("END_REASON", "Reason participation ended"), item("DIED_ON", "Date of death", "date")]
    if unblinded:
        items.append(item("ARM", "Allocated treatment group (unblinded export)"))
    return FormSpec(STATUS_FORM, "Participant status and milestones",
                    (ItemGroupSpec("STATUS", "Participant status", tuple(items)),))


def _value(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_WHITESPACE = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters XML 1.0 cannot hold; they are dropped."""


_SPECIAL = re.compile("[&<>\"'\x00-\x1f]")


def _attr(text: str) -> str:
    """A quoted, escaped XML attribute value (line breaks and tabs kept as character references)."""
    if _SPECIAL.search(text) is None:
        return f'"{text}"'
    return quoteattr(_NOT_XML.sub("", text), _WHITESPACE)


def _items(out: list[str], oid_prefix: str, values: Iterable[tuple[str, object]]) -> None:
    """``ItemData`` elements (as XML text) for the values that are not empty."""
    for key, raw in values:
        text = raw if isinstance(raw, str) and raw else _value(raw)
        if text is not None:
            out.append(f"<ItemData ItemOID={_attr(f'{oid_prefix}.{key}')} Value={_attr(text)}/>")


def _location(site: str) -> str:
    return f"LOC.{site}"


def _user(user: str) -> str:
    return f"USR.{user}"


class _Builder:
    def __init__(self, protocol: Protocol, records: ClinicalRecords) -> None:
        self.protocol, self.records = protocol, records
        self.library = builtin_forms()
        self.site = {p.participant_id: str(p.site_id) for p in records.participants}
        self.users: set[str] = set()
        visits = protocol.schedule.visits if protocol.schedule else ()
        self.order = {v.id: n for n, v in enumerate(visits)}

    def extension(self) -> MetadataExtension:
        derived: dict[str, dict[str, list[object]]] = defaultdict(dict)
        unknown: dict[str, dict[str, list[object]]] = defaultdict(dict)
        visit_forms: dict[str, dict[str, None]] = defaultdict(dict)
        for record in self.records.crf_records:
            for name, value in record.derived.items():
                derived[record.form_id].setdefault(name, []).append(value)
            if record.form_id not in self.library:
                for name, value in record.values.items():
                    unknown[record.form_id].setdefault(name, []).append(value)
            visit_forms[record.visit_code][form_key(record.form_id)] = None
        for visit in self.protocol.schedule.visits if self.protocol.schedule else ():
            for assessment in visit.assessments:
                if assessment in ASSESSMENT_FORMS:
                    visit_forms[visit.id].setdefault(form_key(ASSESSMENT_FORMS[assessment]), None)
        forms: list[FormSpec] = []
        codelists: list[CodeListSpec] = []
        dose = (ItemSpec("dose_particles", "Dose given", "float", "particles"),)
        for form_id, form in self.library.items():
            extra: tuple[ItemSpec, ...] = dose if form_id == DOSING_FORM else ()
            spec, lists = _collected(form, derived.get(form_id, {}), extra, form_id in (DOSING_FORM, AE_FORM))
            forms.append(spec)
            codelists += lists
        for form_id, fields in unknown.items():
            form = FormDefinition(form_id, "1", form_id.replace("_", " ").capitalize(), ())
            extra = tuple(ItemSpec(name, name.replace("_", " "), _kind(values)) for name, values in fields.items())
            forms.append(_collected(form, derived.get(form_id, {}), extra)[0])
        forms.append(_status_form(self.records.unblinded))
        unscheduled = sorted(code for code in visit_forms if code not in self.order)
        events = [StudyEventSpec(code, f"Unscheduled: {code}", "Unscheduled", tuple(visit_forms[code]))
                  for code in unscheduled]
        events += [StudyEventSpec("STATUS", "Participant status", "Common", (STATUS_FORM,)),
                   StudyEventSpec("DOSING", "Study drug administration log", "Common", (form_key(DOSING_FORM),)),
                   StudyEventSpec("AE", "Adverse event log", "Common", (form_key(AE_FORM),))]
        return MetadataExtension(tuple(forms), tuple(codelists), tuple(events),
                                 {k: tuple(v) for k, v in visit_forms.items() if k in self.order})

    def _audit(self, out: list[str], user: str, when: datetime, site: str, reason: str | None,
               source: str) -> None:
        self.users.add(user)
        out.append(f"<AuditRecord><UserRef UserOID={_attr(_user(user))}/><LocationRef "
                   f"LocationOID={_attr(_location(site))}/><DateTimeStamp>{when.isoformat(timespec='seconds')}"
                   "</DateTimeStamp>")
        if reason:
            out.append(f"<ReasonForChange>{escape(_NOT_XML.sub('', reason))}</ReasonForChange>")
        out.append(f"<SourceID>{escape(_NOT_XML.sub('', source))}</SourceID></AuditRecord>")

    def subject(self, out: list[str], person: Participant, crfs: list[CRFRecord],
                doses: list[Administration], events: list[AdverseEvent]) -> None:
        pid = person.participant_id
        out.append(f"<SubjectData SubjectKey={_attr(str(pid))}>"
                   f"<SiteRef LocationOID={_attr(_location(self.site[pid]))}/>")
        by_visit: dict[str, list[CRFRecord]] = defaultdict(list)
        for record in crfs:
            by_visit[record.visit_code].append(record)
        for code in sorted(by_visit, key=lambda c: (self.order.get(c, len(self.order)), c)):
            out.append(f"<StudyEventData StudyEventOID={_attr(event_oid(code))}>")
            for record in by_visit[code]:
                self._crf(out, record, self.site[pid])
            out.append("</StudyEventData>")
        self._status(out, person)
        if doses:
            out.append(f'<StudyEventData StudyEventOID="{event_oid("DOSING")}"><FormData '
                       f'FormOID="F.{form_key(DOSING_FORM)}">')
            for given in sorted(doses, key=lambda a: a.study_day.value):
                self._dose(out, given, person)
            out.append("</FormData></StudyEventData>")
        if events:
            key = form_key(AE_FORM)
            out.append(f'<StudyEventData StudyEventOID="{event_oid("AE")}"><FormData FormOID="F.{key}">')
            for n, ae in enumerate(sorted(events, key=lambda e: (e.onset_at, e.adverse_event_id)), start=1):
                out.append(f'<ItemGroupData ItemGroupOID="IG.{key}.VALUES" ItemGroupRepeatKey="{n}">')
                _items(out, f"IT.{key}.VALUES", (
                    ("term", ae.term), ("ctcae_grade", int(ae.ctcae_grade)), ("onset_at", ae.onset_at),
                    ("resolved_at", ae.resolved_at), ("serious", ae.is_serious),
                    ("relatedness", ae.relatedness.value), ("expectedness", ae.expectedness.value)))
                out.append("</ItemGroupData>")
            out.append("</FormData></StudyEventData>")
        out.append("</SubjectData>")

    def _crf(self, out: list[str], record: CRFRecord, site: str) -> None:
        key = form_key(record.form_id)
        out.append(f"<FormData FormOID={_attr(f'F.{key}')}>")
        changed = record.version > 1 and record.changed_by is not None and record.changed_at is not None
        user = record.changed_by if changed and record.changed_by else record.entered_by
        when = record.changed_at if changed and record.changed_at else record.entered_at
        self._audit(out, str(user), when, site, record.change_reason if changed else None,
                    f"{record.record_id} version {record.version}")
        library = self.library.get(record.form_id)
        fields = {f.name for f in library.fields} if library else set(record.values)
        out.append(f"<ItemGroupData ItemGroupOID={_attr(f'IG.{key}.VALUES')}>")
        _items(out, f"IT.{key}.VALUES", ((k, v) for k, v in record.values.items() if k in fields))
        out.append("</ItemGroupData>")
        if record.derived:
            out.append(f"<ItemGroupData ItemGroupOID={_attr(f'IG.{key}.DERIVED')}>")
            _items(out, f"IT.{key}.DERIVED", record.derived.items())
            out.append("</ItemGroupData>")
        out.append("</FormData>")

    def _dose(self, out: list[str], given: Administration, person: Participant) -> None:
        key = form_key(DOSING_FORM)
        out.append(f'<ItemGroupData ItemGroupOID="IG.{key}.VALUES" ItemGroupRepeatKey="{given.study_day.value}">')
        particles: int | None = given.dose_particles
        if particles is None and self.records.unblinded and person.randomization is not None:
            particles = self.records.arm_dose_particles.get(self.records.phase2_arm.get(person.participant_id, ""))
        _items(out, f"IT.{key}.VALUES", (
            ("study_day", given.study_day.value), ("status", given.status.value), ("kit_code", given.kit_code),
            ("started_at", given.started_at), ("ended_at", given.ended_at), ("volume_ml", given.volume_ml),
            ("nebuliser", given.device), ("spo2_pre_percent", given.spo2_pre_percent),
            ("spo2_post_percent", given.spo2_post_percent),
            ("tolerance", given.tolerance.value if given.tolerance else None), ("reason", given.reason),
            ("dose_particles", particles)))
        out.append("</ItemGroupData>")

    def _status(self, out: list[str], person: Participant) -> None:
        out.append(f'<StudyEventData StudyEventOID="{event_oid("STATUS")}"><FormData FormOID="F.{STATUS_FORM}">'
                   f'<ItemGroupData ItemGroupOID="IG.{STATUS_FORM}.STATUS">')
        consent, rand = person.consent, person.randomization
        values: list[tuple[str, object]] = [
            ("SCREENED_AT", person.screened_at), ("STATE", person.state.value),
            ("CONSENT_AT", consent.consented_at if consent else None),
            ("CONSENT_BY", consent.signed_by.value if consent else None), ("ENROLLED_AT", person.enrolled_at),
            ("COHORT", person.cohort_number), ("DOSE_LEVEL", person.dose_level.index if person.dose_level else None),
            ("RAND_AT", rand.randomized_at if rand else None), ("STRATUM", rand.stratum if rand else None),
            ("RAND_NO", rand.sequence_number if rand else None), ("KIT", rand.kit_code if rand else None),
            ("FIRST_DOSE_AT", person.first_dose_at), ("END_REASON", person.end_reason), ("DIED_ON", person.died_on)]
        if self.records.unblinded:
            values.append(("ARM", self.records.phase2_arm.get(person.participant_id)))
        _items(out, f"IT.{STATUS_FORM}.STATUS", values)
        out.append("</ItemGroupData></FormData></StudyEventData>")

    def admin_data(self, protocol: Protocol, effective: date) -> etree._Element:
        admin = etree.Element(f"{{{ODM_NS}}}AdminData", {"StudyOID": protocol.registry_id})
        for user in sorted(self.users):
            _el(_el(admin, "User", OID=_user(user), UserType="Other"), "LoginName").text = user
        for site in sorted(set(self.site.values())):
            location = _el(admin, "Location", OID=_location(site), Name=f"Site {site}", LocationType="Site")
            _el(location, "MetaDataVersionRef", StudyOID=protocol.registry_id,
                MetaDataVersionOID=metadata_version_oid(protocol), EffectiveDate=effective.isoformat())
        return admin


def clinical_part(protocol: Protocol, records: ClinicalRecords) -> ClinicalPart:
    """The metadata extension, AdminData and ClinicalData of ``records`` for :func:`odm_document`."""
    builder = _Builder(protocol, records)
    extension = builder.extension()
    crfs: dict[ParticipantId, list[CRFRecord]] = defaultdict(list)
    doses: dict[ParticipantId, list[Administration]] = defaultdict(list)
    events: dict[ParticipantId, list[AdverseEvent]] = defaultdict(list)
    for record in records.crf_records:
        crfs[record.participant_id].append(record)
    for given in records.administrations:
        doses[given.participant_id].append(given)
    for event in records.adverse_events:
        events[event.participant_id].append(event)
    out = [f'<ClinicalData xmlns="{ODM_NS}" StudyOID={_attr(protocol.registry_id)} '
           f"MetaDataVersionOID={_attr(metadata_version_oid(protocol))}>"]
    for person in sorted(records.participants, key=lambda p: str(p.participant_id)):
        pid = person.participant_id
        builder.subject(out, person, crfs[pid], doses[pid], events[pid])
    out.append("</ClinicalData>")
    # built as text and parsed once: an order of magnitude faster than creating each element through lxml
    data = etree.fromstring("".join(out).encode("utf-8"), etree.XMLParser(huge_tree=True))
    admin = builder.admin_data(protocol, records.extracted_at.date())
    return ClinicalPart(extension, admin, data)
