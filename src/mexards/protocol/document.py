"""Protocol files as text: a strict YAML reader/writer and the mapping between documents and dataclasses.

The YAML dialect is deliberately small so that a value means the same thing everywhere:

- numbers with a decimal point or an exponent become exact ``Decimal`` values as written (``0.25``,
  ``2.0e8``); an exponent form that is a whole number (``2.0e8``) becomes an ``int``;
- only ``true``/``false`` are booleans (``yes``, ``no``, ``on``, ``off`` stay text);
- dates stay text (``2020-11-30``), checked by the schema;
- a key repeated in one mapping is an error.

``to_document`` and ``from_document`` are inverses: ``from_document(to_document(p)) == p``.
"""

from __future__ import annotations

import re
import types
from dataclasses import MISSING, fields, is_dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from mexards.domain.errors import ValidationError
from mexards.protocol import criterion as rules
from mexards.protocol import model
from mexards.protocol.criterion import Criterion, Param, Rule, SettingRef

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_DECIMAL = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$")


def _install_resolvers(cls: Any) -> None:
    cls.yaml_implicit_resolvers = {}
    cls.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
    cls.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])
    cls.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
    cls.add_implicit_resolver("tag:yaml.org,2002:float", _DECIMAL, list("-+0123456789."))
    cls.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


class _Loader(yaml.SafeLoader):
    """SafeLoader with the small dialect described in the module docstring."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that quotes exactly the strings the loader would not read back as strings."""


_install_resolvers(_Loader)
_install_resolvers(_Dumper)


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | Decimal:
    text = str(loader.construct_scalar(node))
    value = Decimal(text)
    if ("e" in text or "E" in text) and value == value.to_integral_value():
        return int(value)
    return value


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    return int(str(loader.construct_scalar(node)))


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise ValidationError(f"line {key_node.start_mark.line + 1}", f"duplicate key '{key}'", key)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f") if -30 < value.adjusted() < 30 else str(value)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(Decimal, _represent_decimal)

