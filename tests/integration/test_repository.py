"""Every entity survives the trip domain -> row -> domain unchanged, on SQLite and PostgreSQL; the migrated
schema equals the row classes; the SQL unit of work satisfies the services' port (checked structurally)."""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from mexards.domain.administration import Administration
from mexards.domain.adverse_event import AdverseEvent
from mexards.domain.cohort import Cohort, DLTAdjudication
from mexards.domain.dose import DoseLevel
from mexards.domain.errors import ConflictError, NotFoundError, ValidationError
from mexards.domain.identifier import ParticipantId, UserId
from mexards.domain.mtd import DoseLevelEvidence, MTDDeclaration
from mexards.domain.query import Query
from mexards.domain.role import Role
from mexards.domain.signature import SignatureMeaning
from mexards.domain.unblinding import Unblinding
from mexards.domain.visit import Visit, VisitWindow
from mexards.persistence.audit import AuditRow, verify_audit
from mexards.persistence.database import Database
from mexards.persistence.migration import schema_differences
from mexards.persistence.visit import CRFRecordRow
from mexards.services import port
from mexards.services.record import CRFRecord, DoseDecision, Notification
from tests.integration.trial_setup import (
    COORDINATOR,
    INVESTIGATOR,
    SITE,
    SteppingClock,
    actor,
    enrolled_participants,
    open_database,
    phase2_trial,
    uow,
)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


def _fields(value: object) -> dict[str, object]:
    return {k: v for k, v in vars(value).items() if not k.startswith("_")} if hasattr(value, "__dict__") else {}


def test_the_migrated_schema_has_no_difference_from_the_row_classes(db: Database) -> None:
    assert schema_differences(db.engine) == []


def test_every_entity_reads_back_equal_to_what_was_written_and_the_trail_verifies(db: Database) -> None:
    clock = SteppingClock()
    phase2_trial(db, clock)
    [pid] = enrolled_participants(db, clock, 1, ("SEVERE",))
    at = clock.now()
    level = DoseLevel(3, 1_600_000_000)
    cohort = Cohort(1, level, at, capacity=3, participant_ids=[pid])
    adjudication = DLTAdjudication("ADJ-1", pid, 1, True, "grade 3 related", at, ("AE-1",))
    declaration = MTDDeclaration(
        "MTD-1", "NCT04602104", "1.0", level, "3+3", (DoseLevelEvidence(level, 6, 1),), "one DLT in six",
        UserId("stat1"), at,
    )  # fmt: skip
    declaration.sign(
        signer=UserId("stat1"), printed_name="A. Stat", role=Role.STATISTICIAN,
        meaning=SignatureMeaning.AUTHORSHIP, signed_at=at,
    )  # fmt: skip
    items = {
        "cohort": cohort,
        "adjudication": adjudication,
        "declaration": declaration,
        "visit": Visit("V-1", pid, "D14", 14, VisitWindow(1, 1)),
        "administration": Administration(
            "ADM-1",
            pid,
            1,
            "given",
            at,
            at + timedelta(minutes=20),
            None,
            "ABCD-EFGH-JKMN",
            Decimal("3.50"),
            "vibrating mesh",
            93,
            95,
            "tolerated",
        ),
        "adverse_event": AdverseEvent(
            "AE-1", pid, "bronchospasm", 3, at, at, "possible", "unexpected", {"hospitalisation"}
        ),
        "query": Query.open("Q-1", pid, SITE, "vitals.spo2", "Please confirm", actor("mon1", Role.MONITOR), at)[0],
        "unblinding": Unblinding("UNB-1", pid, "emergency", "anaphylaxis", INVESTIGATOR, at),
        "crf": CRFRecord(
            "CRF-1",
            pid,
            "vitals",
            "1",
            "D1",
            {"spo2": 95, "temp": "37.2"},
            {"temp": "Cel"},
            {"pf_ratio": 160},
            COORDINATOR.user_id,
            at,
        ),
        "notification": Notification(
            "NTF-1", "serious_adverse_event", "SAE", "text", at, UserId("inv1"), ("sponsor",), pid
        ),
        "decision": DoseDecision(1, 3, 2, "3+3", "escalate", UserId("inv1"), at, "clinical judgement"),
    }
    with uow(db, clock) as u:
        u.actor = INVESTIGATOR
        u.cohorts.add(cohort)
        u.dose_decisions.add(items["decision"])  # type: ignore[arg-type]
        u.dlt_adjudications.add(adjudication)
        u.mtd_declarations.add(declaration)
        u.visits.add(items["visit"])  # type: ignore[arg-type]
        u.administrations.add(items["administration"])  # type: ignore[arg-type]
        u.adverse_events.add(items["adverse_event"])  # type: ignore[arg-type]
        u.queries.add(items["query"])  # type: ignore[arg-type]
        u.unblindings.add(items["unblinding"])  # type: ignore[arg-type]
        u.crf_records.add(items["crf"])  # type: ignore[arg-type]
        u.notifications.notify(items["notification"])  # type: ignore[arg-type]
        u.commit()
    with uow(db, clock) as u:
        read = {
            "cohort": u.cohorts.get(1),
            "adjudication": u.dlt_adjudications.get("ADJ-1"),
            "declaration": u.mtd_declarations.get("MTD-1"),
            "visit": u.visits.get("V-1"),
            "administration": u.administrations.list(pid)[0],
            "adverse_event": u.adverse_events.get("AE-1"),
            "query": u.queries.get("Q-1"),
            "unblinding": u.unblindings.list(pid)[0],
            "crf": u.crf_records.get("CRF-1"),
            "notification": u.notifications.list(pid)[0],
            "decision": u.dose_decisions.list()[0],
        }
    for name, written in items.items():
        got = read[name]
        assert (_fields(got) or got) == (_fields(written) or written), name
    assert read["declaration"].signatures_verify()  # type: ignore[union-attr]
    assert read["administration"].volume_ml == Decimal("3.50")  # type: ignore[union-attr]
    with db.sessions() as s:
        assert verify_audit(s) == []


