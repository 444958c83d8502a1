"""FHIR R5 value sets for ResearchStudy, Group and Bundle codes, and the check fhir.resources does not do.

fhir.resources validates structure, cardinality and data types but accepts any string for a ``code`` and any
coding for a ``CodeableConcept`` (edc-and-standards.md 3.4: ``status: "bogus"`` is accepted). The value sets
below are those of FHIR R5 (5.0.0): ResearchStudy.status -> PublicationStatus (required binding);
progressStatus.state -> ResearchStudyStatus; phase -> ResearchStudyPhase; primaryPurposeType ->
ResearchStudyPrimaryPurposeType; studyDesign -> StudyDesign (SEVCO); associatedParty.role ->
ResearchStudyPartyRole; associatedParty.classifier -> ResearchStudyPartyOrganizationType;
comparisonGroup.type -> ResearchStudyArmType; outcomeMeasure.type -> ResearchStudyObjectiveType; label.type
-> TitleType; Group.type -> GroupType and Group.membership -> GroupMembershipBasis (required); Bundle.type
-> BundleType (required); ResearchSubject.status -> PublicationStatus (required), progress.type ->
ResearchSubjectStateType, progress.subjectState -> ResearchSubjectState, progress.milestone ->
ResearchSubjectMilestone; Patient.gender -> AdministrativeGender (required).

Every coding whose system is one of these code systems must carry a code of that system, and the coded
elements of ResearchStudy must use the system their value set draws on.
"""

from __future__ import annotations

from typing import Any

PHASE = "http://terminology.hl7.org/CodeSystem/research-study-phase"
PRIMARY_PURPOSE = "http://terminology.hl7.org/CodeSystem/research-study-prim-purp-type"
ARM_TYPE = "http://terminology.hl7.org/CodeSystem/research-study-arm-type"
OBJECTIVE_TYPE = "http://terminology.hl7.org/CodeSystem/research-study-objective-type"
PARTY_ROLE = "http://hl7.org/fhir/research-study-party-role"
ORGANIZATION_TYPE = "http://hl7.org/fhir/research-study-party-organization-type"
PROGRESS = "http://hl7.org/fhir/research-study-status"
STUDY_DESIGN = "http://hl7.org/fhir/study-design"
TITLE_TYPE = "http://hl7.org/fhir/title-type"
SUBJECT_STATE = "http://terminology.hl7.org/CodeSystem/research-subject-state"
SUBJECT_STATE_TYPE = "http://terminology.hl7.org/CodeSystem/research-subject-state-type"
SUBJECT_MILESTONE = "http://terminology.hl7.org/CodeSystem/research-subject-milestone"

CODE_SYSTEMS: dict[str, frozenset[str]] = {
    PHASE: frozenset({"n-a", "early-phase-1", "phase-1", "phase-1-phase-2", "phase-2", "phase-2-phase-3",
                      "phase-3", "phase-4"}),
    PRIMARY_PURPOSE: frozenset({"treatment", "prevention", "diagnostic", "supportive-care", "screening",
                                "health-services-research", "basic-science", "device-feasibility"}),
    ARM_TYPE: frozenset({"active-comparator", "placebo-comparator", "sham-comparator", "no-intervention",
                         "experimental", "other-arm-type"}),
    OBJECTIVE_TYPE: frozenset({"primary", "secondary", "exploratory"}),
    PARTY_ROLE: frozenset({"sponsor", "lead-sponsor", "sponsor-investigator", "primary-investigator",
                           "collaborator", "funding-source", "general-contact", "recruitment-contact",
                           "sub-investigator", "study-director", "study-chair", "irb"}),
    ORGANIZATION_TYPE: frozenset({"nih", "fda", "government", "nonprofit", "academic", "industry"}),
    PROGRESS: frozenset({"overall-study", "active", "active-but-not-recruiting", "administratively-completed",
                         "approved", "closed-to-accrual", "closed-to-accrual-and-intervention", "completed",
                         "disapproved", "enrolling-by-invitation", "in-review", "not-yet-recruiting",
                         "recruiting", "temporarily-closed-to-accrual",
                         "temporarily-closed-to-accrual-and-intervention", "terminated", "withdrawn"}),
    STUDY_DESIGN: frozenset(f"SEVCO:{n:05d}" for n in (*range(1001, 1047), *range(1048, 1055),
                                                        *range(1060, 1065), *range(1085, 1099))),
    TITLE_TYPE: frozenset({"primary", "official", "scientific", "plain-language", "subtitle", "short-title",
                           "acronym", "earlier-title", "language", "autotranslated", "human-use",
                           "machine-use", "duplicate-uid"}),
    SUBJECT_STATE: frozenset({"candidate", "eligible", "follow-up", "ineligible", "not-registered", "off-study",
                              "on-study", "on-study-intervention", "on-study-observation", "pending-on-study",
                              "potential-candidate", "screening", "withdrawn"}),
    SUBJECT_STATE_TYPE: frozenset({"Milestone", "Enrollment"}),
    SUBJECT_MILESTONE: frozenset({"SignedUp", "Screened", "Randomized"}),
}
"""Code system -> its codes (FHIR R5 terminology, 5.0.0)."""

PUBLICATION_STATUS = frozenset({"draft", "active", "retired", "unknown"})
GROUP_TYPE = frozenset({"person", "animal", "practitioner", "device", "careteam", "healthcareservice",
                        "location", "organization", "relatedperson", "specimen"})
