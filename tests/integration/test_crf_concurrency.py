"""Two first entries of the same form at the same visit cannot both be stored (the database's unique key on
participant, form and visit), however they race: one is saved, the others are refused, and the trail verifies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mexards.domain.errors import ConflictError, ValidationError
from mexards.persistence.audit import verify_audit
from mexards.persistence.database import Database
from mexards.persistence.visit import CRFRecordRow
from mexards.services.crf import save_crf
from tests.integration.trial_setup import (
    COORDINATOR,
    START,
    SteppingClock,
    enrolled_participants,
    open_database,
    phase2_trial,
    uow,
)

WRITERS = 8


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


def test_racing_first_entries_of_one_form_at_one_visit_store_exactly_one_record(db: Database) -> None:
    clock = SteppingClock()
    phase2_trial(db, clock)
    pid = enrolled_participants(db, clock, 1, ("MODERATE",))[0]
    measured = (START + timedelta(minutes=5)).isoformat()
    values = {"measured_at": measured, "support": "invasive", "pao2_mmhg": "80", "fio2_fraction": "0.5",
              "peep_cmh2o": "10"}
    start = threading.Barrier(WRITERS)
    outcomes: list[str] = []

    def writer() -> None:
        start.wait()
        try:
            save_crf(uow(db, clock), COORDINATOR, pid, "blood_gas", "d1", values)
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")
        except ValidationError as error:  # came second, saw the first: a change needs a reason
            outcomes.append(f"refused {error.field}")

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes.count("saved") == 1, outcomes
    assert len(outcomes) == WRITERS and set(outcomes) <= {"saved", "conflict", "refused reason"}, outcomes
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(CRFRecordRow)) == 1
        assert verify_audit(s) == []
