"""Hostile input to the protocol loader (``mexards.protocol.loader``): any YAML text, and the MEXARDS protocol
with any one value replaced, removed or added, either loads or is refused with ``ValidationErrors`` whose
fields name a section of the document (``phase1.design.target``) or the YAML line; nothing else escapes.
YAML tags that construct objects are refused.

Sources: docs/protocol-format.md (every problem reported with its field path); OWASP WSTG 4.7; PyYAML's
``SafeLoader`` (no arbitrary object construction). Crashes this fuzzing once found are pinned as
regression tests at the end.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.catalog import builtin_protocol_text
from mexards.protocol.document import read_yaml, write_yaml
from mexards.protocol.loader import load_protocol, protocol_from_document
from mexards.protocol.model import Protocol
from tests.reliability.hostile import INJECTIONS, scalars

DOCUMENT = read_yaml(builtin_protocol_text("NCT04602104"))


def errors_of(exc: ValidationError) -> list[ValidationError]:
    return exc.errors if isinstance(exc, ValidationErrors) else [exc]


def in_section(field: str, keys: set[str]) -> bool:
    """``field`` is one of ``keys`` or a path inside one (a key may itself contain "." or "[", such as an
    injected ``<img src=x onerror=alert(document.cookie)>``)."""
    return any(field == key or field.startswith((f"{key}.", f"{key}[")) for key in keys)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a document (mapping keys and list indices)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


PATHS = paths(DOCUMENT)


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[Any, ...]]:
    document = copy.deepcopy(DOCUMENT)
    path = draw(st.sampled_from(PATHS))
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    leaf = path[-1]
    how = draw(st.sampled_from(["replace", "remove", "add", "wrap"]))
    if how == "replace":
        parent[leaf] = draw(st.one_of(scalars(max_exponent=30), st.lists(scalars(30), max_size=2)))
    elif how == "remove":
        del parent[leaf]
    elif how == "add" and isinstance(parent, dict):
        parent[draw(st.sampled_from([*INJECTIONS[:8], "extra_field"]))] = draw(scalars(30))
    else:
        parent[leaf] = {"unexpected": parent[leaf]}
    return document, path


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_a_protocol_with_one_value_changed_loads_or_names_a_field_of_the_document(
    case: tuple[dict[str, Any], tuple[Any, ...]],
) -> None:
    document, _path = case
    try:
        protocol = protocol_from_document(document)
    except ValidationError as exc:
        for error in errors_of(exc):
            assert error.rule and "Traceback" not in error.rule
            assert in_section(error.field, set(document) | set(DOCUMENT) | {"protocol"}), error.field
        return
    assert isinstance(protocol, Protocol)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_the_same_mutations_written_as_yaml_text_load_alike(
    case: tuple[dict[str, Any], tuple[Any, ...]],
) -> None:
    document, _path = case
    try:
        text = write_yaml(document)
    except Exception:  # a value YAML cannot represent (e.g. a lone surrogate) is not a protocol file
        return
    try:
        load_protocol(text)
    except ValidationError as exc:
        for error in errors_of(exc):
            known = set(document) | set(DOCUMENT) | {"protocol"}
            assert in_section(error.field, known) or error.field.startswith("line "), error.field


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_yaml_text_loads_or_is_refused_with_field_and_rule(text: str) -> None:
    try:
        load_protocol(text + "\n")  # a newline makes it YAML text, never a file name
    except ValidationError as exc:
        for error in errors_of(exc):
            assert error.field and error.rule


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo owned']\n",
        "a: !!python/name:os.system\n",
        "a: !!binary aGVsbG8=\nb: !!set {x}\n",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    ],
)
def test_object_constructing_tags_and_alias_bombs_are_refused_with_field_and_rule(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_protocol(text)
    assert all(e.field and e.rule for e in errors_of(caught.value))


# --- crashes the fuzzing above once found, now refused cleanly ---------------------------------------------


def test_deeply_nested_yaml_is_refused_naming_the_protocol() -> None:
    with pytest.raises(ValidationError):
        load_protocol("a: " + "[" * 5000 + "]" * 5000 + "\n")


def test_an_unknown_key_with_dots_and_markup_is_named_whole_and_as_sent() -> None:
    key = "<img src=x onerror=alert(document.cookie)>"
    document = {**copy.deepcopy(DOCUMENT), key: 1}
    with pytest.raises(ValidationError) as refused:
        protocol_from_document(document)
    assert key in [error.field for error in errors_of(refused.value)]
