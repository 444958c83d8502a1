"""Write each export of a protocol into a folder, validating it first: nothing is written when a check fails.

File names start with the registry id: ``<id>_odm.xml``, ``ts.xpt``/``ts.csv`` (and TA, TE, TV, TI),
``<id>_fhir_bundle.json``, ``<id>_protocol_section.json`` (the API record shape ``{"protocolSection": ...,
"hasResults": false}``) and ``<id>.html``. Each function returns the paths written.

Given the trial's :class:`~mexards.services.results.ClinicalRecords`, the exports add the clinical data: ODM
``ClinicalData`` (file ``<id>_odm.xml``, granularity All), the SDTM DM, DS, EX, AE, VS, LB and SV datasets next
to the trial design ones, and a Patient and a ResearchSubject per participant in the FHIR bundle. Given a
registry results section, the registry record carries it (``hasResults``: true). A masked set of records must
pass the blinding check (``BLD-ARM``) as well as the conformance check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from mexards.domain.errors import PermissionDeniedError, ValidationError, ValidationErrors
from mexards.domain.role import Actor
from mexards.protocol.model import Protocol
from mexards.reporting.dataset import Dataset
from mexards.reporting.fhir import ensure_valid_fhir, fhir_bundle
from mexards.reporting.fhir_subject import subject_resources
from mexards.reporting.odm import ensure_valid_odm, odm_tree, serialised, tree_errors
from mexards.reporting.odm_clinical import clinical_part
from mexards.reporting.page import StudyResults, render_study_page
from mexards.reporting.registry import ensure_valid_registry, registry_protocol_section
from mexards.reporting.registry_results import ensure_valid_results_section, registry_results_section
from mexards.reporting.result_table import analyse
from mexards.reporting.sdtm_finding import blinding_findings, subject_datasets
from mexards.reporting.transport import write_datasets
from mexards.reporting.trial_design import trial_design_datasets
from mexards.services.policy import sees_arms
from mexards.services.port import UnitOfWork
from mexards.services.results import ClinicalRecords, analysis_dataset, clinical_records


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_odm(protocol: Protocol, folder: Path, *, created_at: datetime | None = None,
              records: ClinicalRecords | None = None) -> list[Path]:
    """``<id>_odm.xml``: the ODM 1.3.2 metadata (and clinical data from ``records``), checked against the XSD."""
    clinical = clinical_part(protocol, records) if records is not None else None
    root = odm_tree(protocol, created_at=created_at, clinical=clinical)
    valid = not tree_errors(root)
    document = serialised(root)
    if not valid:
        ensure_valid_odm(document)  # the same checks again, reported with line numbers
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{protocol.registry_id}_odm.xml"
    path.write_bytes(document)
    return [path]


def sdtm_datasets(protocol: Protocol, records: ClinicalRecords | None = None) -> dict[str, Dataset]:
    """The trial design datasets, plus the subject-level ones of ``records``; a masked set is refused
    (``ValidationErrors``, rule BLD-ARM) if any value names a Phase 2 arm."""
    datasets = trial_design_datasets(protocol)
    if records is None:
        return datasets
    subject = subject_datasets(protocol, records)
    if not records.unblinded:
        leaks = blinding_findings(subject, protocol)
        if leaks:
            raise ValidationErrors([ValidationError(f.field, f"{f.rule}: {f.message}") for f in leaks])
    return {**datasets, **subject}


def write_sdtm(protocol: Protocol, folder: Path, *, records: ClinicalRecords | None = None) -> list[Path]:
    """The SDTM datasets as ``.xpt`` (SAS V5 transport) and ``.csv``, after the conformance check."""
    return write_datasets(sdtm_datasets(protocol, records), folder)


def write_fhir(protocol: Protocol, folder: Path, *, created_at: datetime | None = None,
               records: ClinicalRecords | None = None) -> list[Path]:
    """``<id>_fhir_bundle.json``: the FHIR R5 bundle (with the participants of ``records``), validated
    (fhir.resources and value sets) first."""
    subjects = subject_resources(protocol, records) if records is not None else []
    bundle = fhir_bundle(protocol, created_at=created_at, subjects=subjects)
    ensure_valid_fhir(bundle)
    return [_write_json(folder / f"{protocol.registry_id}_fhir_bundle.json", bundle)]


def write_registry(protocol: Protocol, folder: Path, *, results_section: dict[str, Any] | None = None) -> list[Path]:
    """``<id>_protocol_section.json``: the registry protocol section validated against its JSON schema, with
    the results section (schema and consistency rules) when given."""
    section = registry_protocol_section(protocol)
    ensure_valid_registry(section)
    record: dict[str, Any] = {"protocolSection": section}
    if results_section is not None:
        ensure_valid_results_section(results_section)
        record["resultsSection"] = results_section
    record["hasResults"] = results_section is not None
    return [_write_json(folder / f"{protocol.registry_id}_protocol_section.json", record)]


def write_page(
    protocol: Protocol,
    folder: Path,
    candidates: Iterable[Protocol] = (),
    results: StudyResults | None = None,
) -> list[Path]:
    """``<id>.html``: the public study page, related trials ranked among ``candidates``."""
    html = render_study_page(protocol, candidates, results)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{protocol.registry_id}.html"
    path.write_text(html, encoding="utf-8")
    return [path]


def actor_records(uow: UnitOfWork, actor: Actor, protocol: Protocol) -> ClinicalRecords:
    """The clinical records as ``actor`` may export them: unblinded when the database is locked and the role is
    unblinded, masked otherwise (the same rule as the report's arm-level outputs)."""
    if sees_arms(actor):
        try:
            return clinical_records(uow, actor, protocol, unblinded=True)
        except PermissionDeniedError:  # not locked yet: the masked records
            pass
    return clinical_records(uow, actor, protocol)


def actor_results_section(uow: UnitOfWork, actor: Actor, protocol: Protocol) -> dict[str, Any]:
    """The registry results section as ``actor`` may see it: by arm after lock for an unblinded role, else with
    Phase 2 pooled."""
    dataset = None
    if sees_arms(actor):
        try:
            dataset = analysis_dataset(uow, actor, protocol, by_arm=True)
        except PermissionDeniedError:
            dataset = None
    if dataset is None:
        dataset = analysis_dataset(uow, actor, protocol)
    return registry_results_section(analyse(dataset), protocol)
