"""Unblinding rows (one participant each: who, why, when) and notifications recorded in the system."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.role import Actor, Role
from mexards.domain.unblinding import Unblinding, UnblindingKind
from mexards.persistence.column_type import UTCDateTime, from_json_text, json_text
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign
from mexards.services.record import Notification


class UnblindingRow(Base):
    __tablename__ = "unblinding"

    unblinding_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    actor_user_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(40))
    actor_site_ids: Mapped[str] = mapped_column(Text)
    unblinded_at: Mapped[datetime] = mapped_column(UTCDateTime)


def unblinding_to_row(item: Unblinding, row: UnblindingRow | None = None) -> UnblindingRow:
    row = row if row is not None else UnblindingRow(unblinding_id=item.unblinding_id)
    assign(
        row,
        participant_id=item.participant_id.value,
        kind=item.kind.value,
        reason=item.reason,
        actor_user_id=item.actor.user_id.value,
        actor_role=item.actor.role.value,
        actor_site_ids=json_text(sorted(s.value for s in item.actor.site_ids)),
        unblinded_at=item.unblinded_at,
    )
    return row


def unblinding_from_row(row: UnblindingRow) -> Unblinding:
    actor = Actor(
        UserId(row.actor_user_id),
        Role(row.actor_role),
        frozenset(SiteId(s) for s in from_json_text(row.actor_site_ids)),
    )
    return Unblinding(
        unblinding_id=row.unblinding_id,
        participant_id=ParticipantId(row.participant_id),
        kind=UnblindingKind(row.kind),
        reason=row.reason,
        actor=actor,
        unblinded_at=row.unblinded_at,
    )


class NotificationRow(Base):
    __tablename__ = "notification"

    notification_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    recipient_roles: Mapped[str] = mapped_column(Text)
    participant_id: Mapped[str | None] = mapped_column(ForeignKey("participant.participant_id"), index=True)


def notification_to_row(item: Notification, row: NotificationRow | None = None) -> NotificationRow:
    row = row if row is not None else NotificationRow(notification_id=item.notification_id)
    assign(
        row,
        kind=item.kind,
        subject=item.subject,
        message=item.message,
        created_at=item.created_at,
        created_by=item.created_by.value,
        recipient_roles=json_text(list(item.recipient_roles)),
        participant_id=item.participant_id.value if item.participant_id else None,
    )
    return row


def notification_from_row(row: NotificationRow) -> Notification:
    return Notification(
        notification_id=row.notification_id,
        kind=row.kind,
        subject=row.subject,
        message=row.message,
        created_at=row.created_at,
        created_by=UserId(row.created_by),
        recipient_roles=tuple(from_json_text(row.recipient_roles)),
        participant_id=ParticipantId(row.participant_id) if row.participant_id else None,
    )


class SqlUnblindingRepository(SqlRepository):
    def add(self, unblinding: Unblinding) -> None:
        key = unblinding.unblinding_id
        self._insert(UnblindingRow, key, unblinding_to_row(unblinding), f"unblinding {key}")

    def list(self, participant_id: ParticipantId | None = None) -> list[Unblinding]:
        statement = select(UnblindingRow).order_by(UnblindingRow.unblinded_at, UnblindingRow.unblinding_id)
        if participant_id is not None:
            statement = statement.where(UnblindingRow.participant_id == participant_id.value)
        return [unblinding_from_row(row) for row in self._rows(statement)]


class SqlNotifier(SqlRepository):
    """Notifications are recorded in the database, in the transaction of the act that caused them."""

    def notify(self, notification: Notification) -> None:
        key = notification.notification_id
        self._insert(NotificationRow, key, notification_to_row(notification), f"notification {key}")

    def list(self, participant_id: ParticipantId | None = None) -> list[Notification]:
        statement = select(NotificationRow).order_by(NotificationRow.created_at, NotificationRow.notification_id)
        if participant_id is not None:
            statement = statement.where(NotificationRow.participant_id == participant_id.value)
        return [notification_from_row(row) for row in self._rows(statement)]
