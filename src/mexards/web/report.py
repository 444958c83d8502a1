"""The reports page: CONSORT flow counts of the user's sites and CSV exports (the same exports as the API,
in the user's blinding and site scope, each download audited), and the result tables by treatment group for
the roles that see unblinded aggregates (the DSMB's closed-session report; unblinded roles after lock)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mexards.api import report
from mexards.api.deps import ContainerDep
from mexards.domain.errors import NotFoundError
from mexards.services import read_model
from mexards.services.policy import Action, is_allowed, sees_arms, sees_unblinded_aggregates
from mexards.web.render import render
from mexards.web.session import WebActor

router = APIRouter(include_in_schema=False)


@router.get("/reports")
def reports(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    counts = report.consort_read(read_model.consort_counts(container.unit_of_work(), actor), actor)
    return render(
        request,
        "reports.html",
        {
            "nav": "reports",
            "counts": counts,
            "by_arm": getattr(counts, "by_arm", None),
            "can_safety": is_allowed(actor, Action.READ_SAFETY),
            "can_audit": is_allowed(actor, Action.READ_AUDIT_TRAIL),
            "can_results_by_arm": sees_unblinded_aggregates(actor),
            "closed_session": is_allowed(actor, Action.READ_CLOSED_SESSION_REPORT),
        },
    )


@router.get("/reports/results-by-arm")
def results_by_arm(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    shown = report.results_by_arm(actor, container.unit_of_work(), container.protocol())
    return render(
        request,
        "results_by_arm.html",
        {"nav": "reports", "results": shown, "closed_session": not sees_arms(actor)},
    )


@router.get("/reports/{name}.csv")
def export(name: str, actor: WebActor, container: ContainerDep) -> Response:
    uow = container.unit_of_work()
    if name == "participants":
        return report.participants_csv(actor, uow, container.protocol())
    if name == "screening-log":
        return report.screening_csv(actor, uow)
    if name == "adverse-events":
        return report.adverse_events_csv(actor, uow)
    if name == "audit":
        return report.audit_csv(actor, container, uow, container.protocol())
    raise NotFoundError(f"no export named {name}")
