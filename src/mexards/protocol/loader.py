"""Load a protocol file: YAML -> JSON Schema check -> frozen dataclasses -> cross-reference checks.

Every problem found is reported, each naming the path of the bad field (``phase1.design.target: must be
between 0 and 1``), in one ``ValidationErrors``. The schema is compiled once per process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaError

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.consistency import check_protocol
from mexards.protocol.criterion import RULE_KINDS
from mexards.protocol.document import from_document, read_yaml
from mexards.protocol.model import Protocol

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "empty",
}
_PATTERN_WORDS = {
    "^NCT[0-9]{8}$": "must be NCT followed by 8 digits",
    "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$": "must be a date YYYY-MM-DD (or YYYY-MM)",
    "^[A-Za-z][A-Za-z0-9_.-]*$": "must be an identifier (a letter, then letters, digits, _ . -)",
    "^[IE][0-9]+[a-z]?$": "must be I or E followed by the registry number, e.g. I2 or E10",
    "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$": "must be a lower-case dotted field name, e.g. liver.inr",
}


@cache
def protocol_schema() -> dict[str, Any]:
    """The JSON Schema of protocol files (``schema.json`` shipped in this package)."""
    text = resources.files("mexards.protocol").joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = protocol_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def field_path(parts: Iterable[Any]) -> str:
    """``("phase1", "design", "target")`` -> ``phase1.design.target``; list indices as ``arms[2]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "protocol"


def _bounds(schema: dict[str, Any]) -> str:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    low_open = "exclusiveMinimum" in schema
    high_open = "exclusiveMaximum" in schema
    if low is not None and high is not None:
        if low_open and high_open:
            return f"must be between {low} and {high}"
        if not low_open and not high_open:
            return f"must be between {low} and {high} inclusive"
        return f"must be {'greater than' if low_open else 'at least'} {low} and " \
               f"{'less than' if high_open else 'at most'} {high}"
    if low is not None:
        return f"must be {'greater than' if low_open else 'at least'} {low}"
    return f"must be {'less than' if high_open else 'at most'} {high}"


def _translate(error: SchemaError) -> list[ValidationError]:
    path = list(error.absolute_path)
    where = field_path(path)
    kind = error.validator
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    instance: Any = error.instance
    expected: Any = error.validator_value
    if kind == "required":
        missing = [name for name in expected if isinstance(instance, dict) and name not in instance]
        return [ValidationError(field_path([*path, name]), "is required", None) for name in missing]
    if kind == "additionalProperties":
        known = schema.get("properties", {})
        extra = [k for k in instance if k not in known] if isinstance(instance, dict) else []
        if set(known) == set(RULE_KINDS):
            rule = "is not a known rule kind (" + ", ".join(RULE_KINDS) + ")"
        else:
            rule = "is not a known field here (known: " + ", ".join(known) + ")"
        return [ValidationError(field_path([*path, name]), rule, instance[name]) for name in extra]
    if kind in ("minProperties", "maxProperties"):
        names = ", ".join(schema.get("properties", {}))
        return [ValidationError(where, f"must have exactly one of: {names}", instance)]
    if kind == "type":
        words = [_TYPE_WORDS.get(str(t), str(t)) for t in (expected if isinstance(expected, list) else [expected])]
        return [ValidationError(where, "must be " + " or ".join(words), instance)]
    if kind == "enum":
        choices = ", ".join(str(v) for v in expected)
        return [ValidationError(where, f"must be one of: {choices}", instance)]
    if kind == "const":
        return [ValidationError(where, f"must be {expected}", instance)]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return [ValidationError(where, _bounds(schema), instance)]
    if kind == "minItems":
        count = expected
        return [ValidationError(where, f"must have at least {count} item{'s' if count != 1 else ''}", instance)]
    if kind == "minLength":
        return [ValidationError(where, "must not be empty", instance)]
    if kind == "pattern":
        rule = _PATTERN_WORDS.get(str(expected), f"must match {expected}")
        return [ValidationError(where, rule, instance)]
    if kind in ("oneOf", "anyOf"):
        branches: list[dict[str, Any]] = list(expected)
        singles = [str(b["required"][0]) for b in branches if set(b) == {"required"}]
        if singles and len(singles) == len(branches):
            how = "exactly one" if kind == "oneOf" else "at least one"
            return [ValidationError(where, f"needs {how} of: " + ", ".join(singles), instance)]
        if any("setting" in b.get("properties", {}) for b in branches):
            return [ValidationError(where, "must be text, a number, true/false or {setting: NAME}", instance)]
        return [ValidationError(where, "has the wrong form (see docs/protocol-format.md)", instance)]
    return [ValidationError(where, error.message, instance)]


def schema_errors(document: Any) -> list[ValidationError]:
    """Every schema violation in ``document``, translated to ``field: rule`` errors."""
    found: list[ValidationError] = []
    seen: set[tuple[str, str]] = set()
    for error in _validator().iter_errors(document):
        for item in _translate(error):
            key = (item.field, item.rule)
            if key not in seen:
                seen.add(key)
                found.append(item)
    return found


def _read_source(source: str | os.PathLike[str]) -> str:
    if isinstance(source, os.PathLike):
        path = Path(source)
    elif "\n" in source or (":" in source and not Path(source).exists()):
        return source
    else:
        path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("protocol", f"file not found: {path}", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError("protocol", f"cannot be read: {exc}", str(path)) from None


def protocol_from_document(document: Any) -> Protocol:
    """Check a parsed document against the schema and the cross-reference rules, then build it."""
    if not isinstance(document, dict):
        raise ValidationError("protocol", "must be a mapping of sections (format_version, identification, ...)")
    errors = schema_errors(document)
    if errors:
        raise ValidationErrors(errors)
    protocol = from_document(document)
    errors = check_protocol(protocol)
    if errors:
        raise ValidationErrors(errors)
    return protocol


def load_protocol(source: str | os.PathLike[str]) -> Protocol:
    """Load and check a protocol from a file path or from YAML text.

    A ``str`` containing a newline (or a ``:`` and naming no existing file) is read as YAML text; anything else
    is a path. Raises ``ValidationErrors`` listing every problem, each naming the field path.
    """
    return protocol_from_document(read_yaml(_read_source(source)))
