"""Lists that the services do not offer as read models yet (cohorts, DLT adjudications, MTD declarations,
administrations, CRF records, queries, unblindings, notifications), read through the services' own ports.

Each runs in one read-only unit of work opened by :func:`mexards.services.operation.operation` (so the
policy's permission check applies) and is site scoped with :func:`mexards.services.policy.visible_sites`
exactly like the read models of :mod:`mexards.services.read_model`: records of participants the user may not
see are left out, also from counts. Nothing here carries a Phase 2 arm: administrations of randomized
participants hold a kit code and "study drug" only (BLD-2), and unblinding records never hold the revealed
arm.
"""

from __future__ import annotations

from mexards.domain.administration import Administration
from mexards.domain.cohort import Cohort, DLTAdjudication
from mexards.domain.identifier import ParticipantId
from mexards.domain.mtd import MTDDeclaration
from mexards.domain.query import Query, QueryState
from mexards.domain.role import Actor
from mexards.domain.unblinding import Unblinding
from mexards.services.operation import operation, participant_for
from mexards.services.policy import Action, visible_sites
from mexards.services.port import UnitOfWork
from mexards.services.record import CRFRecord, Notification


def _visible(uow: UnitOfWork, actor: Actor) -> set[ParticipantId]:
    return {p.participant_id for p in uow.participants.list(site_ids=visible_sites(actor))}


def cohorts(uow: UnitOfWork, actor: Actor) -> list[Cohort]:
    """Phase 1 cohorts (open label); participants of other sites are left out of each cohort's list."""
    with operation(uow, actor, Action.READ_ESCALATION) as u:
        visible = _visible(u, actor)
        found = u.cohorts.list()
        for cohort in found:
            cohort.participant_ids = [p for p in cohort.participant_ids if p in visible]
        return found


def dlt_adjudications(
    uow: UnitOfWork, actor: Actor, participant_id: ParticipantId | None = None
) -> list[DLTAdjudication]:
    with operation(uow, actor, Action.READ_ESCALATION) as u:
        visible = _visible(u, actor)
        return [
            a for a in u.dlt_adjudications.list(participant_id=participant_id) if a.participant_id in visible
        ]


def mtd_declarations(uow: UnitOfWork, actor: Actor) -> list[MTDDeclaration]:
    with operation(uow, actor, Action.READ_ESCALATION) as u:
        return u.mtd_declarations.list()


def administrations(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> list[Administration]:
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        participant_for(u, actor, participant_id)
        return sorted(u.administrations.list(participant_id), key=lambda a: a.study_day.value)


def crf_records(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> list[CRFRecord]:
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        participant_for(u, actor, participant_id)
        return u.crf_records.list(participant_id)


def queries(
    uow: UnitOfWork,
    actor: Actor,
    participant_id: ParticipantId | None = None,
    state: QueryState | None = None,
) -> list[Query]:
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        if participant_id is not None:
            participant_for(u, actor, participant_id)
        visible = _visible(u, actor)
        return [q for q in u.queries.list(participant_id, state) if q.participant_id in visible]


def unblindings(
    uow: UnitOfWork, actor: Actor, participant_id: ParticipantId | None = None
) -> list[Unblinding]:
    """Who broke which participant's code, when and why (never the arm revealed)."""
    with operation(uow, actor, Action.READ_SAFETY) as u:
        visible = _visible(u, actor)
        return [b for b in u.unblindings.list(participant_id) if b.participant_id in visible]


def notifications(uow: UnitOfWork, actor: Actor) -> list[Notification]:
    """Notifications addressed to the user's role, about participants they may see (or the whole trial)."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        visible = _visible(u, actor)
        return [
            n
            for n in u.notifications.list()
            if actor.role.value in n.recipient_roles
            and (n.participant_id is None or n.participant_id in visible)
        ]
