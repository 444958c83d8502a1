"""One query vocabulary for every dose-finding design.

The shape follows Brock's R package ``escalation`` (``R/interface.R``, ``R/selector_factory.R``): a design
holds parameters only; ``fit(outcomes)`` returns a ``Decision`` that answers the same questions whatever the
design (recommended dose, continue or not, patients and DLTs per dose, admissible doses, the MTD if the trial
stopped now, and why). Modifiers (``StopAtN``, ``DontSkipDoses``, ``StopWhenTooToxic``) wrap a parent design
and override one answer.

Conventions (documented in ``docs/dosefinding.md``):

- doses are 1-based integers, as in R;
- while the trial continues, ``recommended_dose`` is the dose for the next cohort;
- once a stopping rule fired (``should_continue`` False), ``recommended_dose`` is the final selection, equal
  to ``mtd`` (None when no dose is acceptable), as ``escalation``'s ``recommended_dose()`` after stopping;
- ``mtd`` is the dose the design would select if the trial stopped now (BOIN: ``select.mtd``; CRM: the dfcrm
  MTD rule; 3+3: the highest dose that has passed its rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from mexards.dosefinding.outcome import Cohort

DESIGN_NAMES: tuple[str, ...] = ("boin", "crm", "3+3", "3+3-deescalate")
"""The designs :func:`mexards.dosefinding.catalog.build_design` builds by name."""


@dataclass(frozen=True)
class Decision:
    """What a design says after the outcomes seen so far."""

    recommended_dose: int | None
    should_continue: bool
    stop_reason: str | None
    n_at_dose: tuple[int, ...]
    tox_at_dose: tuple[int, ...]
    empiric_tox_rate: tuple[float | None, ...]
    admissible_doses: tuple[int, ...]
    mtd: int | None
    reason: str
    details: Mapping[str, object] = field(default_factory=dict)

    @property
    def num_patients(self) -> int:
        """Total number of patients treated."""
        return sum(self.n_at_dose)

    @property
    def num_doses(self) -> int:
        """Number of dose levels of the design."""
        return len(self.n_at_dose)

    def as_dict(self) -> dict[str, object]:
        """The decision as plain JSON-ready data (tuples become lists)."""
        return {
            "recommended_dose": self.recommended_dose,
            "should_continue": self.should_continue,
            "stop_reason": self.stop_reason,
            "n_at_dose": list(self.n_at_dose),
            "tox_at_dose": list(self.tox_at_dose),
            "empiric_tox_rate": list(self.empiric_tox_rate),
            "admissible_doses": list(self.admissible_doses),
            "mtd": self.mtd,
            "reason": self.reason,
            "details": _plain(self.details),
        }


@runtime_checkable
class Design(Protocol):
    """A dose-finding design: parameters plus ``fit``."""

    @property
    def num_doses(self) -> int: ...

    @property
    def name(self) -> str: ...

    def fit(self, outcomes: str | Sequence[Cohort]) -> Decision: ...


def empiric_rates(n_at_dose: Sequence[int], tox_at_dose: Sequence[int]) -> tuple[float | None, ...]:
    """Observed DLT rate y/n per dose; None where no patient was treated."""
    return tuple(None if n == 0 else y / n for n, y in zip(n_at_dose, tox_at_dose, strict=True))


def rate_text(y: int, n: int) -> str:
    """``"2/6 = 0.33"``: a count and its proportion in two decimals."""
    return f"{y}/{n} = {y / n:.2f}" if n else f"{y}/{n}"


def dlt_text(y: int, n: int, dose: int) -> str:
    """``"2 DLTs in 6 at dose 2"``."""
    return f"{y} DLT{'' if y == 1 else 's'} in {n} at dose {dose}"


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value
