"""The audit trail viewer: filters, pagination, blinding and site scope (``edc-and-standards.md`` AUD-5,
AUD-6).

- Who may read it is the services policy's ``Action.READ_AUDIT_TRAIL`` (administrators, monitors, principal
  investigators and investigators, statisticians and the unblinded statistician: AUD-7 audit-trail review);
  coordinators, pharmacists and DSMB members do not.
- Blinded fields (a slot's arm, the block structure, the list's seed) are masked for everyone unless a reader
  unblinded at the participant level asks for the unblinded view (``Action.READ_UNBLINDED_AUDIT_TRAIL``),
  which is itself recorded in the trail (BLD-5); blinded roles
  do not see the sealed list's own entries at all (RND-1: the list is stored access-restricted), nor the
  names of masked fields.
- Site scope: a site-bound user sees only entries about participants of their sites, plus entries about no
  participant (trial, cohorts, the list). An entry is attributed to a participant by its entity id, or by the
  ``participant_id`` its record was inserted with.
- The access log (logins, lockouts) is shown to administrators; others see only their own access entries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from mexards.api.deps import ActorDep, ContainerDep, PageDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.page import Page, page_of
from mexards.domain.role import Actor, Role
from mexards.services import read_model
from mexards.services.policy import Action, require

router = APIRouter(prefix="/api", tags=["audit"], responses=PROBLEM_RESPONSES)

_ACCESS = "account_access"
_SEALED_LIST = frozenset({"allocation_list", "allocation_slot"})
_MASK = "[blinded]"
_WHOLE_TRAIL = 1_000_000


class AuditEntryRead(BaseModel):
    seq: int
    recorded_at: str
    actor_id: str
    actor_role: str
    action: str
    entity: str
    entity_id: str
    participant_id: str | None
    changes: dict[str, Any]
    reason: str | None
    software_version: str


def _participant_of(entry: Any, owners: dict[tuple[str, str], str]) -> str | None:
    if entry.entity in ("participant", "screening_log"):
        return str(entry.entity_id)
    found = owners.get((entry.entity, entry.entity_id))
    if found is not None:
        return found
    value = entry.changes.get("participant_id")
    if isinstance(value, list) and value and isinstance(value[-1], str):
        return value[-1]
    return value if isinstance(value, str) else None


def _unmasked(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in changes.items() if v != _MASK and v != [_MASK, _MASK]}


def scoped_entries(entries: list[Any], actor: Actor, visible: set[str] | None) -> list[AuditEntryRead]:
    """The entries ``actor`` may see, newest first, each with the participant it concerns."""
    owners: dict[tuple[str, str], str] = {}
    for entry in entries:
        value = entry.changes.get("participant_id")
        if isinstance(value, list) and value and isinstance(value[-1], str):
            owners[(entry.entity, entry.entity_id)] = value[-1]
    shown = []
    for entry in reversed(entries):
        if (
            entry.entity == _ACCESS
            and actor.role is not Role.ADMINISTRATOR
            and entry.entity_id != actor.user_id.value
        ):
            continue
        if actor.is_blinded and entry.entity in _SEALED_LIST:
            continue
        participant = _participant_of(entry, owners) if entry.entity != _ACCESS else None
        if visible is not None and participant is not None and participant not in visible:
            continue
        shown.append(
            AuditEntryRead(
                seq=entry.seq,
                recorded_at=entry.recorded_at,
                actor_id=entry.actor_id,
                actor_role=entry.actor_role,
                action=entry.action,
                entity=entry.entity,
                entity_id=entry.entity_id,
                participant_id=participant,
                changes=_unmasked(entry.changes) if actor.is_blinded else entry.changes,
                reason=entry.reason,
                software_version=entry.software_version,
            )
        )
    return shown


def audit_entries(
    container: ContainerDep, uow: UoWDep, actor: Actor, protocol_known: Callable[[], object], unblinded: bool
) -> list[AuditEntryRead]:
    require(actor, Action.READ_AUDIT_TRAIL)
    if unblinded:
        require(actor, Action.READ_UNBLINDED_AUDIT_TRAIL)
    visible: set[str] | None = None
    if not actor.role.is_trial_wide:
        summaries = read_model.participant_summaries(uow, actor, protocol_known())  # type: ignore[arg-type]
        visible = {s.participant_id.value for s in summaries}
    entries = container.audit_log(limit=_WHOLE_TRAIL, viewer=actor if unblinded else None)
    return scoped_entries(entries, actor, visible)


@router.get(
    "/audit",
    response_model=Page[AuditEntryRead],
    summary="The audit trail, newest first (blinded fields masked; site scoped)",
)
def read_audit(
    actor: ActorDep,
    container: ContainerDep,
    uow: UoWDep,
    protocol: ProtocolDep,
    page: PageDep,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    participant_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    unblinded: bool = False,
) -> Page[AuditEntryRead]:
    entries = audit_entries(container, uow, actor, lambda: protocol, unblinded)
    chosen = [
        e
        for e in entries
        if (entity is None or e.entity == entity)
        and (entity_id is None or e.entity_id == entity_id)
        and (participant_id is None or e.participant_id == participant_id)
        and (actor_id is None or e.actor_id == actor_id)
        and (action is None or e.action == action)
    ]
    return page_of(chosen, page, lambda e: e)
