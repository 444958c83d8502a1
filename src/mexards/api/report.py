"""Reports and exports of the caller's sites: CONSORT flow counts, and CSV exports of participants (in the
caller's blinding), the screening log, adverse events and the audit trail. Counts and exports are site
scoped exactly like the lists (``edc-and-standards.md`` 1.3 multi-site: aggregates must not leak other
sites)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from mexards.api.audit import audit_entries
from mexards.api.deps import ActorDep, ContainerDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.participant import participant_read
from mexards.services import read_model
from mexards.services.policy import sees_arms

router = APIRouter(prefix="/api/reports", tags=["reports"], responses=PROBLEM_RESPONSES)

CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV, one header line"}
}


class ConsortReadBlinded(BaseModel):
    """CONSORT 2010 flow counts (item 13a) without any split by arm."""

    assessed: int
    excluded: int
    exclusion_reasons: dict[str, int]
    incomplete_screening: int
    enrolled: int
    phase1_assigned: int
    randomized: int
    by_state: dict[str, int]


class ConsortRead(ConsortReadBlinded):
    """With the randomized count per arm (unblinded roles only)."""

    by_arm: dict[str, int]


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/consort",
    response_model=ConsortRead | ConsortReadBlinded,
    summary="CONSORT flow counts of the caller's sites",
)
def consort(actor: ActorDep, uow: UoWDep) -> ConsortRead | ConsortReadBlinded:
    counts = read_model.consort_counts(uow, actor)
    common: dict[str, Any] = {
        "assessed": counts.assessed,
        "excluded": counts.excluded,
        "exclusion_reasons": counts.exclusion_reasons,
        "incomplete_screening": counts.incomplete_screening,
        "enrolled": counts.enrolled,
        "phase1_assigned": counts.phase1_assigned,
        "randomized": counts.randomized,
        "by_state": counts.by_state,
    }
    if sees_arms(actor):
        return ConsortRead(**common, by_arm=counts.by_arm)
    return ConsortReadBlinded(**common)


@router.get(
    "/participants.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Participants of the caller's sites (arm columns for unblinded roles only)",
)
def participants_csv(actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> Response:
    rows = [participant_read(s).model_dump() for s in read_model.participant_summaries(uow, actor, protocol)]
    header = [
        "participant_id",
        "site_id",
        "state",
        "phase",
        "cohort_number",
        "dose_level",
        "kit_code",
        "treatment",
        "doses_received",
        "unblinded",
    ]
    if sees_arms(actor):
        header += ["arm_code", "arm_label", "daily_dose_particles"]
    for row in rows:
        level = row.get("dose_level")
        row["dose_level"] = level["dose_particles"] if level else None
    return csv_response("participants", header, ([row.get(h) for h in header] for row in rows))


@router.get(
    "/screening-log.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="The screening log of the caller's sites with the reasons for each screen failure",
)
def screening_csv(actor: ActorDep, uow: UoWDep) -> Response:
    entries = read_model.screening_log(uow, actor)
    return csv_response(
        "screening-log",
        ["participant_id", "site_id", "screened_at", "verdict", "reasons"],
        (
            [
                e.participant_id.value,
                e.site_id.value,
                e.screened_at.isoformat(),
                e.verdict,
                "; ".join(e.reasons),
            ]
            for e in entries
        ),
    )


@router.get(
    "/adverse-events.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Adverse events of the caller's sites",
)
def adverse_events_csv(actor: ActorDep, uow: UoWDep) -> Response:
    rows = read_model.adverse_event_listing(uow, actor)
    header = [
        "adverse_event_id",
        "participant_id",
        "term",
        "ctcae_grade",
        "serious",
        "seriousness",
        "relatedness",
        "expectedness",
        "susar",
        "onset_at",
        "resolved_at",
    ]
    return csv_response(
        "adverse-events",
        header,
        (
            [
                r.adverse_event_id,
                r.participant_id.value,
                r.term,
                r.ctcae_grade,
                r.serious,
                "|".join(r.seriousness),
                r.relatedness,
                r.expectedness,
                r.susar,
                r.onset_at.isoformat(),
                r.resolved_at.isoformat() if r.resolved_at else None,
            ]
            for r in rows
        ),
    )


@router.get(
    "/audit.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="The audit trail the caller may see, as CSV (blinded fields masked)",
)
def audit_csv(actor: ActorDep, container: ContainerDep, uow: UoWDep, protocol: ProtocolDep) -> Response:
    entries = audit_entries(container, uow, actor, lambda: protocol, unblinded=False)
    header = [
        "seq",
        "recorded_at",
        "actor_id",
        "actor_role",
        "action",
        "entity",
        "entity_id",
        "participant_id",
        "changes",
        "reason",
        "software_version",
    ]
    import json

    return csv_response(
        "audit",
        header,
        (
            [
                e.seq,
                e.recorded_at,
                e.actor_id,
                e.actor_role,
                e.action,
                e.entity,
                e.entity_id,
                e.participant_id,
                json.dumps(e.changes, sort_keys=True, ensure_ascii=False),
                e.reason,
                e.software_version,
            ]
            for e in entries
        ),
    )
