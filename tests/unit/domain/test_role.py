"""Who is blinded (edc-and-standards.md BLD-1; ICH E9 4.5 for the data monitoring committee, which sees
comparative data as aggregates by treatment group, never a participant's arm)."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.role import Actor, Role


def test_only_the_pharmacist_and_the_unblinded_statistician_are_unblinded_at_the_participant_level() -> None:
    unblinded = {role for role in Role if not role.is_blinded}
    assert unblinded == {Role.PHARMACIST, Role.UNBLINDED_STATISTICIAN}


def test_the_dsmb_sees_unblinded_aggregates_as_do_the_unblinded_roles() -> None:
    aggregates = {role for role in Role if role.sees_unblinded_aggregates}
    assert aggregates == {Role.PHARMACIST, Role.UNBLINDED_STATISTICIAN, Role.DSMB_MEMBER}
    assert Role.DSMB_MEMBER.is_blinded
    assert Actor(UserId("d"), Role.DSMB_MEMBER).sees_unblinded_aggregates


@pytest.mark.parametrize(
    "role",
    [
        Role.INVESTIGATOR,
        Role.PRINCIPAL_INVESTIGATOR,
        Role.COORDINATOR,
        Role.MONITOR,
        Role.STATISTICIAN,
        Role.DSMB_MEMBER,
    ],
)
def test_site_staff_monitors_and_the_trial_statistician_are_blinded(role: Role) -> None:
    assert role.is_blinded


def test_an_actor_covers_its_own_sites_and_trial_wide_roles_cover_all() -> None:
    s01, s02 = SiteId("S01"), SiteId("S02")
    coordinator = Actor(UserId("crc"), Role.COORDINATOR, frozenset({s01}))
    assert coordinator.covers_site(s01) and not coordinator.covers_site(s02)
    assert Actor(UserId("adm"), Role.ADMINISTRATOR).covers_site(s02)


def test_unknown_roles_and_malformed_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match="role"):
        Role.parse("sponsor")
    with pytest.raises(ValidationError, match="participant_id"):
        ParticipantId("has space")
    with pytest.raises(ValidationError, match=r"actor.site_ids"):
        Actor(UserId("u"), Role.COORDINATOR, "S01")  # type: ignore[arg-type]
