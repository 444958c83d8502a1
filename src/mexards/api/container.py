"""What the API and the web pages share for the lifetime of the application: settings, unit-of-work factories
(from the composition root), the password hasher, the account policy, the login throttle and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mexards.api.throttle import LoginThrottle
from mexards.config import Settings
from mexards.domain.errors import MexardsError, NotFoundError
from mexards.protocol.catalog import builtin_protocol
from mexards.protocol.model import Protocol
from mexards.services.account import SYSTEM_ACTOR, AccountPolicy, AccountUnitOfWork, PasswordHasher
from mexards.services.allocation import verify_allocation_list
from mexards.services.operation import current_trial
from mexards.services.port import Clock, UnitOfWork


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class HealthReport:
    database: Literal["ok", "unreachable"]
    schema_current: bool
    allocation_list: Literal["absent", "verified", "seal broken", "unknown"]


@dataclass
class Container:
    settings: Settings
    unit_of_work: Callable[[], UnitOfWork]
    account_unit_of_work: Callable[[], AccountUnitOfWork]
    hasher: PasswordHasher
    clock: Clock
    schema_current: Callable[[], bool] = lambda: True
    audit_log: Callable[..., list[Any]] = lambda **_: []
    policy: AccountPolicy = field(default_factory=AccountPolicy)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    close: Callable[[], None] = lambda: None
    _protocols: dict[str, Protocol] = field(default_factory=dict)

    def protocol(self) -> Protocol:
        """The protocol of the trial in this database (NotFoundError before the trial is started)."""
        with self.unit_of_work() as uow:
            trial = current_trial(uow)
        if trial.protocol_id not in self._protocols:
            self._protocols[trial.protocol_id] = builtin_protocol(trial.protocol_id)
        return self._protocols[trial.protocol_id]

    def verify_allocation_list(self) -> Literal["absent", "verified", "seal broken"]:
        """The start-up check of the sealed list (run as the system, which reads no arm)."""
        try:
            result = verify_allocation_list(self.unit_of_work(), SYSTEM_ACTOR)
        except NotFoundError:
            return "absent"
        return "verified" if result.ok else "seal broken"

    def health(self) -> HealthReport:
        try:
            current = self.schema_current()
        except Exception:
            return HealthReport("unreachable", False, "unknown")
        try:
            allocation = self.verify_allocation_list() if current else "unknown"
        except MexardsError:
            allocation = "unknown"
        return HealthReport("ok", current, allocation)
