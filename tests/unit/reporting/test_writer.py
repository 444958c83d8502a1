"""The writers validate first and write nothing when a check fails."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import pytest

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.model import Protocol
from mexards.reporting.fhir import fhir_errors
from mexards.reporting.odm import odm_errors
from mexards.reporting.registry import registry_errors
from mexards.reporting.writer import write_fhir, write_odm, write_page, write_registry, write_sdtm


def test_each_writer_writes_its_files_named_by_registry_id(
    protocol: Protocol, all_protocols: list[Protocol], tmp_path: Path, exported_at: datetime
) -> None:
    rid = protocol.registry_id
    assert write_odm(protocol, tmp_path, created_at=exported_at) == [tmp_path / f"{rid}_odm.xml"]
    assert odm_errors(tmp_path / f"{rid}_odm.xml") == []
    assert len(write_sdtm(protocol, tmp_path / "sdtm")) == 10
    (bundle_path,) = write_fhir(protocol, tmp_path, created_at=exported_at)
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    assert bundle["timestamp"] == "2024-07-22T12:00:00+00:00" and fhir_errors(bundle) == []
    (registry_path,) = write_registry(protocol, tmp_path)
    record = json.loads(registry_path.read_text(encoding="utf-8"))
    assert record["hasResults"] is False and registry_errors(record["protocolSection"]) == []
    (page_path,) = write_page(protocol, tmp_path, all_protocols)
    assert page_path.name == f"{rid}.html" and "Study Results" in page_path.read_text(encoding="utf-8")


def test_an_invalid_export_writes_nothing(mexards: Protocol, tmp_path: Path) -> None:
    broken = dataclasses.replace(mexards, conditions=())
    with pytest.raises(ValidationErrors) as caught:
        write_registry(broken, tmp_path / "registry")
    assert caught.value.field == "protocolSection.conditionsModule.conditions"
    assert not (tmp_path / "registry").exists()
    bad_arm = dataclasses.replace(mexards.arms[0], kind="GUESSWORK")
    with pytest.raises(ValidationError) as arm_error:
        write_fhir(dataclasses.replace(mexards, arms=(bad_arm, *mexards.arms[1:])), tmp_path / "fhir")
    assert arm_error.value.field == "arms.p1_low.kind"
    assert not (tmp_path / "fhir").exists()
