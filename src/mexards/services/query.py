"""Data queries: monitors and data management open, close and re-open; site staff answer (their sites only).

The workflow and role split are the domain's (:mod:`mexards.domain.query`; OpenClinica discrepancy notes,
REDCap Data Resolution Workflow, clinicedc: only data management closes). The checks run in the order that
reveals nothing to someone who may not touch the query: the role (403), then the query and its participant's
site (404), and only then the database lock and the query's state (409).
"""

from __future__ import annotations

from mexards.domain.identifier import ParticipantId
from mexards.domain.query import Query
from mexards.domain.role import Actor
from mexards.services.operation import editable_trial, new_id, operation, participant_for, record
from mexards.services.policy import Action
from mexards.services.port import UnitOfWork


def _query(uow: UnitOfWork, actor: Actor, query_id: str) -> Query:
    """The query, if the actor covers its participant's site; then the lock check."""
    query = uow.queries.get(query_id)
    participant_for(uow, actor, query.participant_id)
    editable_trial(uow)
    return query


def open_query(
    uow: UnitOfWork, actor: Actor, participant_id: ParticipantId, field_path: str, text: str
) -> Query:
    """Raise a query on one data item of a participant."""
    with operation(uow, actor, Action.RAISE_QUERY) as u:
        participant = participant_for(u, actor, participant_id)
        editable_trial(u)
        query, event = Query.open(
            new_id(u, "QRY"), participant_id, participant.site_id, field_path, text, actor, u.clock.now()
        )
        u.queries.add(query)
        record(u, event)
        u.commit()
    return query


def answer_query(uow: UnitOfWork, actor: Actor, query_id: str, answer: str) -> Query:
    """Site staff answer an open query."""
    with operation(uow, actor, Action.ANSWER_QUERY) as u:
        query = _query(u, actor, query_id)
        event = query.answer(actor, answer, u.clock.now())
        u.queries.update(query)
        record(u, event)
        u.commit()
    return query


def close_query(uow: UnitOfWork, actor: Actor, query_id: str, comment: str | None = None) -> Query:
    """A monitor or data manager closes the query."""
    with operation(uow, actor, Action.RAISE_QUERY) as u:
        query = _query(u, actor, query_id)
        event = query.close(actor, u.clock.now(), comment)
        u.queries.update(query)
        record(u, event)
        u.commit()
    return query


def reopen_query(uow: UnitOfWork, actor: Actor, query_id: str, reason: str) -> Query:
    """A monitor or data manager re-opens an answered or closed query, with a reason."""
    with operation(uow, actor, Action.RAISE_QUERY) as u:
        query = _query(u, actor, query_id)
        event = query.reopen(actor, reason, u.clock.now())
        u.reason = reason  # checked by the domain: also the audit trail's reason for the change
        u.queries.update(query)
        record(u, event)
        u.commit()
    return query
