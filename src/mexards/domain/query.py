"""Data queries (data clarification requests): open -> answered -> closed, with re-opening.

The vocabulary and role split follow the anchors summarised in ``edc-and-standards.md`` 1.2 (data quality
row):
OpenClinica's discrepancy-note statuses, REDCap's Data Resolution Workflow (open, respond, close) and
clinicedc's rule that only data management closes. Here monitors and data managers (administrator,
statistician) raise, close and re-open queries; site staff (investigators, coordinators) answer them, for
their own sites only. Query text is free text written by people: it must not name a treatment arm (BLD-6),
which the caller's review process enforces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from mexards.domain.errors import InvalidTransitionError, PermissionDeniedError, ValidationError
from mexards.domain.event import QueryAnswered, QueryClosed, QueryOpened, QueryReopened
from mexards.domain.identifier import ParticipantId, SiteId, UserId, checked_code
from mexards.domain.role import Actor, Role
from mexards.domain.validation import enum_member, not_before, required_text, utc_datetime


class QueryState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class QueryAction(StrEnum):
    ANSWER = "answer"
    CLOSE = "close"
    REOPEN = "reopen"


QUERY_TRANSITIONS: Mapping[tuple[QueryState, QueryAction], QueryState] = MappingProxyType(
    {
        (QueryState.OPEN, QueryAction.ANSWER): QueryState.ANSWERED,
        (QueryState.OPEN, QueryAction.CLOSE): QueryState.CLOSED,
        (QueryState.ANSWERED, QueryAction.CLOSE): QueryState.CLOSED,
        (QueryState.ANSWERED, QueryAction.REOPEN): QueryState.OPEN,
        (QueryState.CLOSED, QueryAction.REOPEN): QueryState.OPEN,
    }
)
"""Allowed (state, action) -> state; anything else raises InvalidTransitionError."""

RAISING_ROLES = frozenset({Role.MONITOR, Role.ADMINISTRATOR, Role.STATISTICIAN})
"""Roles that open, close and re-open queries (data management and monitoring)."""
ANSWERING_ROLES = frozenset({Role.PRINCIPAL_INVESTIGATOR, Role.INVESTIGATOR, Role.COORDINATOR})
"""Site roles that answer queries."""


@dataclass(frozen=True, slots=True)
class QueryMessage:
    """One entry in a query's conversation."""

    action: str
    author: UserId
    role: Role
    text: str
    at: datetime


@dataclass(eq=False)
class Query:
    """A question about one data item of one participant."""

    query_id: str
    participant_id: ParticipantId
    site_id: SiteId
    field_path: str
    text: str
    raised_by: UserId
    raised_at: datetime
    state: QueryState = QueryState.OPEN
    messages: list[QueryMessage] = field(default_factory=list)
    state_changed_at: datetime | None = None

    def __post_init__(self) -> None:
        self.query_id = checked_code("query_id", self.query_id)
        if not isinstance(self.participant_id, ParticipantId):
            raise ValidationError("participant_id", "must be a ParticipantId", self.participant_id)
        if not isinstance(self.site_id, SiteId):
            raise ValidationError("site_id", "must be a SiteId", self.site_id)
        self.field_path = required_text("field_path", self.field_path, 200)
        self.text = required_text("text", self.text, 2000)
        if not isinstance(self.raised_by, UserId):
            raise ValidationError("raised_by", "must be a UserId", self.raised_by)
        self.raised_at = utc_datetime("raised_at", self.raised_at)
        self.state = enum_member(QueryState, "state", self.state)
        if self.state_changed_at is None:
            self.state_changed_at = self.raised_at

    @classmethod
    def open(
        cls,
        query_id: str,
        participant_id: ParticipantId,
        site_id: SiteId,
        field_path: str,
        text: str,
        actor: Actor,
        raised_at: datetime,
    ) -> tuple[Query, QueryOpened]:
        _require(actor, RAISING_ROLES, "open", site_id)
        query = cls(query_id, participant_id, site_id, field_path, text, actor.user_id, raised_at)
        query.messages.append(QueryMessage("open", actor.user_id, actor.role, query.text, query.raised_at))
        return query, QueryOpened(
            participant_id=participant_id,
            query_id=query.query_id,
            actor=actor.user_id,
            field_path=query.field_path,
            text=query.text,
            occurred_at=query.raised_at,
        )

    def _move(
        self, action: QueryAction, actor: Actor, text: str | None, at: datetime
    ) -> tuple[str, datetime]:
        try:
            target = QUERY_TRANSITIONS[(self.state, action)]
        except KeyError:
            raise InvalidTransitionError(self.state.value, action.value) from None
        roles = ANSWERING_ROLES if action is QueryAction.ANSWER else RAISING_ROLES
        _require(actor, roles, action.value, self.site_id)
        body = required_text("text", text, 2000) if text is not None else ""
        at = utc_datetime("at", at)
        not_before("at", at, self.state_changed_at, "the previous step")
        self.messages.append(QueryMessage(action.value, actor.user_id, actor.role, body, at))
        self.state, self.state_changed_at = target, at
        return body, at

    def answer(self, actor: Actor, answer: str, at: datetime) -> QueryAnswered:
        if answer is None:
            raise ValidationError("text", "is required", answer)
        body, at = self._move(QueryAction.ANSWER, actor, answer, at)
        return QueryAnswered(
            participant_id=self.participant_id,
            query_id=self.query_id,
            actor=actor.user_id,
            answer=body,
            occurred_at=at,
        )

    def close(self, actor: Actor, at: datetime, comment: str | None = None) -> QueryClosed:
        _, at = self._move(QueryAction.CLOSE, actor, comment, at)
        return QueryClosed(
            participant_id=self.participant_id, query_id=self.query_id, actor=actor.user_id, occurred_at=at
        )

    def reopen(self, actor: Actor, reason: str, at: datetime) -> QueryReopened:
        if reason is None:
            raise ValidationError("text", "is required", reason)
        body, at = self._move(QueryAction.REOPEN, actor, reason, at)
        return QueryReopened(
            participant_id=self.participant_id,
            query_id=self.query_id,
            actor=actor.user_id,
            reason=body,
            occurred_at=at,
        )


def _require(actor: Actor, roles: frozenset[Role], action: str, site_id: SiteId) -> None:
    if not isinstance(actor, Actor):
        raise ValidationError("actor", "must be an Actor", actor)
    if actor.role not in roles:
        raise PermissionDeniedError(f"role {actor.role.value} may not {action} a query")
    if not actor.covers_site(site_id):
        raise PermissionDeniedError(f"user {actor.user_id} does not work at site {site_id}")