def test_keys_are_unique_lookups_of_missing_records_fail_and_changes_need_an_actor(db: Database) -> None:
    clock = SteppingClock()
    phase2_trial(db, clock)
    [pid] = enrolled_participants(db, clock, 1, ("MILD",))
    with uow(db, clock) as u:
        u.actor = COORDINATOR
        with pytest.raises(ConflictError):
            u.participants.add(u.participants.get(pid))
    with uow(db, clock) as u, pytest.raises(NotFoundError):
        u.participants.get(ParticipantId("NOPE"))
    with uow(db, clock) as u:
        participant = u.participants.get(pid)
        participant.withdraw("moved abroad", clock.now())
        u.participants.update(participant)
        with pytest.raises(ValidationError) as error:
            u.commit()
    assert error.value.field == "actor"


def test_a_look_up_sees_the_changes_its_unit_of_work_has_not_written_yet(db: Database) -> None:
    """Look-ups read plain rows unless the unit of work holds rows of that kind: a change not yet written (an
    update waits for its reason) is what a later look-up in the same unit of work returns."""
    clock = SteppingClock()
    phase2_trial(db, clock)
    [pid] = enrolled_participants(db, clock, 1, ("MILD",))
    with uow(db, clock) as u:
        u.actor = COORDINATOR
        participant = u.participants.get(pid)
        participant.withdraw("moved abroad", clock.now())
        u.participants.update(participant)
        seen = u.participants.find(pid)
        assert seen is not None and seen.state is participant.state
        assert u.trial.find() is not None
    with uow(db, clock) as u:
        stored = u.participants.find(pid)
        assert stored is not None and stored.state is not participant.state  # the first was not committed


def test_a_new_record_is_written_at_once_audited_as_a_flush_would_and_read_and_changed_in_the_same_unit_of_work(
    db: Database,
) -> None:
    """A new row is inserted by one statement (not held by the ORM): later look-ups, a change with its reason and
    a second insert of its key behave as if it had been flushed, and its audit entry is the flush's."""
    clock = SteppingClock()
    phase2_trial(db, clock)
    [pid] = enrolled_participants(db, clock, 1, ("MILD",))
    record = CRFRecord("CRF-9", pid, "vitals", "1", "D2", {"spo2": 91}, {}, {}, COORDINATOR.user_id, clock.now())
    with uow(db, clock) as u:
        u.actor = COORDINATOR
        u.crf_records.add(record)
        assert not u.session.new and not u.session.identity_map  # written, not waiting for a flush
        found, got = u.crf_records.find(pid, "vitals", "D2"), u.crf_records.get("CRF-9")
        assert _fields(found) == _fields(record) == _fields(got)
        changed = dataclasses.replace(record, values={"spo2": 93}, version=2, changed_by=COORDINATOR.user_id,
                                      changed_at=clock.now(), change_reason="transcription error")  # fmt: skip
        u.reason = "transcription error"
        u.crf_records.update(changed)
        u.commit()
    with uow(db, clock) as u:
        u.actor = COORDINATOR
        assert _fields(u.crf_records.get("CRF-9")) == _fields(changed)
        with pytest.raises(ConflictError, match="CRF record CRF-9"):
            u.crf_records.add(record)
    with uow(db, clock) as u:  # a change still waiting for its reason: the new row waits with it, then both land
        u.actor = COORDINATOR
        participant = u.participants.get(pid)
        participant.withdraw("moved abroad", clock.now())
        u.participants.update(participant)
        u.crf_records.add(dataclasses.replace(record, record_id="CRF-10", visit_code="D3"))
        assert len(u.session.new) == 1
        u.reason = "withdrawal"
        u.commit()
    with db.sessions() as s:
        entries = s.execute(
            select(AuditRow.action, AuditRow.changes).where(AuditRow.entity == "crf_record").order_by(AuditRow.seq)
        ).all()
        assert verify_audit(s) == []
    assert [action for action, _ in entries] == ["insert", "update", "insert"]
    inserted = json.loads(entries[0][1])
    assert inserted["record_id"] == [None, "CRF-9"] and inserted["values"] == [None, '{"spo2":91}']
    assert inserted.keys() == json.loads(entries[2][1]).keys() == {c.key for c in CRFRecordRow.__table__.columns}
    update = json.loads(entries[1][1])
    assert update.pop("changed_at")[0] is None
    assert update == {"values": ['{"spo2":91}', '{"spo2":93}'], "version": [1, 2], "changed_by": [None, "coord1"],
                      "change_reason": [None, "transcription error"]}  # fmt: skip


def test_the_sql_unit_of_work_provides_every_repository_method_of_the_port(db: Database) -> None:
    with uow(db, SteppingClock()) as u:
        for name, annotation in inspect.get_annotations(port.UnitOfWork).items():
            proto = getattr(port, annotation, None) if isinstance(annotation, str) else annotation
            if not (inspect.isclass(proto) and getattr(proto, "_is_protocol", False)):
                continue
            implementation = getattr(u, name)
            for method in [m for m in vars(proto) if not m.startswith("_") and callable(getattr(proto, m))]:
                wanted = list(inspect.signature(getattr(proto, method)).parameters)[1:]
                assert list(inspect.signature(getattr(implementation, method)).parameters) == wanted, (name, method)
