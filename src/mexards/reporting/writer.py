"""Write each export of a protocol into a folder, validating it first: nothing is written when a check fails.

File names start with the registry id: ``<id>_odm.xml``, ``ts.xpt``/``ts.csv`` (and TA, TE, TV, TI),
``<id>_fhir_bundle.json``, ``<id>_protocol_section.json`` (the API record shape ``{"protocolSection": ...,
"hasResults": false}``) and ``<id>.html``. Each function returns the paths written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from mexards.protocol.model import Protocol
from mexards.reporting.fhir import ensure_valid_fhir, fhir_bundle
from mexards.reporting.odm import ensure_valid_odm, odm_document
from mexards.reporting.page import StudyResults, render_study_page
from mexards.reporting.registry import ensure_valid_registry, registry_protocol_section
from mexards.reporting.transport import write_datasets
from mexards.reporting.trial_design import trial_design_datasets


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_odm(protocol: Protocol, folder: Path, *, created_at: datetime | None = None) -> list[Path]:
    """``<id>_odm.xml``: the ODM 1.3.2 metadata, checked against the XSD first."""
    document = odm_document(protocol, created_at=created_at)
    ensure_valid_odm(document)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{protocol.registry_id}_odm.xml"
    path.write_bytes(document)
    return [path]


def write_sdtm(protocol: Protocol, folder: Path) -> list[Path]:
    """The trial design datasets as ``.xpt`` (SAS V5 transport) and ``.csv``, after the conformance check."""
    return write_datasets(trial_design_datasets(protocol), folder)


def write_fhir(protocol: Protocol, folder: Path, *, created_at: datetime | None = None) -> list[Path]:
    """``<id>_fhir_bundle.json``: the FHIR R5 bundle, validated (fhir.resources and value sets) first."""
    bundle = fhir_bundle(protocol, created_at=created_at)
    ensure_valid_fhir(bundle)
    return [_write_json(folder / f"{protocol.registry_id}_fhir_bundle.json", bundle)]


def write_registry(protocol: Protocol, folder: Path) -> list[Path]:
    """``<id>_protocol_section.json``: the registry protocol section, validated against its JSON schema."""
    section = registry_protocol_section(protocol)
    ensure_valid_registry(section)
    record = {"protocolSection": section, "hasResults": False}
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
