"""Data queries: monitors and data management open, close and re-open; site staff answer (their sites only).

The workflow and role split are the domain's (:mod:`mexards.domain.query`; OpenClinica discrepancy notes,
REDCap Data Resolution Workflow, clinicedc: only data management closes).
"""

from __future__ import annotations

from mexards.domain.identifier import ParticipantId
from mexards.domain.query import Query
from mexards.domain.role import Actor
from mexards.services.operation import editable_trial, new_id, participant_for, record
from mexards.services.port import UnitOfWork


def _begin(uow: UnitOfWork, actor: Actor, reason: str | None = None) -> None:
    uow.actor, uow.reason = actor, reason


def open_query(
    uow: UnitOfWork, actor: Actor, participant_id: ParticipantId, field_path: str, text: str
) -> Query:
    """Raise a query on one data item of a participant."""
    with uow:
        _begin(uow, actor)
        editable_trial(uow)
        participant = participant_for(uow, actor, participant_id)
        query, event = Query.open(
            new_id("QRY"), participant_id, participant.site_id, field_path, text, actor, uow.clock.now()
        )
        uow.queries.add(query)
        record(uow, event)
        uow.commit()
    return query


def answer_query(uow: UnitOfWork, actor: Actor, query_id: str, answer: str) -> Query:
    """Site staff answer an open query."""
    with uow:
        _begin(uow, actor)
        editable_trial(uow)
        query = uow.queries.get(query_id)
        participant_for(uow, actor, query.participant_id)
        event = query.answer(actor, answer, uow.clock.now())
        uow.queries.update(query)
        record(uow, event)
        uow.commit()
    return query


def close_query(uow: UnitOfWork, actor: Actor, query_id: str, comment: str | None = None) -> Query:
    """A monitor or data manager closes the query."""
    with uow:
        _begin(uow, actor)
        editable_trial(uow)
        query = uow.queries.get(query_id)
        participant_for(uow, actor, query.participant_id)
        event = query.close(actor, uow.clock.now(), comment)
        uow.queries.update(query)
        record(uow, event)
        uow.commit()
    return query


def reopen_query(uow: UnitOfWork, actor: Actor, query_id: str, reason: str) -> Query:
    """A monitor or data manager re-opens an answered or closed query, with a reason."""
    with uow:
        _begin(uow, actor, reason)
        editable_trial(uow)
        query = uow.queries.get(query_id)
        participant_for(uow, actor, query.participant_id)
        event = query.reopen(actor, reason, uow.clock.now())
        uow.queries.update(query)
        record(uow, event)
        uow.commit()
    return query
