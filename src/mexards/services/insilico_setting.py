"""What an in-silico trial is set up with: the simulated clock of the services, the cast of users (one per
role) and the Phase 1 design to run (the protocol's, or another of the dose-finding catalogue)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mexards.domain.errors import ValidationError
from mexards.domain.identifier import SiteId, UserId
from mexards.domain.role import Actor, Role
from mexards.protocol.model import DesignSpec, Protocol
from mexards.services.escalation import phase1_of
from mexards.simulation.ards_patient import DEFAULT_START

DEMO_START = DEFAULT_START
"""The trial calendar starts here (fixed, so that a run is reproducible from its seed)."""

DESIGNS = {"3+3": "3+3", "boin": "BOIN", "crm": "CRM"}
"""``--design`` names and the protocol file's design names."""


class SimulatedClock:
    """The services' clock in the simulation: it only moves forward, to the time of the next event."""

    def __init__(self, start: datetime = DEMO_START) -> None:
        if start.tzinfo is None:
            raise ValidationError("start", "must include a time zone", start)
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def move_to(self, moment: datetime) -> datetime:
        """Move to ``moment`` unless it is in the past; return the time now."""
        self._now = max(self._now, moment)
        return self._now


@dataclass(frozen=True)
class Cast:
    """The users of the trial, one per role; site staff and the pharmacist work at the site."""

    site_id: SiteId
    administrator: Actor
    principal_investigator: Actor
    investigator: Actor
    coordinator: Actor
    pharmacist: Actor
    statistician: Actor
    unblinded_statistician: Actor
    monitor: Actor
    printed_names: dict[str, str]

    @classmethod
    def for_site(cls, site_id: SiteId = SiteId("S01"), prefix: str = "demo") -> Cast:
        """The demo users: ``demo-admin``, ``demo-pi``, ``demo-investigator``, ... (printed names to match)."""
        people = {
            "administrator": ("admin", Role.ADMINISTRATOR, "Ada Admin"),
            "principal_investigator": ("pi", Role.PRINCIPAL_INVESTIGATOR, "Dr Pia Principal"),
            "investigator": ("investigator", Role.INVESTIGATOR, "Dr Ivan Investigator"),
            "coordinator": ("coordinator", Role.COORDINATOR, "Cora Coordinator"),
            "pharmacist": ("pharmacist", Role.PHARMACIST, "Phil Pharmacist"),
            "statistician": ("statistician", Role.STATISTICIAN, "Stella Statistician"),
            "unblinded_statistician": ("unblinded-statistician", Role.UNBLINDED_STATISTICIAN, "Uma Unblinded"),
            "monitor": ("monitor", Role.MONITOR, "Mo Monitor"),
        }
        actors: dict[str, Any] = {}
        names: dict[str, str] = {}
        for attribute, (suffix, role, printed) in people.items():
            user_id = UserId(f"{prefix}-{suffix}")
            sites = frozenset() if role.is_trial_wide else frozenset({site_id})
            actors[attribute] = Actor(user_id, role, sites)
            names[user_id.value] = printed
        return cls(site_id=site_id, printed_names=names, **actors)

    @property
    def actors(self) -> tuple[Actor, ...]:
        return (self.administrator, self.principal_investigator, self.investigator, self.coordinator,
                self.pharmacist, self.statistician, self.unblinded_statistician, self.monitor)


def with_design(protocol: Protocol, design: str | None, target: float | None = None) -> Protocol:
    """The protocol with its Phase 1 design replaced by ``design`` (``3+3``, ``boin`` or ``crm``; None keeps
    the protocol's). BOIN and CRM need a target DLT rate: ``target``, else the protocol's."""
    if design is None:
        return protocol
    name = DESIGNS.get(design.strip().lower())
    if name is None:
        raise ValidationError("design", "must be one of: " + ", ".join(DESIGNS), design)
    phase1 = phase1_of(protocol)
    if name == phase1.design.name:
        return protocol
    chosen = target if target is not None else phase1.design.target
    if name != "3+3" and chosen is None:
        raise ValidationError("target", f"is required for the {name} design")
    spec = DesignSpec(name, None if name == "3+3" else Decimal(str(chosen)), {}, assumed=True)
    return replace(protocol, phase1=replace(phase1, design=spec))
