"""A trial database ready for load: accounts, a recruiting Phase 2 with a large sealed list, and participants
already randomized (for CRF saves and dosing) or enrolled (for randomization), all through the use cases;
on request an API token for every coordinator, so that a load run need not spend its server's CPU on logins
before it starts.

Phase 2 is stored directly, as an administration script would do after the MTD was declared (the whole Phase 1
path is covered by the API and integration tests); everything after that goes through the services, so the
audit trail is complete and ``mexards audit verify`` passes on the prepared database.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mexards.api.app import build_container
from mexards.api.password import Argon2PasswordHasher
from mexards.config import Settings
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import ConsentSigner
from mexards.domain.role import Actor, Role
from mexards.domain.trial import Trial, TrialPhase, TrialStatus
from mexards.protocol.catalog import builtin_protocol, example_patients
from mexards.services import account, allocation, participant
from mexards.services.account import SessionKind

PROTOCOL_ID = "NCT04602104"
PASSWORD = "Load-Test-Passphrase-42"
SITES = ("S01", "S02", "S03", "S04", "S05")
MTD_PARTICLES = 1_600_000_000
"""The highest MEXARDS dose level (16 x 10^8 particles), taken as the MTD for Phase 2."""


def screening_record(screening_at: datetime | None = None) -> dict[str, Any]:
    """The bundled eligible reference patient MX-001 (moderate ARDS) screened at ``screening_at``."""
    record = copy.deepcopy(example_patients(PROTOCOL_ID)[0])
    record.pop("patient_id", None)
    record.pop("notes", None)
    record["screening_at"] = (screening_at or datetime.now(UTC)).isoformat()
    return record


@dataclass
class PreparedTrial:
    """What the prepared database holds for the virtual users."""

    database_url: str
    password: str
    coordinators: dict[str, str] = field(default_factory=dict)
    """Coordinator user id -> site."""
    randomized: dict[str, list[str]] = field(default_factory=dict)
    """Coordinator -> participants randomized at their site (ready for dosing and CRFs)."""
    enrolled: dict[str, list[str]] = field(default_factory=dict)
    """Coordinator -> participants enrolled, not yet randomized."""
    pharmacist: str = "pharm1"
    monitor: str = "mon1"
    tokens: dict[str, str] = field(default_factory=dict)
    """Coordinator -> API token (bearer), when the preparation logged them in."""


def prepare_trial(
    database_url: str,
    *,
    coordinators: int = 8,
    randomized_each: int = 2,
    enrolled_each: int = 0,
    slots_per_stratum: int = 2000,
    seed: int = 20251125,
    hasher_time_cost: int = 3,
    issue_tokens: bool = False,
) -> PreparedTrial:
    """Fill an empty database (schema created here) with a Phase 2 trial and its people; ``issue_tokens``: log
    every coordinator in (the login use case, audited like any other) and keep their API tokens."""
    settings = Settings(environment="test", database_url=database_url)
    container = build_container(settings, hasher=Argon2PasswordHasher(time_cost=hasher_time_cost))
    protocol = builtin_protocol(PROTOCOL_ID)
    prepared = PreparedTrial(database_url, PASSWORD)
    try:
        admin = account.ensure_administrator(container.account_unit_of_work(), container.hasher, PASSWORD)
        if admin is None:
            raise RuntimeError("the database already has accounts: prepare an empty one")
        people: list[tuple[str, Role, list[str]]] = [
            ("ustat1", Role.UNBLINDED_STATISTICIAN, []),
            (prepared.pharmacist, Role.PHARMACIST, list(SITES)),
            (prepared.monitor, Role.MONITOR, list(SITES)),
            ("stat1", Role.STATISTICIAN, []),
        ]
        for n in range(1, coordinators + 1):
            user_id, site = f"coord{n:02d}", SITES[(n - 1) % len(SITES)]
            prepared.coordinators[user_id] = site
            people.append((user_id, Role.COORDINATOR, [site]))
        for user_id, role, sites in people:
            name = f"{role.value.replace('_', ' ').title()} {user_id}"
            account.create_user(
                container.account_unit_of_work(),
                container.hasher,
                admin.actor,
                user_id,
                name,
                role,
                sites,
                PASSWORD,
            )
        with container.unit_of_work() as uow:
            uow.actor = admin.actor
            phase2 = Trial(
                PROTOCOL_ID,
                "1.0",
                phase=TrialPhase.PHASE2,
                status=TrialStatus.RECRUITING,
                mtd_dose_particles=MTD_PARTICLES,
                mtd_declaration_id="MTD-prepared",
                status_changed_at=container.clock.now(),
            )
            uow.trial.add(phase2)
            uow.commit()
        statistician = Actor(UserId("ustat1"), Role.UNBLINDED_STATISTICIAN, frozenset())
        allocation.generate_allocation_list(
            container.unit_of_work(), statistician, protocol, slots_per_stratum, seed
        )
        for user_id, site in prepared.coordinators.items():
            actor = Actor(UserId(user_id), Role.COORDINATOR, frozenset({SiteId(site)}))
            prepared.randomized[user_id], prepared.enrolled[user_id] = [], []
            for k in range(randomized_each + enrolled_each):
                pid = ParticipantId(f"{user_id.upper()}-P{k:03d}")
                participant.screen_patient(
                    container.unit_of_work(), actor, protocol, pid, SiteId(site), screening_record()
                )
                participant.record_consent(
                    container.unit_of_work(), actor, pid, ConsentSigner.SUBJECT, "v2.0", container.clock.now()
                )
                participant.enrol_participant(container.unit_of_work(), actor, pid)
                if k < randomized_each:
                    allocation.randomize_participant(container.unit_of_work(), actor, pid)
                    prepared.randomized[user_id].append(pid.value)
                else:
                    prepared.enrolled[user_id].append(pid.value)
        if issue_tokens:
            for user_id in prepared.coordinators:
                issued = account.login(
                    container.account_unit_of_work(), container.hasher, user_id, PASSWORD, SessionKind.API
                )
                prepared.tokens[user_id] = issued.token
    finally:
        container.close()
    return prepared
