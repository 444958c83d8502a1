"""The registry export against the recorded ClinicalTrials.gov API v2 record NCT02296125 (FLAURA).

Source: /work/shared/data/ctgov/ctgov_v2_NCT02296125_reduced.json (edc-and-standards.md 3.5: recorded from
https://clinicaltrials.gov/api/v2/studies/NCT02296125?format=json; field names, enumeration words and
numbers as the API returned them; reduced, so some modules and fields are missing). Comparisons are of
structure (names, nesting and JSON types) and of enumeration words; exact, no tolerance.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mexards.protocol import builtin_protocol
from mexards.reporting.registry import protocol_section_schema, registry_protocol_section

RECORD = Path("/work/shared/data/ctgov/ctgov_v2_NCT02296125_reduced.json")

pytestmark = pytest.mark.skipif(not RECORD.exists(), reason="shared registry fixture not present")


@pytest.fixture(scope="module")
def wire() -> dict[str, Any]:
    section: dict[str, Any] = json.loads(RECORD.read_text(encoding="utf-8"))["protocolSection"]
    return section


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    return registry_protocol_section(builtin_protocol("NCT04602104"))


def _shape(node: Any) -> Any:
    """Names and JSON types, with lists reduced to the shape of their first item."""
    if isinstance(node, dict):
        return {key: _shape(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_shape(node[0])] if node else []
    return type(node).__name__


def _common(left: Any, right: Any) -> tuple[Any, Any]:
    """Both shapes restricted to the keys they share."""
    if isinstance(left, dict) and isinstance(right, dict):
        keys = [k for k in left if k in right]
        pairs = [_common(left[k], right[k]) for k in keys]
        return dict(zip(keys, [p[0] for p in pairs], strict=True)), dict(
            zip(keys, [p[1] for p in pairs], strict=True)
        )
    if isinstance(left, list) and isinstance(right, list) and left and right:
        a, b = _common(left[0], right[0])
        return [a], [b]
    return left, right


def test_every_module_of_the_recorded_record_is_emitted(wire: dict[str, Any], ours: dict[str, Any]) -> None:
    assert set(wire) <= set(ours)
    assert set(ours) - set(wire) == {"descriptionModule"}, "the recorded record was reduced"


def test_shared_fields_have_the_same_names_nesting_and_json_types(
    wire: dict[str, Any], ours: dict[str, Any]
) -> None:
    for module in wire:
        mine, theirs = _common(_shape(ours[module]), _shape(wire[module]))
        assert mine == theirs, module


def test_the_design_module_has_exactly_the_recorded_field_tree(
    wire: dict[str, Any], ours: dict[str, Any]
) -> None:
    assert _shape(ours["designModule"]) == _shape(wire["designModule"])
    assert _shape(ours["statusModule"]["startDateStruct"]) == _shape(wire["statusModule"]["startDateStruct"])


def test_every_field_the_recorded_record_uses_in_these_modules_is_emitted(
    wire: dict[str, Any], ours: dict[str, Any]
) -> None:
    for module in ("identificationModule", "designModule", "eligibilityModule"):
        assert set(wire[module]) <= set(ours[module]), module
    protocol = builtin_protocol("NCT04602104")
    dates = dataclasses.replace(protocol.identification.dates, primary_completion="2022-12-31")
    ident = dataclasses.replace(protocol.identification, dates=dates)
    status = registry_protocol_section(dataclasses.replace(protocol, identification=ident))["statusModule"]
    assert set(wire["statusModule"]) <= set(status), "MEXARDS states no primary completion date; given one"
    for key in ("label", "type", "description", "interventionNames"):
        assert key in ours["armsInterventionsModule"]["armGroups"][0]
    assert set(wire["contactsLocationsModule"]["locations"][0]) <= set(
        ours["contactsLocationsModule"]["locations"][0]
    )


def test_our_schema_accepts_the_recorded_modules(wire: dict[str, Any]) -> None:
    schema = copy.deepcopy(protocol_section_schema())
    schema.pop("required")
    jsonschema.Draft202012Validator(schema).validate(wire)


def test_phase_one_two_is_two_phase_words_and_counts_are_integers(ours: dict[str, Any]) -> None:
    assert ours["designModule"]["phases"] == ["PHASE1", "PHASE2"]
    assert isinstance(ours["designModule"]["enrollmentInfo"]["count"], int)
    assert "allocation" in ours["designModule"]["designInfo"] and "allocationType" not in ours["designModule"]
