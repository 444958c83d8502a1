"""Logging in and out of the API: bearer tokens (``POST /api/auth/token``), the caller's own account and
password. Token requests are throttled per client address and per user id; accounts lock after repeated failures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, ClientDep, ContainerDep, PrincipalDep, bearer_scheme
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.user import UserRead, user_read
from mexards.services import account
from mexards.services.account import SessionKind

router = APIRouter(prefix="/api/auth", tags=["authentication"], responses=PROBLEM_RESPONSES)


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserRead


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


@router.post("/token", response_model=TokenRead, summary="Log in: exchange user id and password for a token")
def issue_token(body: TokenRequest, container: ContainerDep, client: ClientDep) -> TokenRead:
    container.throttle.check(client, body.user_id)
    issued = account.login(
        container.account_unit_of_work(),
        container.hasher,
        body.user_id,
        body.password,
        SessionKind.API,
        client,
        container.policy,
    )
    return TokenRead(
        access_token=issued.token, expires_at=issued.session.expires_at, user=user_read(issued.user)
    )


@router.delete("/token", status_code=status.HTTP_204_NO_CONTENT, summary="Log out: revoke this token")
def revoke_token(
    principal: PrincipalDep,
    container: ContainerDep,
    client: ClientDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> None:
    if credentials is not None:
        account.logout(container.account_unit_of_work(), credentials.credentials, client)


@router.get("/me", response_model=UserRead, summary="The caller's account")
def me(principal: PrincipalDep) -> UserRead:
    return user_read(principal.user)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, summary="Change one's own password")
def change_password(body: PasswordChange, actor: ActorDep, container: ContainerDep) -> None:
    account.change_password(
        container.account_unit_of_work(),
        container.hasher,
        actor,
        body.current_password,
        body.new_password,
        container.policy,
    )
