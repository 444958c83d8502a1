"""The protocol as data: identification, arms, interventions, dose levels, Phase 1/2 settings, schedule of
assessments, outcome measures and eligibility criteria, loaded from protocol files and checked at load.

Public API: :func:`load_protocol`, :func:`builtin_protocol`, :func:`list_builtin_protocols`,
:func:`protocol_summary`, :func:`dump_protocol`, :func:`protocol_schema`, and the dataclasses in
:mod:`mexards.protocol.model` and :mod:`mexards.protocol.criterion`. Format: ``docs/protocol-format.md``.
"""

from mexards.protocol.catalog import builtin_protocol, example_patients, list_builtin_protocols, resolve_protocol
from mexards.protocol.document import dump_protocol, to_document
from mexards.protocol.loader import load_protocol, protocol_from_document, protocol_schema
from mexards.protocol.model import Protocol
from mexards.protocol.summary import ProtocolSummary, protocol_summary

__all__ = [
    "Protocol",
    "ProtocolSummary",
    "builtin_protocol",
    "dump_protocol",
    "example_patients",
    "list_builtin_protocols",
    "load_protocol",
    "protocol_from_document",
    "protocol_schema",
    "protocol_summary",
    "resolve_protocol",
    "to_document",
]
