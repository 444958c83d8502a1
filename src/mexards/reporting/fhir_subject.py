"""HL7 FHIR R5 ``ResearchSubject`` and pseudonymous ``Patient`` resources for every participant screened, from
:class:`~mexards.services.results.ClinicalRecords` (hl7.org/fhir/R5/researchsubject.html).

Mapping:

- ``Patient``: pseudonymous, with the participant id as its only identifier (system
  ``https://clinicaltrials.gov/<registry id>/subject``), ``gender`` from the demographics form
  (AdministrativeGender), the year of birth only (a FHIR ``date`` may be a year), and ``deceasedDateTime``;
  no name, address or contact (ICH E6(R3) 2.5: subject identity protected by a code);
- ``ResearchSubject``: ``status`` ``active`` (publication status of the record), ``study`` -> the
  ResearchStudy, ``subject`` -> the Patient, ``period`` from enrolment (else screening) to the end of
  participation, and ``progress``: the current state (type ``Enrollment``, ResearchSubjectState code mapped
  from the participant's state, with the reason participation ended) and the milestones ``Screened`` and
  ``Randomized`` (ResearchSubjectMilestone);
- ``assignedComparisonGroup`` / ``actualComparisonGroup`` = the ``linkId`` of the arm's ``comparisonGroup``
  in the ResearchStudy: a Phase 1 participant's dose-level arm (open label); a randomised participant's arm
  only in the unblinded export (locked database and unblinded role), otherwise both stay empty
  (edc-and-standards.md 3.4: assigned vs actual arm blank or masked for blinded users). The actual group is
  given once a dose was received.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from mexards.domain.participant import Participant
from mexards.protocol.model import Protocol
from mexards.reporting.fhir import NCT_SYSTEM, _coding, _full_url, _resource_id
from mexards.reporting.value_set import SUBJECT_MILESTONE, SUBJECT_STATE, SUBJECT_STATE_TYPE
from mexards.services.results import ClinicalRecords

SUBJECT_STATES: dict[str, str] = {
    "screened": "screening",
    "eligible": "eligible",
    "ineligible": "ineligible",
    "consented": "pending-on-study",
    "enrolled": "on-study",
    "phase1_assigned": "on-study",
    "randomized": "on-study",
    "dosing": "on-study-intervention",
    "follow_up": "follow-up",
    "completed": "off-study",
    "withdrawn": "withdrawn",
    "died": "off-study",
    "lost_to_follow_up": "off-study",
}
"""Participant state -> ResearchSubjectState code (terminology.hl7.org/CodeSystem/research-subject-state)."""
GENDERS = {"male": "male", "female": "female"}


def comparison_group_id(arm_id: str) -> str:
    """The ``linkId`` the ResearchStudy gives an arm's comparison group."""
    return arm_id.replace("_", "-")


def _moment(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value.isoformat()


def _arm(protocol: Protocol, records: ClinicalRecords, person: Participant) -> str | None:
    if person.randomization is not None:
        return records.phase2_arm.get(person.participant_id)
    if person.dose_level is None or not 1 <= person.dose_level.index <= len(protocol.dose_levels):
        return None
    level = protocol.dose_levels[person.dose_level.index - 1].id
    return next((a.id for a in protocol.arms if a.phase == 1 and a.dose_level == level), None)


def patient(protocol: Protocol, person: Participant, demographics: Mapping[str, object]) -> dict[str, Any]:
    """The pseudonymous ``Patient`` of a participant, from the values of their demographics form."""
    pid = str(person.participant_id)
    values = demographics
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _resource_id(protocol, f"patient/{pid}"),
        "identifier": [{"system": f"{NCT_SYSTEM}/{protocol.registry_id}/subject", "value": pid}],
        "gender": GENDERS.get(str(values.get("sex")), "unknown"),
    }
    born = values.get("date_of_birth")
    if isinstance(born, str) and len(born) >= 4 and born[:4].isdigit():
        resource["birthDate"] = born[:4]
    if person.died_on is not None:
        resource["deceasedDateTime"] = person.died_on.isoformat()
    return resource


def research_subject(protocol: Protocol, records: ClinicalRecords, person: Participant) -> dict[str, Any]:
    """The ``ResearchSubject`` of a participant (its comparison groups masked as the records are)."""
    pid = str(person.participant_id)
    state: dict[str, Any] = {"type": _coding(SUBJECT_STATE_TYPE, "Enrollment"),
                             "subjectState": _coding(SUBJECT_STATE, SUBJECT_STATES[person.state.value]),
                             "startDate": _moment(person.state_changed_at)}
    if person.end_reason:
        state["reason"] = {"text": person.end_reason}
    progress = [state, {"type": _coding(SUBJECT_STATE_TYPE, "Milestone"),
                        "milestone": _coding(SUBJECT_MILESTONE, "Screened"), "startDate": _moment(person.screened_at)}]
    if person.randomization is not None:
        progress.append({"type": _coding(SUBJECT_STATE_TYPE, "Milestone"),
                         "milestone": _coding(SUBJECT_MILESTONE, "Randomized"),
                         "startDate": _moment(person.randomization.randomized_at)})
    period = {"start": _moment(person.enrolled_at or person.screened_at)}
    if person.state.is_terminal:
        period["end"] = _moment(person.state_changed_at)
    resource: dict[str, Any] = {
        "resourceType": "ResearchSubject",
        "id": _resource_id(protocol, f"subject/{pid}"),
        "identifier": [{"system": f"{NCT_SYSTEM}/{protocol.registry_id}/subject", "value": pid}],
        "status": "active",
        "progress": progress,
        "period": period,
        "study": {"reference": _full_url(_resource_id(protocol, "study"))},
        "subject": {"reference": _full_url(_resource_id(protocol, f"patient/{pid}"))},
    }
    arm = _arm(protocol, records, person)
    if arm is not None:
        resource["assignedComparisonGroup"] = comparison_group_id(arm)
        if person.dosed_days or person.first_dose_at is not None:
            resource["actualComparisonGroup"] = comparison_group_id(arm)
    return resource


def subject_resources(protocol: Protocol, records: ClinicalRecords) -> list[dict[str, Any]]:
    """A Patient and a ResearchSubject per participant, ordered by participant id."""
    resources: list[dict[str, Any]] = []
    demographics = {r.participant_id: r.values for r in records.crf_records if r.form_id == "demographics"}
    for person in sorted(records.participants, key=lambda p: str(p.participant_id)):
        resources += [patient(protocol, person, demographics.get(person.participant_id, {})),
                      research_subject(protocol, records, person)]
    return resources
