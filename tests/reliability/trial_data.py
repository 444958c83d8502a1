"""A small but complete trial database for the reliability tests: a Phase 2 trial with its sealed allocation
list, enrolled participants of three strata and some of them randomized, all through the real use cases."""

from __future__ import annotations

from mexards.domain.identifier import ParticipantId
from mexards.persistence.database import Database
from mexards.services.allocation import generate_allocation_list, randomize_participant
from tests.integration.trial_setup import (
    COORDINATOR,
    UNBLINDED_STATISTICIAN,
    SteppingClock,
    enrolled_participants,
    mexards_protocol,
    open_database,
    phase2_trial,
    uow,
)

LEVELS = ("MILD", "MODERATE", "SEVERE")


def populated_database(
    url: str, participants: int = 12, randomized: int = 6
) -> tuple[Database, SteppingClock]:
    """A database at the newest schema holding a recruiting Phase 2 trial, ``participants`` enrolled and the
    first ``randomized`` of them allocated."""
    db = open_database(url)
    clock = SteppingClock()
    phase2_trial(db, clock)
    generate_allocation_list(uow(db, clock), UNBLINDED_STATISTICIAN, mexards_protocol(), 12, seed=8)
    ids = enrolled_participants(db, clock, participants, LEVELS)
    for pid in ids[:randomized]:
        randomize_participant(uow(db, clock), COORDINATOR, ParticipantId(pid.value))
    return db, clock