_YAML_LINE_BREAKS = ("\x85", "\u2028", "\u2029")
"""Characters YAML reads as line breaks: written raw they would come back as spaces, so they are escaped."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(ch in value for ch in _YAML_LINE_BREAKS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def read_yaml(text: str) -> Any:
    """Parse protocol YAML text in the strict dialect; syntax errors name the line."""
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark is not None else "protocol"
        raise ValidationError(where, f"is not valid YAML: {exc.problem}", None) from None
    except yaml.YAMLError as exc:
        raise ValidationError("protocol", f"is not valid YAML: {exc}", None) from None
    except RecursionError:
        raise ValidationError("protocol", "is not acceptable YAML: nested too deeply", None) from None


def write_yaml(document: Any) -> str:
    """YAML text that :func:`read_yaml` reads back to an equal document."""
    return str(yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110))


# ---------------------------------------------------------------------------------------------- documents


def _param(value: Any) -> Param:
    if isinstance(value, dict):
        return SettingRef(str(value["setting"]))
    if isinstance(value, bool | str | Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return str(value)


def _options(data: Any) -> dict[str, Param]:
    return {str(k): _param(v) for k, v in (data or {}).items()}


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def build_rule(data: dict[str, Any]) -> Rule:
    """The rule tree of one criterion (the document must already satisfy the schema)."""
    ((kind, body),) = data.items()
    if kind == "compare":
        return rules.Compare(body["value"], body["op"], _dec(body["threshold"]), _options(body.get("with")))
    if kind == "range":
        return rules.Range(
            body["value"],
            _dec(body["min"]) if "min" in body else None,
            _dec(body["max"]) if "max" in body else None,
            bool(body.get("min_inclusive", True)),
            bool(body.get("max_inclusive", True)),
            _options(body.get("with")),
        )
    if kind == "in":
        return rules.InSet(body["value"], tuple(str(v) for v in body["values"]), _options(body.get("with")))
    if kind == "fact":
        return rules.Fact(body)
    if kind == "attestation":
        return rules.Attestation(body)
    if kind == "within":
        units = [u for u in rules.PERIOD_UNITS if u in body]
        unit = units[0] if units else "days"
        return rules.Within(
            body["event"],
            int(body.get(unit, 0)),
            unit,
            _param(body["inclusive"]) if "inclusive" in body else SettingRef("within_n_days_inclusive"),
            body.get("anchor", "screening"),
        )
    if kind == "elapsed":
        return rules.Elapsed(body["since"], body["op"], _dec(body["hours"]), body.get("anchor", "screening"))
    if kind == "all":
        return rules.AllOf(tuple(build_rule(part) for part in body))
    if kind == "any":
        return rules.AnyOf(tuple(build_rule(part) for part in body))
    if kind == "not":
        return rules.Not(build_rule(body))
    if kind == "join":
        return rules.Join(_param(body["op"]), tuple(build_rule(p) for p in body["of"]), body.get("warn_when_split"))
    raise ValidationError("rule", f"unknown rule kind '{kind}'", kind)


def _param_document(value: Param) -> Any:
    if isinstance(value, SettingRef):
        return {"setting": value.name}
    return value


def rule_document(rule: Rule) -> dict[str, Any]:
    """The document form of a rule tree (inverse of :func:`build_rule`)."""
    if isinstance(rule, rules.Compare):
        body: dict[str, Any] = {"value": rule.value, "op": rule.op, "threshold": rule.threshold}
        if rule.options:
            body["with"] = {k: _param_document(v) for k, v in rule.options.items()}
        return {"compare": body}
    if isinstance(rule, rules.Range):
        body = {"value": rule.value}
        if rule.minimum is not None:
            body["min"] = rule.minimum
        if rule.maximum is not None:
            body["max"] = rule.maximum
        if not rule.min_inclusive:
            body["min_inclusive"] = False
        if not rule.max_inclusive:
            body["max_inclusive"] = False
        if rule.options:
            body["with"] = {k: _param_document(v) for k, v in rule.options.items()}
        return {"range": body}
    if isinstance(rule, rules.InSet):
        body = {"value": rule.value, "values": list(rule.values)}
        if rule.options:
            body["with"] = {k: _param_document(v) for k, v in rule.options.items()}
        return {"in": body}
    if isinstance(rule, rules.Fact):
        return {"fact": rule.field}
    if isinstance(rule, rules.Attestation):
        return {"attestation": rule.field}
    if isinstance(rule, rules.Within):
        body = {"event": rule.event, rule.unit: rule.amount}
        if rule.inclusive != SettingRef("within_n_days_inclusive"):
            body["inclusive"] = _param_document(rule.inclusive)
        if rule.anchor != "screening":
            body["anchor"] = rule.anchor
        return {"within": body}
    if isinstance(rule, rules.Elapsed):
        body = {"since": rule.since, "op": rule.op, "hours": rule.hours}
        if rule.anchor != "screening":
            body["anchor"] = rule.anchor
        return {"elapsed": body}
    if isinstance(rule, rules.AllOf):
        return {"all": [rule_document(part) for part in rule.rules]}
    if isinstance(rule, rules.AnyOf):
        return {"any": [rule_document(part) for part in rule.rules]}
    if isinstance(rule, rules.Not):
        return {"not": rule_document(rule.rule)}
    body = {"op": _param_document(rule.op), "of": [rule_document(part) for part in rule.rules]}
    if rule.warn_when_split:
        body["warn_when_split"] = rule.warn_when_split
    return {"join": body}


@cache
def _hints(cls: type) -> dict[str, Any]:
    namespace = {**vars(model), **vars(rules)}
    return get_type_hints(cls, globalns=namespace)


def _convert(hint: Any, value: Any) -> Any:
    origin = get_origin(hint)
    if origin in (types.UnionType, Union):
        options = [a for a in get_args(hint) if a is not type(None)]
        return None if value is None else _convert(options[0], value)
    if origin is tuple:
        (item_hint, _) = get_args(hint)
        return tuple(_convert(item_hint, item) for item in value)
    if hint is Decimal:
        return _dec(value)
    if hint is int:
        return int(value)
    if hint is bool:
        return bool(value)
    if hint is str:
        return str(value)
    if is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, value)
    return value


def _design_parameter(value: Any) -> Decimal | str | bool | tuple[Decimal, ...]:
    if isinstance(value, list):
        return tuple(_dec(v) for v in value)
    if isinstance(value, bool | str):
        return value
    return _dec(value)


def _build(cls: type, data: dict[str, Any]) -> Any:
    if cls is Criterion:
        return Criterion(
            data["id"], int(data["number"]), data["text"], build_rule(data["rule"]),
            data.get("source", ""), data.get("note", ""),
        )
    if cls is model.Settings:
        known = {k: v for k, v in data.items() if k in model.SETTING_DEFAULTS}
        extra: dict[str, str | bool | int | Decimal] = {
            k: (v if isinstance(v, bool | str | Decimal) else _dec(v)) for k, v in data.items()
            if k not in model.SETTING_DEFAULTS}
        return model.Settings(**known, extra=extra)
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for item in fields(cls):
        if item.name not in data:
            continue
        if cls is model.DesignSpec and item.name == "parameters":
            values[item.name] = {str(k): _design_parameter(v) for k, v in data[item.name].items()}
        else:
            values[item.name] = _convert(hints[item.name], data[item.name])
    return cls(**values)


def from_document(document: dict[str, Any]) -> model.Protocol:
    """Build the protocol dataclasses from a document that satisfies ``schema.json``."""
    protocol: model.Protocol = _build(model.Protocol, document)
    return protocol


def _plain(value: Any) -> Any:
    if isinstance(value, Criterion):
        body: dict[str, Any] = {"id": value.id, "number": value.number, "text": value.text,
                                "rule": rule_document(value.rule)}
        if value.source:
            body["source"] = value.source
        if value.note:
            body["note"] = value.note
        return body
    if isinstance(value, model.Settings):
        return {name: _plain(value.value(name)) for name in value.names()}
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for item in fields(value):
            current = getattr(value, item.name)
            if item.default is not MISSING and current == item.default:
                continue
            if item.default_factory is not MISSING and current == item.default_factory():
                continue
            if current is None:
                continue
            out[item.name] = _plain(current)
        return out
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_document(protocol: model.Protocol) -> dict[str, Any]:
    """The document form of a protocol (``format_version`` first), ready for :func:`write_yaml`."""
    body = _plain(protocol)
    document: dict[str, Any] = {"format_version": protocol.format_version}
    document.update({k: v for k, v in body.items() if k != "format_version"})
    if "eligibility" in document:
        document["eligibility"].setdefault("exclusion", [])
    return document


def dump_protocol(protocol: model.Protocol) -> str:
    """The protocol as YAML text; ``load_protocol(dump_protocol(p)) == p``."""
    return write_yaml(to_document(protocol))
