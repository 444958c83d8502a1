"""Shared set-up for the integration tests: a database at the newest schema, a controllable UTC clock,
actors, the MEXARDS protocol and an eligible reference patient, and a trial moved to Phase 2 directly.

Phase 2 set-up writes the trial through the trial repository in one audited unit of work (as an
administration script would) instead of running a whole Phase 1, which other tests cover.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import Consent, ConsentSigner, Participant
from mexards.domain.role import Actor, Role
from mexards.domain.trial import Trial, TrialPhase, TrialStatus
from mexards.persistence.database import Database
from mexards.persistence.migration import upgrade
from mexards.persistence.unit_of_work import SqlUnitOfWork
from mexards.protocol.catalog import builtin_protocol
from mexards.protocol.model import Protocol
from mexards.services.record import ScreeningLogEntry

START = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)
SITE = SiteId("S01")
PROTOCOL_ID = "NCT04602104"
MTD_PARTICLES = 1_600_000_000


class SteppingClock:
    """A UTC clock that moves one second forward each time it is read, and can be moved on (thread safe)."""

    def __init__(self, start: datetime = START) -> None:
        self._current = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            self._current += timedelta(seconds=1)
            return self._current

    def move_to(self, moment: datetime) -> None:
        with self._lock:
            self._current = max(self._current, moment)


def actor(user: str, role: Role, site: SiteId | None = SITE) -> Actor:
    sites = frozenset() if role.is_trial_wide or site is None else frozenset({site})
    return Actor(UserId(user), role, sites)


ADMIN = actor("admin1", Role.ADMINISTRATOR)
COORDINATOR = actor("coord1", Role.COORDINATOR)
INVESTIGATOR = actor("inv1", Role.INVESTIGATOR)
UNBLINDED_STATISTICIAN = actor("ustat1", Role.UNBLINDED_STATISTICIAN)


def open_database(url: str) -> Database:
    """A database at the newest migration (the way ``mexards db upgrade`` leaves it)."""
    db = Database(url)
    upgrade(db.engine)
    return db


def uow(db: Database, clock: Any) -> SqlUnitOfWork:
    return db.unit_of_work_factory(clock)()


def mexards_protocol() -> Protocol:
    return builtin_protocol(PROTOCOL_ID)


def reference_patient(index: int = 0) -> dict[str, Any]:
    """A bundled example screening record of NCT04602104 (index 0 is the eligible reference patient)."""
    text = resources.files("mexards.protocol").joinpath("examples", f"{PROTOCOL_ID}.json").read_text()
    return dict(json.loads(text)[index])


def phase2_trial(db: Database, clock: Any) -> Trial:
    """Store a trial that is recruiting in Phase 2 at an MTD of 16.0e8 particles."""
    trial = Trial(
        PROTOCOL_ID,
        "1.0",
        phase=TrialPhase.PHASE2,
        status=TrialStatus.RECRUITING,
        mtd_dose_particles=MTD_PARTICLES,
        mtd_declaration_id="MTD-setup",
        status_changed_at=clock.now(),
    )
    with uow(db, clock) as u:
        u.actor = ADMIN
        u.trial.add(trial)
        u.commit()
    return trial


def enrolled_participants(db: Database, clock: Any, count: int, levels: tuple[str, ...]) -> list[ParticipantId]:
    """``count`` enrolled participants with screening-log stratification values cycling through ``levels``."""
    ids = [ParticipantId(f"P{n:04d}") for n in range(1, count + 1)]
    with uow(db, clock) as u:
        u.actor = COORDINATOR
        for n, pid in enumerate(ids):
            at = clock.now()
            participant, _ = Participant.screen(pid, SITE, at)
            participant.confirm_eligibility(at)
            participant.give_consent(Consent(ConsentSigner.SUBJECT, "v1.0", at))
            participant.enrol(at)
            u.participants.add(participant)
            u.screening_log.add(
                ScreeningLogEntry(
                    pid, SITE, at, COORDINATOR.user_id, PROTOCOL_ID, "1.0", "ELIGIBLE", (),
                    {"berlin_severity": levels[n % len(levels)]},
                )
            )  # fmt: skip
        u.commit()
    return ids


def randomize_in_threads(url: str, participant_ids: list[str], threads: int) -> list[str]:
    """One client process: ``threads`` threads randomize the given participants through the use case, each
    with its own unit of work per call. Returns the ids randomized (errors propagate to the caller)."""
    from concurrent.futures import ThreadPoolExecutor

    from mexards.persistence.unit_of_work import UTCClock
    from mexards.services.allocation import randomize_participant

    db = Database(url)
    factory = db.unit_of_work_factory(UTCClock())
    chunks = [participant_ids[i::threads] for i in range(threads)]

    def run(chunk: list[str]) -> list[str]:
        for pid in chunk:
            randomize_participant(factory(), COORDINATOR, ParticipantId(pid))
        return chunk

    try:
        with ThreadPoolExecutor(threads) as pool:
            return [pid for done in pool.map(run, chunks) for pid in done]
    finally:
        db.dispose()
