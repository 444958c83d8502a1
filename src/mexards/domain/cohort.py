"""Phase 1 cohorts and DLT adjudication.

A cohort is a group of participants treated at one dose level in the dose-escalation phase. It is open while
participants are added, closed when full, and reviewed once every participant's DLT window has ended and each
DLT adjudication has been confirmed by an investigator (``edc-and-standards.md`` RND-9 and SYS-2: no
escalation before the DLT review is complete). The DLT window runs from the first nebulisation to 24 h after
the last (``clinical.md`` 3.9, PROPOSAL).

A DLT adjudication starts as the rule's proposal (the DLT definition applied to the recorded events) and
becomes final only when an investigator confirms it; disagreeing with the rule requires a written reason. A
participant who had a DLT is DLT-evaluable by definition (3+3 convention, Storer 1989).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from mexards.domain.dose import DoseLevel
from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.event import CohortClosed, CohortOpened, CohortReviewed, DLTConfirmed, DLTProposed
from mexards.domain.identifier import ParticipantId, UserId, checked_code
from mexards.domain.role import Actor
from mexards.domain.validation import (
    enum_member,
    not_before,
    optional_utc_datetime,
    required_text,
    utc_datetime,
)

DLT_WINDOW_AFTER_LAST_DOSE = timedelta(hours=24)
"""The DLT window ends 24 h after the last nebulisation (``clinical.md`` 3.9)."""


def dlt_window_end(
    last_dose_at: datetime, after_last_dose: timedelta = DLT_WINDOW_AFTER_LAST_DOSE
) -> datetime:
    """When a participant's DLT observation window ends, given the time of the last dose."""
    if not isinstance(after_last_dose, timedelta) or after_last_dose < timedelta(0):
        raise ValidationError("after_last_dose", "must be a non-negative duration", after_last_dose)
    return utc_datetime("last_dose_at", last_dose_at) + after_last_dose


@dataclass(eq=False)
class DLTAdjudication:
    """Whether one participant had a dose-limiting toxicity: the rule's proposal, then the confirmation."""

    adjudication_id: str
    participant_id: ParticipantId
    cohort_number: int
    proposed_is_dlt: bool
    rule: str
    proposed_at: datetime
    adverse_event_ids: tuple[str, ...] = ()
    is_dlt: bool | None = None
    evaluable: bool | None = None
    confirmed_by: UserId | None = None
    confirmed_at: datetime | None = None
    override_reason: str | None = None

    def __post_init__(self) -> None:
        self.adjudication_id = checked_code("adjudication_id", self.adjudication_id)
        if not isinstance(self.participant_id, ParticipantId):
            raise ValidationError("participant_id", "must be a ParticipantId", self.participant_id)
        _cohort_number(self.cohort_number)
        if not isinstance(self.proposed_is_dlt, bool):
            raise ValidationError("proposed_is_dlt", "must be true or false", self.proposed_is_dlt)
        self.rule = required_text("rule", self.rule, 500)
        self.proposed_at = utc_datetime("proposed_at", self.proposed_at)
        self.adverse_event_ids = tuple(
            checked_code(f"adverse_event_ids[{i}]", ae) for i, ae in enumerate(self.adverse_event_ids)
        )
        self.confirmed_at = optional_utc_datetime("confirmed_at", self.confirmed_at)

    @classmethod
    def propose(
        cls,
        adjudication_id: str,
        participant_id: ParticipantId,
        cohort_number: int,
        proposed_is_dlt: bool,
        rule: str,
        proposed_at: datetime,
        adverse_event_ids: Iterable[str] = (),
    ) -> tuple[DLTAdjudication, DLTProposed]:
        """Record the rule's proposal (e.g. the outcome of the DLT definition of ``clinical.md`` 3.9)."""
        adjudication = cls(
            adjudication_id, participant_id, cohort_number, proposed_is_dlt, rule, proposed_at,
            tuple(adverse_event_ids),
        )  # fmt: skip
        return adjudication, DLTProposed(
            participant_id=participant_id,
            adjudication_id=adjudication.adjudication_id,
            proposed_is_dlt=proposed_is_dlt,
            rule=adjudication.rule,
            occurred_at=adjudication.proposed_at,
        )

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def state(self) -> str:
        return "confirmed" if self.is_confirmed else "proposed"

    def confirm(
        self,
        actor: Actor,
        *,
        is_dlt: bool,
        evaluable: bool,
        confirmed_at: datetime,
        override_reason: str | None = None,
    ) -> DLTConfirmed:
        """An investigator confirms (or overrides, with a reason) the rule's proposal. Final once done."""
        if self.is_confirmed:
            raise InvalidTransitionError(self.state, "confirm")
        if not isinstance(actor, Actor) or not actor.role.is_investigator:
            raise PermissionDeniedError("only an investigator may confirm a DLT adjudication")
        if not isinstance(is_dlt, bool):
            raise ValidationError("is_dlt", "must be true or false", is_dlt)
        if not isinstance(evaluable, bool):
            raise ValidationError("evaluable", "must be true or false", evaluable)
        if is_dlt and not evaluable:
            raise ValidationError("evaluable", "a participant with a DLT is DLT-evaluable", evaluable)
        at = utc_datetime("confirmed_at", confirmed_at)
        not_before("confirmed_at", at, self.proposed_at, "proposed_at")
        overrides = is_dlt != self.proposed_is_dlt
        reason = None
        if overrides or override_reason is not None:
            reason = required_text("override_reason", override_reason, 1000)
        self.is_dlt, self.evaluable, self.confirmed_by = is_dlt, evaluable, actor.user_id
        self.confirmed_at, self.override_reason = at, reason
        return DLTConfirmed(
            participant_id=self.participant_id,
            adjudication_id=self.adjudication_id,
            is_dlt=is_dlt,
            evaluable=evaluable,
            confirmed_by=actor.user_id,
            overrides_rule=overrides,
            occurred_at=at,
        )


