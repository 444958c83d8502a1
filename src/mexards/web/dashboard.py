"""The dashboard: enrolment by phase and site, the current cohort and dose, the design's next recommendation
with its reason, overdue visits, open queries and SAE clocks, for the sites the user sees."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep
from mexards.domain.errors import NotFoundError, PermissionDeniedError
from mexards.domain.query import QueryState
from mexards.protocol.catalog import builtin_protocol, list_builtin_protocols
from mexards.services import read_model, trial
from mexards.services.policy import Action, is_allowed
from mexards.web.form import form_fields
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    try:
        protocol = container.protocol()
    except NotFoundError:
        return render(request, "no_trial.html", {"nav": "dashboard", "protocols": list_builtin_protocols()})
    summaries = read_model.participant_summaries(container.unit_of_work(), actor, protocol)
    by_phase_site = Counter((s.phase, s.site_id.value) for s in summaries if s.phase is not None)
    sites = sorted({s.site_id.value for s in summaries})
    board = read_model.escalation_board(container.unit_of_work(), actor, protocol)
    current = (
        max((c, level) for level in board.levels for c in level.cohorts)
        if any(level.cohorts for level in board.levels)
        else None
    )
    overdue_reports = []
    if is_allowed(actor, Action.READ_SAFETY):
        overdue_reports = read_model.overdue_sae_reports(container.unit_of_work(), actor)
    today = container.clock.now().date()
    overdue_visits = []
    for summary in summaries:
        if summary.state in ("dosing", "follow_up", "phase1_assigned", "randomized"):
            for item in _timeline(container, actor, summary.participant_id):
                if item.status == "planned" and item.window_end is not None and item.window_end < today:
                    overdue_visits.append((summary.participant_id.value, item))
    counts = read_model.consort_counts(container.unit_of_work(), actor)
    open_queries = read_model.queries(container.unit_of_work(), actor, state=QueryState.OPEN)
    return render(
        request,
        "dashboard.html",
        {
            "nav": "dashboard",
            "protocol": protocol,
            "by_phase_site": by_phase_site,
            "sites": sites,
            "board": board,
            "current": current,
            "overdue_reports": overdue_reports,
            "overdue_visits": overdue_visits,
            "counts": counts,
            "today": today,
            "open_queries": open_queries,
        },
    )


def _timeline(
    container: ContainerDep, actor: WebActor, participant_id: object
) -> list[read_model.TimelineItem]:
    try:
        return read_model.visit_timeline(container.unit_of_work(), actor, participant_id)  # type: ignore[arg-type]
    except (NotFoundError, PermissionDeniedError):
        return []


@router.post("/trial/start")
async def start(request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    """Start the trial under a built-in protocol (administrators; once per database)."""
    fields = await form_fields(request)
    trial.start_trial(
        container.unit_of_work(),
        actor,
        builtin_protocol(fields.get("protocol_id", "")),
        fields.get("protocol_version", ""),
    )
    return redirect("/", request)
