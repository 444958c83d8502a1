"""The one error hierarchy of mexards.

Only entrypoints translate these errors (problem+json in the API, ``field: rule`` and a non-zero exit in the
CLI). No message built here may name a treatment arm.
"""

from __future__ import annotations

from typing import Any


class MexardsError(Exception):
    """Base class of every error that mexards raises on purpose."""


class ValidationError(MexardsError):
    """A value broke a rule. ``field`` names the offending field (a dotted path where nested)."""

    def __init__(self, field: str, rule: str, value: Any = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        super().__init__(f"{field}: {rule}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.rule, self.value))


class ValidationErrors(ValidationError):
    """Several validation failures found at once (e.g. a whole file checked before anything is written)."""

    def __init__(self, errors: list[ValidationError]) -> None:
        if not errors:
            raise ValueError("ValidationErrors needs at least one error")
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.field, first.rule, first.value)
        self.args = ("\n".join(f"{e.field}: {e.rule}" for e in self.errors),)

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,))


class NotFoundError(MexardsError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class ConflictError(MexardsError):
    """The request conflicts with the current state (e.g. a slot already used)."""


class InvalidTransitionError(MexardsError):
    """A lifecycle action that the current state does not allow."""

    def __init__(self, state: str, action: str) -> None:
        self.state = state
        self.action = action
        super().__init__(f"cannot {action} from state {state}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.state, self.action))


class PermissionDeniedError(MexardsError):
    """The actor's role or site does not allow this."""


class DesignError(MexardsError):
    """A dose-finding or simulation design is mis-specified."""
