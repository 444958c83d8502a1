"""The registry record's protocol section in the shape of the ClinicalTrials.gov API v2 ``protocolSection``.

Field names and enumeration words follow the API v2 study record (edc-and-standards.md 3.5; compared in the
tests with the recorded NCT02296125 record). The modules emitted are described by the JSON schema
``schemas/ctgov_protocol_section.schema.json`` shipped in this package; :func:`ensure_valid_registry` checks a
section against it with jsonschema.

Derived fields:
- ``phases``: a combined registry phase splits into its parts (``PHASE1/PHASE2`` -> ``["PHASE1", "PHASE2"]``);
- date types: ``ACTUAL`` for the start of a study that has started and for every date of a closed study
  (completed, terminated, withdrawn), else ``ESTIMATED``; first-posted and last-update dates are ``ACTUAL``;
- ``enrollmentInfo``: the actual enrollment when known (``ACTUAL``), else the planned one (``ESTIMATED``);
- ``whoMasked``: the roles named in the protocol's Phase 2 masking text (participant, care provider,
  investigator, outcomes assessor);
- ``stdAges`` from the age limits as the registry derives them: CHILD (birth-17), ADULT (18-64), OLDER_ADULT
  (65+), each included when the eligible age range overlaps it;
- ``eligibilityCriteria``: "Inclusion Criteria:" and "Exclusion Criteria:" with numbered lists, as the
  registry formats them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.model import Protocol

_STARTED = ("RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING", "SUSPENDED", "TERMINATED",
            "COMPLETED", "AVAILABLE")
_CLOSED = ("COMPLETED", "TERMINATED", "WITHDRAWN")
_MASKED_ROLES = (("participant", "PARTICIPANT"), ("care provider", "CARE_PROVIDER"),
                 ("investigator", "INVESTIGATOR"), ("outcomes assessor", "OUTCOMES_ASSESSOR"))
_INTERVENTION_WORDS = {"BIOLOGICAL": "Biological", "DRUG": "Drug", "DEVICE": "Device",
                       "PROCEDURE": "Procedure", "OTHER": "Other"}


def registry_phases(phase: str) -> list[str]:
    """The API's ``phases`` list for a protocol phase (``PHASE1/PHASE2`` -> ``["PHASE1", "PHASE2"]``)."""
    return phase.split("/")


def standard_ages(min_age_years: int | None, max_age_years: int | None) -> list[str]:
    """CHILD (0-17), ADULT (18-64), OLDER_ADULT (65+) groups that overlap the eligible ages."""
    low, high = min_age_years or 0, 10**6 if max_age_years is None else max_age_years
    groups = (("CHILD", 0, 17), ("ADULT", 18, 64), ("OLDER_ADULT", 65, 10**6))
    return [name for name, start, end in groups if low <= end and high >= start]


def eligibility_text(protocol: Protocol) -> str:
    """The criteria as registry text: headed, numbered inclusion then exclusion lists."""
    parts = ["Inclusion Criteria:", ""]
    parts += [f"{c.number}. {' '.join(c.text.split())}" for c in protocol.eligibility.inclusion]
    parts += ["", "Exclusion Criteria:", ""]
    parts += [f"{c.number}. {' '.join(c.text.split())}" for c in protocol.eligibility.exclusion]
    return "\n".join(parts)


def _date(value: str | None, actual: bool) -> dict[str, str] | None:
    return None if not value else {"date": value, "type": "ACTUAL" if actual else "ESTIMATED"}


def _status_module(protocol: Protocol) -> dict[str, Any]:
    ident = protocol.identification
    closed, started = ident.status in _CLOSED, ident.status in _STARTED
    structs = {
        "startDateStruct": _date(ident.dates.start, started or closed),
        "primaryCompletionDateStruct": _date(ident.dates.primary_completion, closed),
        "completionDateStruct": _date(ident.dates.completion, closed),
        "studyFirstPostDateStruct": _date(ident.dates.first_posted, True),
        "resultsFirstPostDateStruct": _date(ident.dates.results_posted, True),
        "lastUpdatePostDateStruct": _date(ident.dates.last_updated, True),
    }
    return {"overallStatus": ident.status, **{k: v for k, v in structs.items() if v}}


def _design_module(protocol: Protocol) -> dict[str, Any]:
    ident, design = protocol.identification, protocol.identification.design
    info: dict[str, Any] = {}
    if design.allocation:
        info["allocation"] = design.allocation
    if design.model:
        info["interventionModel"] = design.model
    if design.purpose:
        info["primaryPurpose"] = design.purpose
    if design.masking:
        masking: dict[str, Any] = {"masking": design.masking}
        text = (protocol.phase2.masking if protocol.phase2 else "").lower()
        who = [code for word, code in _MASKED_ROLES if word in text]
        if who and design.masking != "NONE":
            masking["whoMasked"] = who
        info["maskingInfo"] = masking
    module: dict[str, Any] = {"studyType": ident.study_type, "phases": registry_phases(ident.phase)}
    if info:
        module["designInfo"] = info
    enrollment = ident.enrollment
    if enrollment.actual is not None:
        module["enrollmentInfo"] = {"count": enrollment.actual, "type": "ACTUAL"}
    elif enrollment.planned is not None:
        module["enrollmentInfo"] = {"count": enrollment.planned, "type": "ESTIMATED"}
    return module