GROUP_MEMBERSHIP = frozenset({"definitional", "enumerated"})
ADMINISTRATIVE_GENDER = frozenset({"male", "female", "other", "unknown"})
BUNDLE_TYPE = frozenset({"document", "message", "transaction", "transaction-response", "batch",
                         "batch-response", "history", "searchset", "collection", "subscription-notification"})

STATUS_TO_PROGRESS: dict[str, str | None] = {
    "NOT_YET_RECRUITING": "not-yet-recruiting",
    "RECRUITING": "recruiting",
    "ENROLLING_BY_INVITATION": "enrolling-by-invitation",
    "ACTIVE_NOT_RECRUITING": "active-but-not-recruiting",
    "SUSPENDED": "temporarily-closed-to-accrual",
    "TERMINATED": "terminated",
    "COMPLETED": "completed",
    "WITHDRAWN": "withdrawn",
    "AVAILABLE": "active",
    "UNKNOWN": None,
}
"""Registry overall status -> ResearchStudyStatus code (``None``: status unknown, no state given)."""

_BOUND: dict[str, str] = {
    "phase": PHASE,
    "primaryPurposeType": PRIMARY_PURPOSE,
    "progressStatus[].state": PROGRESS,
    "associatedParty[].role": PARTY_ROLE,
    "comparisonGroup[].type": ARM_TYPE,
    "outcomeMeasure[].type[]": OBJECTIVE_TYPE,
    "label[].type": TITLE_TYPE,
}
"""ResearchStudy element (``[]`` = each item of a list) -> the code system its codings must use."""


def _at(node: Any, path: list[str], where: str) -> list[tuple[str, Any]]:
    if not path:
        return [(where, node)]
    step, rest = path[0], path[1:]
    many = step.endswith("[]")
    key = step.removesuffix("[]")
    value = node.get(key) if isinstance(node, dict) else None
    if value is None:
        return []
    if many:
        items = value if isinstance(value, list) else [value]
        return [hit for n, item in enumerate(items) for hit in _at(item, rest, f"{where}.{key}[{n}]")]
    return _at(value, rest, f"{where}.{key}")


def _codings(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "coding" and isinstance(value, list):
                found += [(f"{where}.coding[{n}]", c) for n, c in enumerate(value) if isinstance(c, dict)]
            else:
                found += _codings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for n, item in enumerate(node):
            found += _codings(item, f"{where}[{n}]")
    return found


def _code_error(where: str, value: Any, allowed: frozenset[str], value_set: str) -> list[str]:
    if value in allowed:
        return []
    return [f"{where}: '{value}' is not in the {value_set} value set ({', '.join(sorted(allowed))})"]


def _research_study_errors(study: dict[str, Any], where: str) -> list[str]:
    errors = _code_error(f"{where}.status", study.get("status"), PUBLICATION_STATUS, "PublicationStatus")
    for element, system in _BOUND.items():
        for place, concept in _at(study, element.split("."), where):
            codings = concept.get("coding", []) if isinstance(concept, dict) else []
            if not any(isinstance(c, dict) and c.get("system") == system for c in codings):
                errors.append(f"{place}: must be coded from {system}")
    return errors


_SUBJECT_BOUND: dict[str, str] = {
    "progress[].type": SUBJECT_STATE_TYPE,
    "progress[].subjectState": SUBJECT_STATE,
    "progress[].milestone": SUBJECT_MILESTONE,
}
"""ResearchSubject element -> the code system its codings must use."""


def _research_subject_errors(subject: dict[str, Any], where: str) -> list[str]:
    errors = _code_error(f"{where}.status", subject.get("status"), PUBLICATION_STATUS, "PublicationStatus")
    for element, system in _SUBJECT_BOUND.items():
        for place, concept in _at(subject, element.split("."), where):
            codings = concept.get("coding", []) if isinstance(concept, dict) else []
            if not any(isinstance(c, dict) and c.get("system") == system for c in codings):
                errors.append(f"{place}: must be coded from {system}")
    return errors


def value_set_errors(bundle: dict[str, Any]) -> list[str]:
    """Every code in ``bundle`` that is outside its FHIR R5 value set, as ``path: message`` lines."""
    errors = _code_error("Bundle.type", bundle.get("type"), BUNDLE_TYPE, "BundleType")
    for n, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource", {}) if isinstance(entry, dict) else {}
        kind = resource.get("resourceType", "Resource")
        where = f"Bundle.entry[{n}].{kind}"
        if kind == "ResearchStudy":
            errors += _research_study_errors(resource, where)
        if kind == "ResearchSubject":
            errors += _research_subject_errors(resource, where)
        if kind == "Patient" and "gender" in resource:
            errors += _code_error(f"{where}.gender", resource.get("gender"), ADMINISTRATIVE_GENDER,
                                  "AdministrativeGender")
        if kind == "Group":
            errors += _code_error(f"{where}.type", resource.get("type"), GROUP_TYPE, "GroupType")
            errors += _code_error(f"{where}.membership", resource.get("membership"), GROUP_MEMBERSHIP,
                                  "GroupMembershipBasis")
        for place, coding in _codings(resource, where):
            system = coding.get("system")
            if system in CODE_SYSTEMS:
                errors += _code_error(f"{place}.code", coding.get("code"), CODE_SYSTEMS[system], str(system))
    return errors
