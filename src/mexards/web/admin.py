"""Account administration: users with role, sites and state; create, change role or sites (with a reason),
deactivate or reactivate, unlock, reset a password; the access log. Administrators only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep
from mexards.domain.errors import ValidationError
from mexards.domain.role import Role
from mexards.services import account
from mexards.web.form import field_errors, form_fields
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor

router = APIRouter(include_in_schema=False)


def _sites(text: str) -> list[str]:
    return [s.strip() for s in text.replace(";", ",").split(",") if s.strip()]


def _page(
    request: Request,
    actor: WebActor,
    container: ContainerDep,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    users = account.list_users(container.account_unit_of_work(), actor)
    events = account.access_events(container.account_unit_of_work(), actor, None, 50)
    return render(
        request,
        "users.html",
        {
            "nav": "users",
            "users": users,
            "roles": [r.value for r in Role],
            "events": events,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/admin/users")
def users_page(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    return _page(request, actor, container)


@router.post("/admin/users")
async def create(request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    try:
        account.create_user(
            container.account_unit_of_work(),
            container.hasher,
            actor,
            fields.get("user_id", ""),
            fields.get("display_name", ""),
            fields.get("role", ""),
            _sites(fields.get("site_ids", "")),
            fields.get("password", ""),
            container.policy,
        )
    except ValidationError as exc:
        fields.pop("password", None)
        return _page(request, actor, container, field_errors(exc), fields, 422)
    return redirect("/admin/users", request)


@router.post("/admin/users/{user_id}")
async def change(user_id: str, request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    what, reason = fields.get("what", ""), fields.get("reason", "")
    uow = container.account_unit_of_work()
    if what == "unlock":
        account.unlock_user(uow, actor, user_id, reason)
    elif what == "password":
        account.reset_password(
            uow, container.hasher, actor, user_id, fields.get("new_password", ""), reason, container.policy
        )
    elif what in ("deactivate", "reactivate"):
        account.change_user(uow, actor, user_id, reason, active=what == "reactivate")
    elif what == "role":
        account.change_user(
            uow, actor, user_id, reason, role=fields.get("role"), site_ids=_sites(fields.get("site_ids", ""))
        )
    else:
        raise ValidationError("what", "must be unlock, password, deactivate, reactivate or role", what)
    return redirect("/admin/users", request)
