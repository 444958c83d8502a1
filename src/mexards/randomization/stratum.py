"""Strata: the cross-classification of stratification factors (e.g. Berlin severity x site).

ICH E9 2.3.2 recommends a separate random scheme for each centre in multicentre trials and stratification by
important baseline prognostic factors, kept to few factors (``edc-and-standards.md`` RND-3). Every stratum
has its own list, and all stratification values are required before allocation (OpenClinica #2284): a
missing value is a ValidationError naming the factor.

A stratum's key is ``factor=level`` pairs joined by ``|`` in the design's factor order
(``berlin_severity=moderate|site=S01``); a design without factors has the single stratum ``all``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mexards.domain.errors import ValidationError

_FACTOR_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_LEVEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
UNSTRATIFIED_KEY = "all"


@dataclass(frozen=True, slots=True)
class StratificationFactor:
    """A factor and its allowed levels, e.g. ``StratificationFactor("site", ("S01", "S02"))``."""

    name: str
    levels: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or _FACTOR_NAME.fullmatch(self.name) is None:
            raise ValidationError(
                "factors.name", "must be lower-case letters, digits or '_', starting with a letter", self.name
            )
        levels = tuple(self.levels) if not isinstance(self.levels, str) else ()
        if not levels:
            raise ValidationError(f"factors.{self.name}.levels", "at least one level is needed", self.levels)
        for level in levels:
            if not isinstance(level, str) or _LEVEL.fullmatch(level) is None:
                raise ValidationError(
                    f"factors.{self.name}.levels", "must be 1-40 letters, digits, '.', '_' or '-'", level
                )
        if len(set(levels)) != len(levels):
            raise ValidationError(f"factors.{self.name}.levels", "must not repeat a level", levels)
        object.__setattr__(self, "levels", levels)


@dataclass(frozen=True, slots=True, order=True)
class Stratum:
    """One combination of factor levels."""

    values: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        if not self.values:
            return UNSTRATIFIED_KEY
        return "|".join(f"{name}={level}" for name, level in self.values)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True, slots=True)
class StratificationDesign:
    """The stratification factors of one randomization (may be empty: a single stratum)."""

    factors: tuple[StratificationFactor, ...] = ()

    def __post_init__(self) -> None:
        factors = tuple(self.factors)
        if not all(isinstance(f, StratificationFactor) for f in factors):
            raise ValidationError("factors", "must be StratificationFactor items", factors)
        names = [f.name for f in factors]
        if len(set(names)) != len(names):
            raise ValidationError("factors", "factor names must be unique", names)
        object.__setattr__(self, "factors", factors)

    @classmethod
    def of(cls, factors: Mapping[str, Iterable[str]]) -> StratificationDesign:
        """Build from ``{"berlin_severity": ["mild", "moderate", "severe"], "site": ["S01"]}``."""
        return cls(tuple(StratificationFactor(name, tuple(levels)) for name, levels in factors.items()))

    @property
    def factor_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.factors)

    def strata(self) -> tuple[Stratum, ...]:
        """Every stratum, in factor order then level order."""
        combinations = itertools.product(*(f.levels for f in self.factors))
        return tuple(Stratum(tuple(zip(self.factor_names, combo, strict=True))) for combo in combinations)

    def stratum_for(self, values: Mapping[str, object]) -> Stratum:
        """The stratum of a participant's stratification values; every factor is required, no extras."""
        if not isinstance(values, Mapping):
            raise ValidationError("stratification", "must map each factor to its level", values)
        for factor in self.factors:
            value = values.get(factor.name)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ValidationError(factor.name, "is required for randomization", value)
            if value not in factor.levels:
                raise ValidationError(factor.name, f"must be one of {', '.join(factor.levels)}", value)
        extra = sorted(str(name) for name in values if name not in self.factor_names)
        if extra:
            raise ValidationError(
                extra[0], "is not a stratification factor of this randomization", values[extra[0]]
            )
        return Stratum(tuple((f.name, str(values[f.name])) for f in self.factors))

    def stratum_from_key(self, key: str) -> Stratum:
        """The stratum with canonical key ``key``; a ValidationError if there is none."""
        for stratum in self.strata():
            if stratum.key == key:
                return stratum
        raise ValidationError("stratum", "is not a stratum of this randomization", key)
