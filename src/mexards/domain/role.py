"""Roles and actors, with who is blinded.

Blinding follows ``edc-and-standards.md`` BLD-1 (ICH E6(R3) 4.1.2-4.1.3): the pharmacist and the unblinded
statistician are unblinded; investigators, site staff, monitors, the trial statistician and sponsor
operations staff (including administrators) are blinded. The independent data monitoring committee reviews
comparative data unblinded in closed session (ICH E9 4.5; ICH E6(R3) 3.16.1(r)), as aggregates by treatment
group: ``dsmb_member`` is blinded at the participant level (no participant's arm, no kit -> arm mapping, no
participant-level unblinded data) and sees unblinded aggregates only (``sees_unblinded_aggregates``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from mexards.domain.errors import ValidationError
from mexards.domain.identifier import SiteId, UserId
from mexards.domain.validation import enum_member


class Role(StrEnum):
    """What a person does in the trial."""

    ADMINISTRATOR = "administrator"
    PRINCIPAL_INVESTIGATOR = "principal_investigator"
    INVESTIGATOR = "investigator"
    COORDINATOR = "coordinator"
    PHARMACIST = "pharmacist"
    MONITOR = "monitor"
    STATISTICIAN = "statistician"
    UNBLINDED_STATISTICIAN = "unblinded_statistician"
    DSMB_MEMBER = "dsmb_member"

    @property
    def is_blinded(self) -> bool:
        """True if this role must never see a Phase 2 participant's treatment assignment (BLD-1)."""
        return self not in _UNBLINDED

    @property
    def sees_unblinded_aggregates(self) -> bool:
        """True if this role may see results aggregated by treatment group (arm-level counts and tables):
        the unblinded roles, and the DSMB, which sees nothing unblinded below the arm level (ICH E9 4.5)."""
        return self in _UNBLINDED or self is Role.DSMB_MEMBER

    @property
    def is_trial_wide(self) -> bool:
        """True if the role works across all sites rather than at its own sites."""
        return self in _TRIAL_WIDE

    @property
    def is_investigator(self) -> bool:
        """True for the roles that confirm clinical judgements (DLT, relatedness, emergency unblinding)."""
        return self in (Role.PRINCIPAL_INVESTIGATOR, Role.INVESTIGATOR)

    @classmethod
    def parse(cls, value: object) -> Role:
        return enum_member(cls, "role", value)


_UNBLINDED = frozenset({Role.PHARMACIST, Role.UNBLINDED_STATISTICIAN})
_TRIAL_WIDE = frozenset(
    {Role.ADMINISTRATOR, Role.STATISTICIAN, Role.UNBLINDED_STATISTICIAN, Role.DSMB_MEMBER}
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is doing something: a user, their role and the sites they work at."""

    user_id: UserId
    role: Role
    site_ids: frozenset[SiteId] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, UserId):
            raise ValidationError("actor.user_id", "must be a UserId", self.user_id)
        object.__setattr__(self, "role", Role.parse(self.role))
        sites = self.site_ids
        if isinstance(sites, str | SiteId) or not isinstance(sites, Iterable):
            raise ValidationError("actor.site_ids", "must be a collection of SiteId", sites)
        sites = frozenset(sites)
        if not all(isinstance(site, SiteId) for site in sites):
            raise ValidationError("actor.site_ids", "must be a collection of SiteId", self.site_ids)
        object.__setattr__(self, "site_ids", sites)

    @property
    def is_blinded(self) -> bool:
        return self.role.is_blinded

    @property
    def sees_unblinded_aggregates(self) -> bool:
        return self.role.sees_unblinded_aggregates

    def covers_site(self, site_id: SiteId) -> bool:
        """True if the actor may work on records of ``site_id``."""
        return self.role.is_trial_wide or site_id in self.site_ids