class CohortState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    REVIEWED = "reviewed"


def _cohort_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("cohort_number", "must be a whole number, at least 1", value)
    return value


@dataclass(eq=False)
class Cohort:
    """A Phase 1 dose-escalation cohort at one dose level."""

    cohort_number: int
    dose_level: DoseLevel
    opened_at: datetime
    capacity: int | None = None
    participant_ids: list[ParticipantId] = field(default_factory=list)
    state: CohortState = CohortState.OPEN
    closed_at: datetime | None = None
    dlt_window_ends_at: datetime | None = None
    reviewed_at: datetime | None = None
    evaluable_participants: int | None = None
    dlt_participants: int | None = None

    def __post_init__(self) -> None:
        _cohort_number(self.cohort_number)
        if not isinstance(self.dose_level, DoseLevel):
            raise ValidationError("dose_level", "must be a DoseLevel", self.dose_level)
        self.opened_at = utc_datetime("opened_at", self.opened_at)
        if self.capacity is not None and (
            isinstance(self.capacity, bool) or not isinstance(self.capacity, int) or self.capacity < 1
        ):
            raise ValidationError("capacity", "must be a whole number, at least 1", self.capacity)
        self.state = enum_member(CohortState, "state", self.state)

    @classmethod
    def open(
        cls, cohort_number: int, dose_level: DoseLevel, opened_at: datetime, capacity: int | None = None
    ) -> tuple[Cohort, CohortOpened]:
        cohort = cls(cohort_number, dose_level, opened_at, capacity)
        return cohort, CohortOpened(
            cohort_number=cohort_number, dose_level=dose_level, occurred_at=cohort.opened_at
        )

    def add_participant(self, participant_id: ParticipantId) -> None:
        """Add a participant to the open cohort (their own event is ParticipantAssignedToCohort)."""
        if self.state is not CohortState.OPEN:
            raise InvalidTransitionError(self.state.value, "add_participant")
        if not isinstance(participant_id, ParticipantId):
            raise ValidationError("participant_id", "must be a ParticipantId", participant_id)
        if participant_id in self.participant_ids:
            raise ConflictError(f"participant {participant_id} is already in cohort {self.cohort_number}")
        if self.capacity is not None and len(self.participant_ids) >= self.capacity:
            raise ConflictError(f"cohort {self.cohort_number} is full ({self.capacity} participants)")
        self.participant_ids.append(participant_id)

    def close(self, closed_at: datetime, dlt_window_ends_at: datetime) -> CohortClosed:
        """No more participants; the cohort can be reviewed once ``dlt_window_ends_at`` has passed."""
        if self.state is not CohortState.OPEN:
            raise InvalidTransitionError(self.state.value, "close")
        if not self.participant_ids:
            raise ValidationError("participant_ids", "a cohort needs at least one participant to close", [])
        at = utc_datetime("closed_at", closed_at)
        not_before("closed_at", at, self.opened_at, "opened_at")
        window_end = utc_datetime("dlt_window_ends_at", dlt_window_ends_at)
        not_before("dlt_window_ends_at", window_end, self.opened_at, "opened_at")
        self.state, self.closed_at, self.dlt_window_ends_at = CohortState.CLOSED, at, window_end
        return CohortClosed(
            cohort_number=self.cohort_number, participants=len(self.participant_ids), occurred_at=at
        )

    def review(
        self,
        adjudications: Mapping[ParticipantId, DLTAdjudication] | Iterable[DLTAdjudication],
        reviewed_at: datetime,
    ) -> CohortReviewed:
        """Count DLT-evaluable participants and DLTs from the confirmed adjudications of every participant."""
        if self.state is not CohortState.CLOSED:
            raise InvalidTransitionError(self.state.value, "review")
        at = utc_datetime("reviewed_at", reviewed_at)
        assert self.dlt_window_ends_at is not None
        not_before("reviewed_at", at, self.dlt_window_ends_at, "the end of the DLT window")
        items = adjudications.values() if isinstance(adjudications, Mapping) else adjudications
        by_participant: dict[ParticipantId, DLTAdjudication] = {}
        for adjudication in items:
            if (
                adjudication.cohort_number != self.cohort_number
                or adjudication.participant_id not in self.participant_ids
            ):
                raise ValidationError(
                    "adjudications", "must belong to this cohort's participants", adjudication.adjudication_id
                )
            if adjudication.participant_id in by_participant:
                raise ConflictError(
                    f"participant {adjudication.participant_id} has more than one adjudication"
                )
            by_participant[adjudication.participant_id] = adjudication
        missing = [str(p) for p in self.participant_ids if p not in by_participant]
        if missing:
            raise ValidationError("adjudications", "every participant needs an adjudication", missing)
        unconfirmed = [str(p) for p, a in by_participant.items() if not a.is_confirmed]
        if unconfirmed:
            raise ValidationError(
                "adjudications", "every adjudication must be confirmed by an investigator", unconfirmed
            )
        evaluable = sum(1 for a in by_participant.values() if a.evaluable)
        dlts = sum(1 for a in by_participant.values() if a.is_dlt)
        self.state, self.reviewed_at = CohortState.REVIEWED, at
        self.evaluable_participants, self.dlt_participants = evaluable, dlts
        return CohortReviewed(
            cohort_number=self.cohort_number,
            dose_level=self.dose_level,
            evaluable_participants=evaluable,
            dlt_participants=dlts,
            occurred_at=at,
        )
