"""Identifiers: participant, site and user ids as small validated value objects.

Identifiers are opaque codes (letters, digits, ``.``, ``_``, ``-``; up to 64 characters, starting with a
letter or digit) so that they are safe in file names, URLs and CDISC USUBJID/SITEID values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mexards.domain.errors import ValidationError

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def checked_code(field: str, value: object) -> str:
    """Return ``value`` if it is a valid opaque code (used for every entity id); else a ValidationError."""
    if not isinstance(value, str) or _CODE.fullmatch(value) is None:
        raise ValidationError(
            field, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", value
        )
    return value


@dataclass(frozen=True, slots=True, order=True)
class ParticipantId:
    """The trial's participant identifier (CDISC SUBJID)."""

    value: str

    def __post_init__(self) -> None:
        checked_code("participant_id", self.value)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, order=True)
class SiteId:
    """A trial site (CDISC SITEID)."""

    value: str

    def __post_init__(self) -> None:
        checked_code("site_id", self.value)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, order=True)
class UserId:
    """A person's unique account id (21 CFR 11.100: signatures and accounts are unique to one person)."""

    value: str

    def __post_init__(self) -> None:
        checked_code("user_id", self.value)

    def __str__(self) -> str:
        return self.value
