"""FastAPI dependencies: the container, the caller (bearer token), a unit of work, pagination.

A dependency that does no I/O is ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, a hand-off
that costs more than the dependency itself. Those that talk to the database stay plain functions.

Dependency aliases in the style of full-stack-fastapi-template ``backend/app/api/deps.py``: a route asks for
``ActorDep`` and gets the authenticated user's :class:`~mexards.domain.role.Actor` (role and sites), from
which the services decide everything else (permissions, site scoping, blinding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mexards.api.container import Container
from mexards.domain.role import Actor
from mexards.protocol.model import Protocol
from mexards.services.account import AuthenticationError, Principal, SessionKind, resolve_session
from mexards.services.port import UnitOfWork


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]

bearer_scheme = HTTPBearer(auto_error=False, description="A token from POST /api/auth/token.")


def api_principal(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("not logged in: send Authorization: Bearer <token>")
    return resolve_session(
        container.account_unit_of_work(), credentials.credentials, SessionKind.API, container.policy
    )


PrincipalDep = Annotated[Principal, Depends(api_principal)]


async def api_actor(principal: PrincipalDep) -> Actor:
    return principal.actor


ActorDep = Annotated[Actor, Depends(api_actor)]


async def unit_of_work(container: ContainerDep) -> UnitOfWork:
    return container.unit_of_work()


UoWDep = Annotated[UnitOfWork, Depends(unit_of_work)]


def trial_protocol(container: ContainerDep) -> Protocol:
    return container.protocol()


ProtocolDep = Annotated[Protocol, Depends(trial_protocol)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _client(request: Request) -> str:
    return client_address(request)


ClientDep = Annotated[str, Depends(_client)]


@dataclass(frozen=True)
class Pagination:
    offset: int
    limit: int


async def pagination(
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="items per page")] = 50,
) -> Pagination:
    return Pagination(offset, limit)


PageDep = Annotated[Pagination, Depends(pagination)]
