"""Electronic signatures bound to the content they sign.

21 CFR Part 11 (``edc-and-standards.md`` 2.3): a signature shows the signer's printed name, the date and time
and its meaning (11.50, ESG-1), and is linked to its record so that it cannot be copied or excised, and any
change to the signed data visibly invalidates it (11.70, ESG-2). The link here is the SHA-256 of the canonical
JSON of the signed content: keys sorted, no insignificant whitespace, UTF-8, datetimes as ISO 8601 UTC,
Decimals and Fractions as exact text, enums by value, dataclasses as their fields. Authentication (ID and
password, 11.200) is done by the caller before a signature is created.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from fractions import Fraction
from typing import Any

from mexards.domain.errors import ValidationError
from mexards.domain.identifier import UserId
from mexards.domain.role import Role
from mexards.domain.validation import enum_member, required_text, utc_datetime

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]


def canonical_value(value: Any) -> JSONValue:
    """Turn ``value`` into plain JSON data deterministically; refuses types with no canonical form."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return canonical_value(value.value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError("content", "must not contain NaN or infinity", value)
        return value
    if isinstance(value, datetime):
        return utc_datetime("content", value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in dataclasses.fields(value)]
        if names == ["value"]:
            return canonical_value(getattr(value, names[0]))  # identifiers and study days are plain values
        return {f.name: canonical_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        keys = [str(key.value) if isinstance(key, Enum) else key for key in value]
        if not all(isinstance(key, str) for key in keys):
            raise ValidationError("content", "mapping keys must be text", value)
        if len(set(keys)) != len(keys):
            raise ValidationError("content", "mapping keys must be unique as text", value)
        return {str(k): canonical_value(v) for k, v in zip(keys, value.values(), strict=True)}
    if isinstance(value, list | tuple):
        return [canonical_value(item) for item in value]
    if isinstance(value, set | frozenset):
        items = [canonical_value(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if hasattr(value, "value") and isinstance(value.value, str | int):
        return canonical_value(value.value)
    raise ValidationError("content", f"has no canonical form for {type(value).__name__}", value)


def canonical_json(content: Any) -> str:
    """The canonical JSON text of ``content`` (sorted keys, compact separators, non-ASCII kept)."""
    return json.dumps(
        canonical_value(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_sha256(content: Any) -> str:
    """Lower-case hex SHA-256 of the UTF-8 canonical JSON of ``content``."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


class SignatureMeaning(StrEnum):
    """What the signer means by signing (21 CFR 11.50(a)(3))."""

    AUTHORSHIP = "authorship"
    REVIEW = "review"
    APPROVAL = "approval"
    RESPONSIBILITY = "responsibility"


@dataclass(frozen=True, slots=True)
class ElectronicSignature:
    """Who signed, in which role, with which meaning, when, and the hash of exactly what was signed."""

    signer: UserId
    printed_name: str
    role: Role
    meaning: SignatureMeaning
    signed_at: datetime
    content_sha256: str

    def __post_init__(self) -> None:
        if not isinstance(self.signer, UserId):
            raise ValidationError("signature.signer", "must be a UserId", self.signer)
        object.__setattr__(
            self, "printed_name", required_text("signature.printed_name", self.printed_name, 200)
        )
        object.__setattr__(self, "role", Role.parse(self.role))
        object.__setattr__(self, "meaning", enum_member(SignatureMeaning, "signature.meaning", self.meaning))
        object.__setattr__(self, "signed_at", utc_datetime("signature.signed_at", self.signed_at))
        digest = self.content_sha256
        if (
            not isinstance(digest, str)
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise ValidationError("signature.content_sha256", "must be 64 lower-case hex digits", digest)

    @classmethod
    def sign(
        cls,
        content: Any,
        *,
        signer: UserId,
        printed_name: str,
        role: Role,
        meaning: SignatureMeaning,
        signed_at: datetime,
    ) -> ElectronicSignature:
        """Sign ``content`` (hashing its canonical JSON now)."""
        return cls(signer, printed_name, role, meaning, signed_at, content_sha256(content))

    def verifies(self, content: Any) -> bool:
        """True if ``content`` is still exactly what was signed."""
        return hmac.compare_digest(self.content_sha256, content_sha256(content))

    def manifestation(self) -> str:
        """The human-readable signature line shown with the record (11.50: name, date and time, meaning)."""
        return (
            f"Signed by {self.printed_name} ({self.role.value}) on {self.signed_at.isoformat()} "
            f"- meaning: {self.meaning.value}"
        )
