"""Hypothesis: every mutation made through the SQL unit of work yields its audit entries, and nothing else.

Random sequences of use-case-sized changes (screen, move along the lifecycle, record and resolve adverse
events, schedule and record visits), each committed or abandoned at random, run on a real SQLite file. After
each step: a committed step added audit entries naming every row it changed; an abandoned one added none and
left no data; the replayed trail equals the tables (``verify_audit`` finds nothing).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mexards.domain.adverse_event import AdverseEvent
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import Consent, ConsentSigner, Participant, ParticipantState
from mexards.domain.role import Actor, Role
from mexards.domain.study_day import StudyDay
from mexards.domain.visit import Visit, VisitWindow
from mexards.persistence.audit import AuditRow, verify_audit
from mexards.persistence.database import Database
from mexards.persistence.migration import upgrade
from mexards.persistence.unit_of_work import SqlUnitOfWork

SITE = SiteId("S01")
ACTOR = Actor(UserId("coord1"), Role.COORDINATOR, frozenset({SITE}))


class Clock:
    def __init__(self) -> None:
        self.current = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(minutes=1)
        return self.current


def _screen(u: SqlUnitOfWork, n: int, clock: Clock) -> set[tuple[str, str]]:
    pid = ParticipantId(f"P{n:03d}")
    if u.participants.find(pid) is not None:
        return set()
    participant, event = Participant.screen(pid, SITE, clock.now())
    u.participants.add(participant)
    u.events.append(event)
    return {("participant", pid.value)}


def _advance(u: SqlUnitOfWork, n: int, clock: Clock) -> set[tuple[str, str]]:
    candidates = [p for p in u.participants.list() if not p.state.is_terminal]
    if not candidates:
        return set()
    participant = candidates[n % len(candidates)]
    at = clock.now()
    steps: dict[ParticipantState, Any] = {
        ParticipantState.SCREENED: lambda: participant.confirm_eligibility(at),
        ParticipantState.ELIGIBLE: lambda: participant.give_consent(Consent(ConsentSigner.SUBJECT, "v1", at)),
        ParticipantState.CONSENTED: lambda: participant.enrol(at),
    }
    step = steps.get(participant.state, lambda: participant.withdraw("family request", at))
    event = step()
    u.participants.update(participant)
    u.events.append(event)
    return {("participant", participant.participant_id.value)}


def _adverse_event(u: SqlUnitOfWork, n: int, clock: Clock) -> set[tuple[str, str]]:
    participants = u.participants.list()
    if not participants:
        return set()
    pid = participants[n % len(participants)].participant_id
    recorded = u.adverse_events.list(pid)
    existing = [ae for ae in recorded if ae.resolved_at is None]
    at = clock.now()
    if existing:
        ae = existing[0]
        ae.resolve(at)
        u.adverse_events.update(ae)
        u.reason = "resolution date entered from the source notes"
        return {("adverse_event", ae.adverse_event_id)}
    key = f"AE-{pid.value}-{len(recorded) + 1}"  # a new key even when an earlier step used the same n
    u.adverse_events.add(AdverseEvent(key, pid, "cough", 1, at, at, "unlikely", "expected"))
    return {("adverse_event", key)}


def _visit(u: SqlUnitOfWork, n: int, clock: Clock) -> set[tuple[str, str]]:
    participants = u.participants.list()
    if not participants:
        return set()
    pid = participants[n % len(participants)].participant_id
    visits = u.visits.list(pid)
    planned = [v for v in visits if v.status.value == "planned"]
    if planned:
        visit = planned[0]
        at = clock.now()
        u.events.append(visit.record_done(at.date(), at.date() - timedelta(days=13), at))
        u.visits.update(visit)
        return {("visit", visit.visit_id)}
    key = f"V-{pid.value}-{len(visits) + 1}"
    u.visits.add(Visit(key, pid, f"D14-{len(visits) + 1}", StudyDay(14), VisitWindow(1, 1)))  # codes are unique
    return {("visit", key)}


OPERATIONS = {"screen": _screen, "advance": _advance, "adverse_event": _adverse_event, "visit": _visit}
steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 5), st.booleans()), min_size=3, max_size=15
)


def _audit(db: Database) -> list[tuple[str, str, str]]:
    with db.sessions() as s:
        return [tuple(r) for r in s.execute(select(AuditRow.action, AuditRow.entity, AuditRow.entity_id)).all()]  # type: ignore[misc]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
@example([("screen", 0, True), ("adverse_event", 1, True), ("adverse_event", 1, True), ("adverse_event", 1, True)])
@example([("screen", 0, True), ("visit", 1, True), ("visit", 1, True), ("visit", 1, True)])
def test_every_committed_mutation_has_its_audit_entries_and_an_abandoned_one_leaves_nothing(
    plan: list[tuple[str, int, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'trial.sqlite'}")
        upgrade(db.engine)
        clock = Clock()
        try:
            for name, n, commit in plan:
                before = _audit(db)
                with db.unit_of_work_factory(clock)() as u:
                    u.actor = ACTOR
                    changed = OPERATIONS[name](u, n, clock)
                    if commit:
                        u.commit()
                added = _audit(db)[len(before) :]
                if not commit or not changed:
                    assert added == []
                    continue
                written = {(entity, key) for action, entity, key in added if action in ("insert", "update")}
                assert changed <= written, (name, changed, written)
                assert all(entry[1] != "audit_log" for entry in added)
            with db.sessions() as s:
                assert verify_audit(s) == []
        finally:
            db.dispose()