def intervention_label(kind: str, name: str) -> str:
    """The registry's ``interventionNames`` entry, e.g. ``Biological: low dose hMSC-Exos``."""
    return f"{_INTERVENTION_WORDS.get(kind, kind.title())}: {name}"


def _arms_module(protocol: Protocol) -> dict[str, Any]:
    groups = []
    for arm in protocol.arms:
        items = [protocol.intervention(i) for i in arm.interventions]
        group: dict[str, Any] = {"label": arm.label, "type": arm.kind,
                                 "interventionNames": [intervention_label(i.kind, i.name) for i in items]}
        description = arm.description or "; ".join(i.description for i in items if i.description)
        if description:
            group["description"] = description
        groups.append(group)
    interventions = []
    for item in protocol.interventions:
        labels = [a.label for a in protocol.arms if item.id in a.interventions]
        entry: dict[str, Any] = {"type": item.kind, "name": item.name, "armGroupLabels": labels}
        if item.description:
            entry["description"] = item.description
        if item.product and item.product != item.name:
            entry["otherNames"] = [item.product]
        interventions.append(entry)
    return {"armGroups": groups, "interventions": interventions}


def _outcomes_module(protocol: Protocol) -> dict[str, Any]:
    module: dict[str, Any] = {}
    for kind, key in (("primary", "primaryOutcomes"), ("secondary", "secondaryOutcomes"),
                      ("exploratory", "otherOutcomes")):
        rows = []
        for outcome in (o for o in protocol.outcomes if o.kind == kind):
            row = {"measure": outcome.measure, "timeFrame": outcome.time_frame}
            if outcome.description:
                row["description"] = outcome.description
            rows.append(row)
        if rows:
            module[key] = rows
    return module


def _eligibility_module(protocol: Protocol) -> dict[str, Any]:
    ident = protocol.identification
    module: dict[str, Any] = {"eligibilityCriteria": eligibility_text(protocol),
                              "healthyVolunteers": ident.healthy_volunteers, "sex": ident.sex}
    if ident.min_age_years is not None:
        module["minimumAge"] = f"{ident.min_age_years} Years"
    if ident.max_age_years is not None:
        module["maximumAge"] = f"{ident.max_age_years} Years"
    module["stdAges"] = standard_ages(ident.min_age_years, ident.max_age_years)
    return module


def registry_protocol_section(protocol: Protocol) -> dict[str, Any]:
    """The ``protocolSection`` of ``protocol`` (not yet validated; see :func:`ensure_valid_registry`)."""
    ident = protocol.identification
    identification: dict[str, Any] = {"nctId": ident.registry_id}
    if ident.org_study_id:
        identification["orgStudyIdInfo"] = {"id": ident.org_study_id}
    identification["organization"] = {"fullName": ident.sponsor.name, "class": ident.sponsor.kind}
    identification["briefTitle"] = ident.brief_title
    if ident.official_title:
        identification["officialTitle"] = ident.official_title
    if ident.acronym:
        identification["acronym"] = ident.acronym
    sponsors: dict[str, Any] = {"leadSponsor": {"name": ident.sponsor.name, "class": ident.sponsor.kind}}
    if ident.collaborators:
        sponsors["collaborators"] = [{"name": c.name, "class": c.kind} for c in ident.collaborators]
    locations = [{k: v for k, v in (("facility", s.name), ("city", s.city), ("state", s.region),
                                    ("country", s.country)) if v} for s in ident.sites]
    return {
        "identificationModule": identification,
        "statusModule": _status_module(protocol),
        "sponsorCollaboratorsModule": sponsors,
        "descriptionModule": {"briefSummary": ident.summary} if ident.summary else {},
        "conditionsModule": {"conditions": list(protocol.conditions)},
        "designModule": _design_module(protocol),
        "armsInterventionsModule": _arms_module(protocol),
        "outcomesModule": _outcomes_module(protocol),
        "eligibilityModule": _eligibility_module(protocol),
        "contactsLocationsModule": {"locations": locations} if locations else {},
    }


@cache
def protocol_section_schema() -> dict[str, Any]:
    """The JSON schema of the emitted protocol section (shipped in ``mexards.reporting.schemas``)."""
    text = resources.files("mexards.reporting").joinpath("schemas", "ctgov_protocol_section.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


def registry_errors(section: dict[str, Any]) -> list[str]:
    """``path: message`` for every place ``section`` breaks the schema (empty when valid)."""
    validator = jsonschema.Draft202012Validator(protocol_section_schema())
    errors = sorted(validator.iter_errors(section), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]


def ensure_valid_registry(section: dict[str, Any]) -> None:
    """Raise ``ValidationErrors`` (field = the JSON path) when ``section`` breaks the schema."""
    validator = jsonschema.Draft202012Validator(protocol_section_schema())
    errors = [ValidationError("protocolSection." + ".".join(str(p) for p in e.absolute_path), e.message)
              for e in validator.iter_errors(section)]
    if errors:
        raise ValidationErrors(errors)
