"""Accounts: administrators manage users (role, sites, activation, lockout, password reset); everyone reads
their own account and access log. Schemas never carry a password hash or a session token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, ContainerDep, PageDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.page import Page, page_of
from mexards.domain.role import Role
from mexards.services import account
from mexards.services.account import AccessEvent, User

router = APIRouter(prefix="/api", tags=["users"], responses=PROBLEM_RESPONSES)


class UserRead(BaseModel):
    user_id: str
    display_name: str
    role: Role
    site_ids: list[str]
    active: bool
    created_at: datetime
    blinded: bool = Field(description="true if the role must never see a Phase 2 treatment assignment")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1, max_length=64, description="unique for ever; letters, digits, . _ -")
    display_name: str = Field(min_length=1, max_length=200, description="printed name shown on signatures")
    role: Role
    site_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=200
    )
    password: str = Field(min_length=1, max_length=1000)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000, description="why (recorded in the audit trail)")
    role: Role | None = None
    site_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(None, max_length=200)
    display_name: str | None = Field(None, min_length=1, max_length=200)
    active: bool | None = None


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_password: str = Field(min_length=1, max_length=1000)
    reason: str = Field(min_length=1, max_length=1000)


class AccessEventRead(BaseModel):
    event_id: str
    kind: str
    user_id: str
    occurred_at: datetime
    client: str


def user_read(user: User) -> UserRead:
    return UserRead(
        user_id=user.user_id.value,
        display_name=user.display_name,
        role=user.role,
        site_ids=sorted(s.value for s in user.site_ids),
        active=user.active,
        created_at=user.created_at,
        blinded=user.role.is_blinded,
    )


def access_event_read(event: AccessEvent) -> AccessEventRead:
    return AccessEventRead(
        event_id=event.event_id,
        kind=event.kind.value,
        user_id=event.user_id,
        occurred_at=event.occurred_at,
        client=event.client,
    )


@router.get("/users", response_model=Page[UserRead], summary="List accounts (administrator)")
def list_users(actor: ActorDep, container: ContainerDep, page: PageDep) -> Page[UserRead]:
    return page_of(account.list_users(container.account_unit_of_work(), actor), page, user_read)


@router.post(
    "/users",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an account (administrator)",
)
def create_user(body: UserCreate, actor: ActorDep, container: ContainerDep) -> UserRead:
    user = account.create_user(
        container.account_unit_of_work(),
        container.hasher,
        actor,
        body.user_id,
        body.display_name,
        body.role,
        body.site_ids,
        body.password,
        container.policy,
    )
    return user_read(user)


@router.get(
    "/users/{user_id}", response_model=UserRead, summary="Read an account (own, or any for administrators)"
)
def get_user(user_id: str, actor: ActorDep, container: ContainerDep) -> UserRead:
    return user_read(account.get_user(container.account_unit_of_work(), actor, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    summary="Change role, sites, name or active flag (administrator, with reason)",
)
def change_user(user_id: str, body: UserUpdate, actor: ActorDep, container: ContainerDep) -> UserRead:
    user = account.change_user(
        container.account_unit_of_work(),
        actor,
        user_id,
        body.reason,
        role=body.role,
        site_ids=body.site_ids,
        display_name=body.display_name,
        active=body.active,
    )
    return user_read(user)


@router.post("/users/{user_id}/unlock", response_model=UserRead, summary="Clear a lockout (administrator)")
def unlock_user(user_id: str, body: ReasonBody, actor: ActorDep, container: ContainerDep) -> UserRead:
    return user_read(account.unlock_user(container.account_unit_of_work(), actor, user_id, body.reason))


@router.post(
    "/users/{user_id}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Reset someone's password (administrator, with reason)",
)
def reset_password(user_id: str, body: PasswordReset, actor: ActorDep, container: ContainerDep) -> None:
    account.reset_password(
        container.account_unit_of_work(),
        container.hasher,
        actor,
        user_id,
        body.new_password,
        body.reason,
        container.policy,
    )


@router.get(
    "/access-log",
    response_model=Page[AccessEventRead],
    summary="Logins, failed logins, lockouts, logouts (administrator; others their own)",
)
def access_log(
    actor: ActorDep,
    container: ContainerDep,
    page: PageDep,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AccessEventRead]:
    events = account.access_events(container.account_unit_of_work(), actor, user_id, 1000)
    return page_of(events, page, access_event_read)
