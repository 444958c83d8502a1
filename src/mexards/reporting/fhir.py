"""HL7 FHIR R5: a ``ResearchStudy`` for the protocol, one ``Group`` per arm and an eligibility ``Group``, in a
``Bundle`` of type ``collection``; validated by building the resources with ``fhir.resources`` (R5) and by our
own value-set checks, since fhir.resources checks structure and types but not code bindings
(edc-and-standards.md 3.4).

Mapping (FHIR R5 ResearchStudy, hl7.org/fhir/R5/researchstudy.html):

- ``identifier``: the registry id (system ``https://clinicaltrials.gov``) and the sponsor's study id;
- ``title``, ``label`` (acronym, official title), ``descriptionSummary`` (registry brief summary);
- ``status`` = ``active`` (publication status of the record); ``progressStatus`` = the registry's overall
  status mapped to the research-study-status codes, with the study period;
- ``phase`` (research-study-phase, e.g. ``phase-1-phase-2``), ``primaryPurposeType``, ``studyDesign`` (SEVCO:
  interventional, randomized or non-randomized assignment);
- ``condition`` and ``focus`` (the products studied), ``region`` (countries of the sites);
- ``associatedParty``: the sponsor (``lead-sponsor``) and collaborators (``collaborator``) with their
  organisation type;
- ``recruitment``: planned (``targetNumber``) and actual (``actualNumber``) enrollment, ``eligibility``
  pointing to a ``Group`` whose description holds the criteria text and with one characteristic per
  criterion (``exclude`` = true for exclusion criteria);
- ``comparisonGroup`` per arm (name, type from the registry arm type, description of its interventions,
  ``observedGroup`` -> the arm's ``Group``);
- ``outcomeMeasure`` per outcome (type primary/secondary/exploratory, time frame in the description).

Resources get stable ids and ``urn:uuid`` full URLs derived from the registry id (UUID version 5), so repeated
exports are identical apart from the bundle timestamp.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fhir.resources.bundle import Bundle

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.model import Arm, Outcome, Protocol
from mexards.reporting.value_set import (
    ARM_TYPE,
    OBJECTIVE_TYPE,
    ORGANIZATION_TYPE,
    PARTY_ROLE,
    PHASE,
    PRIMARY_PURPOSE,
    PROGRESS,
    STATUS_TO_PROGRESS,
    STUDY_DESIGN,
    TITLE_TYPE,
    value_set_errors,
)

NCT_SYSTEM = "https://clinicaltrials.gov"
_PHASES = {"EARLY_PHASE1": "early-phase-1", "PHASE1": "phase-1", "PHASE1/PHASE2": "phase-1-phase-2",
           "PHASE2": "phase-2", "PHASE2/PHASE3": "phase-2-phase-3", "PHASE3": "phase-3", "PHASE4": "phase-4",
           "NA": "n-a"}
_ORGANIZATION_KINDS = {"INDUSTRY": "industry", "NIH": "nih", "FED": "government", "OTHER_GOV": "government"}
_ARM_KINDS = {"EXPERIMENTAL": "experimental", "ACTIVE_COMPARATOR": "active-comparator",
              "PLACEBO_COMPARATOR": "placebo-comparator", "SHAM_COMPARATOR": "sham-comparator",
              "NO_INTERVENTION": "no-intervention", "OTHER": "other-arm-type"}
_PURPOSES = {"TREATMENT": "treatment", "PREVENTION": "prevention", "DIAGNOSTIC": "diagnostic",
             "SUPPORTIVE_CARE": "supportive-care", "SCREENING": "screening",
             "HEALTH_SERVICES_RESEARCH": "health-services-research", "BASIC_SCIENCE": "basic-science",
             "DEVICE_FEASIBILITY": "device-feasibility"}
_OUTCOME_KINDS = {"primary": "primary", "secondary": "secondary", "exploratory": "exploratory"}


def _coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _resource_id(protocol: Protocol, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{NCT_SYSTEM}/{protocol.registry_id}/{name}"))


def _full_url(resource_id: str) -> str:
    return f"urn:uuid:{resource_id}"


def _mapped(table: dict[str, str], value: str, field: str) -> str:
    if value not in table:
        raise ValidationError(field, "has no FHIR code (known: " + ", ".join(sorted(table)) + ")", value)
    return table[value]


def arm_group(protocol: Protocol, arm: Arm) -> dict[str, Any]:
    """The ``Group`` of participants assigned to ``arm`` (definitional: membership is the assignment)."""
    interventions = [protocol.intervention(i) for i in arm.interventions]
    text = "; ".join(i.description or i.name for i in interventions)
    return {
        "resourceType": "Group",
        "id": _resource_id(protocol, f"arm/{arm.id}"),
        "identifier": [{"system": f"{NCT_SYSTEM}/{protocol.registry_id}/arm", "value": arm.id}],
        "type": "person",
        "membership": "definitional",
        "name": arm.label,
        "description": arm.description or text,
        "characteristic": [{"code": {"text": "Assigned study arm"},
                            "valueCodeableConcept": {"text": arm.label}, "exclude": False}],
    }


def eligibility_group(protocol: Protocol) -> dict[str, Any]:
    """The eligibility ``Group``: the criteria text, and one characteristic per registered criterion."""
    lines = ["Inclusion Criteria:"] + [f"{c.number}. {c.text}" for c in protocol.eligibility.inclusion]
    lines += ["", "Exclusion Criteria:"] + [f"{c.number}. {c.text}" for c in protocol.eligibility.exclusion]
    eligibility = protocol.eligibility
    characteristics = [
        {"code": {"text": f"{c.id}: {c.text}"}, "valueBoolean": True, "exclude": exclude}
        for exclude, criteria in ((False, eligibility.inclusion), (True, eligibility.exclusion))
        for c in criteria
    ]
    return {
        "resourceType": "Group",
        "id": _resource_id(protocol, "eligibility"),
        "type": "person",
        "membership": "definitional",
        "name": f"Eligibility of {protocol.registry_id}",
        "description": "\n".join(lines),
        "characteristic": characteristics,
    }


def research_study(protocol: Protocol) -> dict[str, Any]:
    """The ``ResearchStudy`` resource of ``protocol`` as a FHIR R5 JSON object."""
    ident = protocol.identification
    identifiers: list[dict[str, Any]] = [
        {"use": "official", "system": NCT_SYSTEM, "value": ident.registry_id}]
    if ident.org_study_id:
        identifiers.append(
            {"use": "secondary", "type": {"text": "org_study_id"}, "value": ident.org_study_id})
    labels = []
    if ident.acronym:
        labels.append({"type": _coding(TITLE_TYPE, "acronym"), "value": ident.acronym})
    if ident.official_title:
        labels.append({"type": _coding(TITLE_TYPE, "official"), "value": ident.official_title})
    study: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": _resource_id(protocol, "study"),
        "identifier": identifiers,
        "title": ident.brief_title,
        "status": "active",
        "phase": _coding(PHASE, _mapped(_PHASES, ident.phase, "phase")),
        "studyDesign": [_coding(STUDY_DESIGN, "SEVCO:01001", "Interventional research")]
        if ident.study_type == "INTERVENTIONAL" else [],
        "condition": [{"text": condition} for condition in protocol.conditions],
        "focus": [{"concept": {"text": product}} for product in dict.fromkeys(
            i.product or i.name for i in protocol.interventions if i.dose.placebo is None)],
        "associatedParty": [_party(ident.sponsor.name, ident.sponsor.kind, "lead-sponsor")]
        + [_party(c.name, c.kind, "collaborator") for c in ident.collaborators],
        "recruitment": _recruitment(protocol),
        "comparisonGroup": [_comparison_group(protocol, arm) for arm in protocol.arms],
        "outcomeMeasure": [_outcome(o) for o in protocol.outcomes],
    }
    if labels:
        study["label"] = labels
    if ident.summary:
        study["descriptionSummary"] = ident.summary
    allocation = {"RANDOMIZED": ("SEVCO:01003", "randomized assignment"),
                  "NON_RANDOMIZED": ("SEVCO:01005", "non-randomized assignment")}.get(ident.design.allocation)
    if allocation:
        study["studyDesign"].append(_coding(STUDY_DESIGN, *allocation))
    if not study["studyDesign"]:
        del study["studyDesign"]
    if ident.design.purpose in _PURPOSES:
        study["primaryPurposeType"] = _coding(PRIMARY_PURPOSE, _PURPOSES[ident.design.purpose])
    progress = _progress(protocol)
    if progress:
        study["progressStatus"] = [progress]
    countries = dict.fromkeys(site.country for site in ident.sites if site.country)
    if countries:
        study["region"] = [{"text": country} for country in countries]
    period = {k: v for k, v in (("start", ident.dates.start), ("end", ident.dates.completion)) if v}
    if period:
        study["period"] = period
    return study


def _party(name: str, kind: str, role: str) -> dict[str, Any]:
    party: dict[str, Any] = {"name": name, "role": _coding(PARTY_ROLE, role)}
    if kind in _ORGANIZATION_KINDS:
        party["classifier"] = [_coding(ORGANIZATION_TYPE, _ORGANIZATION_KINDS[kind])]
    return party


def _outcome(outcome: Outcome) -> dict[str, Any]:
    description = f"Time frame: {outcome.time_frame}"
    if outcome.description:
        description += f". {outcome.description}"
    return {"name": outcome.measure, "type": [_coding(OBJECTIVE_TYPE, _OUTCOME_KINDS[outcome.kind])],
            "description": description}


def _progress(protocol: Protocol) -> dict[str, Any] | None:
    ident = protocol.identification
    if ident.status not in STATUS_TO_PROGRESS:
        raise ValidationError("status", "has no FHIR research-study-status code", ident.status)
    state = STATUS_TO_PROGRESS[ident.status]
    if state is None:
        return None
    progress: dict[str, Any] = {"state": _coding(PROGRESS, state), "actual": True}
    period = {k: v for k, v in (("start", ident.dates.start), ("end", ident.dates.completion)) if v}
    if period:
        progress["period"] = period
    return progress


def _recruitment(protocol: Protocol) -> dict[str, Any]:
    enrollment = protocol.identification.enrollment
    eligibility = {"reference": _full_url(_resource_id(protocol, "eligibility"))}
    recruitment: dict[str, Any] = {"eligibility": eligibility}
    if enrollment.planned is not None:
        recruitment["targetNumber"] = enrollment.planned
    if enrollment.actual is not None:
        recruitment["actualNumber"] = enrollment.actual
    return recruitment


def _comparison_group(protocol: Protocol, arm: Arm) -> dict[str, Any]:
    interventions = [protocol.intervention(i) for i in arm.interventions]
    return {
        "linkId": arm.id.replace("_", "-"),  # fhir_subject.comparison_group_id
        "name": arm.label,
        "type": _coding(ARM_TYPE, _mapped(_ARM_KINDS, arm.kind, f"arms.{arm.id}.kind")),
        "description": "; ".join(i.description or i.name for i in interventions),
        "observedGroup": {"reference": _full_url(_resource_id(protocol, f"arm/{arm.id}"))},
    }


def fhir_bundle(
    protocol: Protocol, *, created_at: datetime | None = None, subjects: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """The ``Bundle`` (type collection): the ResearchStudy, the eligibility Group, one Group per arm, then the
    participants' resources given in ``subjects`` (see :mod:`mexards.reporting.fhir_subject`).

    ``created_at`` (tz-aware; default now, UTC) is the bundle timestamp. The bundle is not yet validated; see
    :func:`ensure_valid_fhir`."""
    when = created_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValidationError("created_at", "must be timezone-aware", when)
    resources = [research_study(protocol), eligibility_group(protocol),
                 *(arm_group(protocol, arm) for arm in protocol.arms), *subjects]
    return {
        "resourceType": "Bundle",
        "id": _resource_id(protocol, "bundle"),
        "identifier": {"system": NCT_SYSTEM, "value": f"{protocol.registry_id}-protocol"},
        "type": "collection",
        "timestamp": when.isoformat(timespec="seconds"),
        "entry": [{"fullUrl": _full_url(r["id"]), "resource": r} for r in resources],
    }


def fhir_errors(bundle: dict[str, Any]) -> list[str]:
    """Problems of a bundle: structure and types by constructing it with ``fhir.resources`` (R5), then our
    value-set checks (:mod:`mexards.reporting.value_set`) and unresolved ``urn:uuid`` references."""
    try:
        Bundle.model_validate(bundle)
    except ValueError as exc:
        return [f"fhir.resources: {line}" for line in str(exc).splitlines() if line.strip()]
    errors = value_set_errors(bundle)
    urls = {entry.get("fullUrl") for entry in bundle.get("entry", [])}
    errors += [f"{path}: reference {ref} is not in the bundle" for path, ref in _references(bundle, "bundle")
               if ref.startswith("urn:uuid:") and ref not in urls]
    return errors + _comparison_group_errors(bundle)


def _comparison_group_errors(bundle: dict[str, Any]) -> list[str]:
    """A ResearchSubject's assigned or actual comparison group must be a ``linkId`` of the ResearchStudy."""
    resources = [entry.get("resource", {}) for entry in bundle.get("entry", []) if isinstance(entry, dict)]
    groups = {g.get("linkId") for r in resources if r.get("resourceType") == "ResearchStudy"
              for g in r.get("comparisonGroup", [])}
    return [f"Bundle.entry[{n}].ResearchSubject.{field}: '{r[field]}' is not a comparisonGroup of the study"
            for n, r in enumerate(resources) if r.get("resourceType") == "ResearchSubject"
            for field in ("assignedComparisonGroup", "actualComparisonGroup") if field in r and r[field] not in groups]


def _references(node: Any, path: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append((path, value))
            else:
                found += _references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for n, item in enumerate(node):
            found += _references(item, f"{path}[{n}]")
    return found


def ensure_valid_fhir(bundle: dict[str, Any]) -> None:
    """Raise ``ValidationErrors`` (field ``fhir``) listing every problem :func:`fhir_errors` finds."""
    errors = fhir_errors(bundle)
    if errors:
        raise ValidationErrors([ValidationError("fhir", message) for message in errors])
