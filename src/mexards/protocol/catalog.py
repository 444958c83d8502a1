"""The protocols shipped with mexards (``protocols/<registry id>.yaml``), loaded once per process."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from mexards.domain.errors import NotFoundError
from mexards.protocol.loader import load_protocol
from mexards.protocol.model import Protocol

_PACKAGE = "mexards.protocol"


def list_builtin_protocols() -> tuple[str, ...]:
    """Registry ids of the built-in protocols, sorted (e.g. ``NCT01902082``, ``NCT04313647``, ``NCT04602104``)."""
    folder = resources.files(_PACKAGE).joinpath("protocols")
    return tuple(sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")))


def builtin_protocol_text(registry_id: str) -> str:
    """The YAML text of a built-in protocol."""
    key = registry_id.strip().upper()
    if key not in list_builtin_protocols():
        known = ", ".join(list_builtin_protocols())
        raise NotFoundError(f"no built-in protocol '{registry_id}' (built in: {known})")
    return resources.files(_PACKAGE).joinpath("protocols", f"{key}.yaml").read_text(encoding="utf-8")


@cache
def builtin_protocol(registry_id: str) -> Protocol:
    """A built-in protocol by registry id (case-insensitive); ``NotFoundError`` if there is none."""
    return load_protocol(builtin_protocol_text(registry_id))


def resolve_protocol(id_or_path: str) -> Protocol:
    """A built-in protocol when ``id_or_path`` is a registry id that is built in, otherwise a protocol file."""
    if id_or_path.strip().upper() in list_builtin_protocols():
        return builtin_protocol(id_or_path.strip().upper())
    if id_or_path.strip().upper().startswith("NCT") and "/" not in id_or_path and "." not in id_or_path:
        builtin_protocol_text(id_or_path)  # raises NotFoundError naming the built-in ones
    return load_protocol(id_or_path)


def example_patients(registry_id: str) -> list[dict[str, Any]]:
    """The example patient records bundled for a built-in protocol (``examples/<registry id>.json``); an empty
    list when there are none."""
    path = resources.files(_PACKAGE).joinpath("examples", f"{registry_id.strip().upper()}.json")
    if not path.is_file():
        return []
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return records
