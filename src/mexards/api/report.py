"""Reports and exports of the caller's sites: CONSORT flow counts, CSV exports of participants (in the
caller's blinding), the screening log, adverse events and the audit trail, and the results by treatment
group. Counts and exports are site scoped exactly like the lists (``edc-and-standards.md`` 1.3 multi-site:
aggregates must not leak other sites).

- Who may export is the services policy's ``Action.EXPORT_DATA`` plus the read permission of what the export
  holds; every download is recorded in the audit trail (who, when, which export, rows, blinding, sites;
  :mod:`mexards.services.export`) before it is sent.
- Arm-level aggregates (the CONSORT randomized count per arm, the result tables by arm) are for roles that
  see unblinded aggregates: DSMB members at any time (closed session, ICH E9 4.5), unblinded roles after
  database lock (:func:`mexards.services.results.analysis_dataset`). Nothing here lists a participant's arm
  except the participants export of a role unblinded at the participant level.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mexards.api.audit import audit_entries
from mexards.api.deps import ActorDep, ContainerDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.participant import participant_read
from mexards.domain.role import Actor
from mexards.services import read_model, results
from mexards.services.export import record_export, require_export
from mexards.services.policy import Action, sees_arms, sees_unblinded_aggregates
from mexards.services.port import UnitOfWork

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
    """With the randomized count per arm (roles that see unblinded aggregates only)."""

    by_arm: dict[str, int]


class ResultGroupRead(BaseModel):
    group_id: str
    title: str
    phase: int


class ResultTableRead(BaseModel):
    key: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str]


class ResultsByArmRead(BaseModel):
    """The result tables by treatment group: arm-level aggregates, no participant."""

    locked: bool
    closed_session: bool = Field(description="prepared for the DSMB's closed session (before or after lock)")
    extracted_at: datetime
    groups: list[ResultGroupRead]
    tables: list[ResultTableRead]


def csv_response(
    uow: UnitOfWork, actor: Actor, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """The CSV file, after its download is recorded in the audit trail."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        count += 1
    record_export(uow, actor, f"{name}.csv", count)
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
    require_export(actor, Action.READ_PARTICIPANTS)
    shown = consort_read(read_model.consort_counts(uow, actor), actor)
    record_export(uow, actor, "consort", 1, "json")
    return shown


def consort_read(counts: read_model.ConsortCounts, actor: Actor) -> ConsortRead | ConsortReadBlinded:
    """The counts in the schema of the caller's blinding (by arm for unblinded aggregates only)."""
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
    if sees_unblinded_aggregates(actor):
        return ConsortRead(**common, by_arm=counts.by_arm)
    return ConsortReadBlinded(**common)


@router.get(
    "/results-by-arm",
    response_model=ResultsByArmRead,
    summary="Result tables by treatment group (DSMB closed session; unblinded roles after database lock)",
)
def results_by_arm(actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> ResultsByArmRead:
    from mexards.reporting.result_table import analyse  # scipy (mexards.analysis) on first use, not at start-up

    require_export(actor, Action.READ_SAFETY)
    dataset = results.analysis_dataset(uow, actor, protocol, by_arm=True)
    analysed = analyse(dataset)
    shown = ResultsByArmRead(
        locked=dataset.locked,
        closed_session=not sees_arms(actor),
        extracted_at=dataset.extracted_at,
        groups=[ResultGroupRead(group_id=g.group_id, title=g.title, phase=g.phase) for g in dataset.groups],
        tables=[
            ResultTableRead(
                key=t.key,
                title=t.title,
                columns=list(t.columns),
                rows=[list(r) for r in t.rows],
                notes=list(t.notes),
            )
            for t in analysed.tables
        ],
    )
    record_export(uow, actor, "results-by-arm", len(shown.tables), "json")
    return shown


@router.get(
    "/participants.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="Participants of the caller's sites (arm columns for unblinded roles only)",
)
def participants_csv(actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> Response:
    require_export(actor, Action.READ_PARTICIPANTS)
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
    return csv_response(uow, actor, "participants", header, ([row.get(h) for h in header] for row in rows))


@router.get(
    "/screening-log.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="The screening log of the caller's sites with the reasons for each screen failure",
)
def screening_csv(actor: ActorDep, uow: UoWDep) -> Response:
    require_export(actor, Action.READ_PARTICIPANTS)
    entries = read_model.screening_log(uow, actor)
    return csv_response(
        uow,
        actor,
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
    require_export(actor, Action.READ_SAFETY)
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
        uow,
        actor,
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
    require_export(actor, Action.READ_AUDIT_TRAIL)
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
    return csv_response(
        uow,
        actor,
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
