"""What the API and the web pages share for the lifetime of the application: settings, unit-of-work factories
(from the composition root), the password hasher, the account policy, the login throttle and the clock."""

from __future__ import annotations

import threading
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
from mexards.services.allocation import ListSeal, seal_verified, stored_seal, verify_allocation_list
from mexards.services.operation import current_trial
from mexards.services.port import Clock, UnitOfWork


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


ListState = Literal["absent", "verified", "seal broken", "unknown"]


@dataclass(frozen=True)
class HealthReport:
    database: Literal["ok", "unreachable"]
    schema_current: bool
    allocation_list: ListState
    revision: str | None = None


@dataclass
class Container:
    settings: Settings
    unit_of_work: Callable[[], UnitOfWork]
    account_unit_of_work: Callable[[], AccountUnitOfWork]
    hasher: PasswordHasher
    clock: Clock
    schema_revision: Callable[[], str | None] = lambda: None
    """The database's migration revision (one small query)."""
    head_revision: str | None = None
    """The newest migration this software ships."""
    audit_log: Callable[..., list[Any]] = lambda **_: []
    policy: AccountPolicy = field(default_factory=AccountPolicy)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    close: Callable[[], None] = lambda: None
    _protocols: dict[str, Protocol] = field(default_factory=dict)
    _broken_seals: set[ListSeal] = field(default_factory=set)
    _verifying: threading.Lock = field(default_factory=threading.Lock)

    def protocol(self) -> Protocol:
        """The protocol of the trial in this database (NotFoundError before the trial is started)."""
        with self.unit_of_work() as uow:
            trial = current_trial(uow)
        if trial.protocol_id not in self._protocols:
            self._protocols[trial.protocol_id] = builtin_protocol(trial.protocol_id)
        return self._protocols[trial.protocol_id]

    def verify_allocation_list(self) -> Literal["absent", "verified", "seal broken"]:
        """Re-read the whole sealed list and check it against its seal (run as the system, which reads no
        arm): at start-up, and by the health check when the stored seal is one it has not seen."""
        try:
            result = verify_allocation_list(self.unit_of_work(), SYSTEM_ACTOR)
        except NotFoundError:
            return "absent"
        seal = ListSeal(result.list_id, result.sha256)
        if result.ok:
            self._broken_seals.discard(seal)
            return "verified"
        self._broken_seals.add(seal)
        return "seal broken"

    def allocation_list_state(self) -> Literal["absent", "verified", "seal broken"]:
        """The sealed list's state, cheaply: the stored header's (list id, seal) is read, and the whole list is
        re-read and re-hashed only if this process has not verified that seal yet (nor found it broken), or
        has since seen a stored slot differ from it. One verification at a time; the others wait for it."""
        seal = stored_seal(self.unit_of_work(), SYSTEM_ACTOR)
        if seal is None:
            return "absent"
        if seal_verified(seal):
            return "verified"
        if seal in self._broken_seals:
            return "seal broken"
        with self._verifying:
            if seal_verified(seal):
                return "verified"
            if seal in self._broken_seals:
                return "seal broken"
            return self.verify_allocation_list()

    def health(self) -> HealthReport:
        """Liveness, database reachability and migration revision (one small query), and the sealed list's
        state (see :meth:`allocation_list_state`)."""
        try:
            revision = self.schema_revision()
        except Exception:
            return HealthReport("unreachable", False, "unknown")
        current = revision is not None and revision == self.head_revision
        allocation: ListState = "unknown"
        if current:
            try:
                allocation = self.allocation_list_state()
            except MexardsError:
                allocation = "unknown"
        return HealthReport("ok", current, allocation, revision)
