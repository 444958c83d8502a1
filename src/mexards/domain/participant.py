"""The participant lifecycle as a table-driven state machine.

screened -> eligible | ineligible (screen failure, reasons kept) -> consented (by the participant or a legally
authorised representative) -> enrolled -> phase1_assigned (cohort, dose level) | randomized (Phase 2) ->
dosing (Days 1-7) -> follow_up -> completed. Withdrawal and death are allowed from every active state; loss
to follow-up from every state after enrolment. Terminal states allow nothing.

Step sequencing is a Part 11 operational check (21 CFR 11.10(f), ``edc-and-standards.md`` SYS-2): no
randomization before eligibility and consent, no dosing before assignment. A randomized participant who never
receives a dose still enters follow-up (intention to treat, CONSORT 2010 item 16). The randomization is
recorded by stratum, sequence number and kit code only; the arm stays in the sealed list (BLD-2, RND-6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from mexards.domain.dose import DOSING_DAYS, DoseLevel
from mexards.domain.errors import ConflictError, InvalidTransitionError, ValidationError
from mexards.domain.event import (
    DoseAdministered,
    FollowUpStarted,
    ParticipantAssignedToCohort,
    ParticipantCompleted,
    ParticipantConsented,
    ParticipantDied,
    ParticipantEnrolled,
    ParticipantFoundEligible,
    ParticipantLostToFollowUp,
    ParticipantRandomized,
    ParticipantScreened,
    ParticipantScreenFailed,
    ParticipantUnblinded,
    ParticipantWithdrawn,
)
from mexards.domain.identifier import ParticipantId, SiteId
from mexards.domain.study_day import StudyDay
from mexards.domain.unblinding import Unblinding
from mexards.domain.validation import calendar_date, enum_member, not_before, required_text, utc_datetime


class ParticipantState(StrEnum):
    SCREENED = "screened"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    CONSENTED = "consented"
    ENROLLED = "enrolled"
    PHASE1_ASSIGNED = "phase1_assigned"
    RANDOMIZED = "randomized"
    DOSING = "dosing"
    FOLLOW_UP = "follow_up"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    DIED = "died"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"

    @property
    def is_terminal(self) -> bool:
        return not allowed_actions(self)


class ParticipantAction(StrEnum):
    CONFIRM_ELIGIBILITY = "confirm_eligibility"
    FAIL_SCREENING = "fail_screening"
    CONSENT = "consent"
    ENROL = "enrol"
    ASSIGN_TO_COHORT = "assign_to_cohort"
    RANDOMIZE = "randomize"
    ADMINISTER_DOSE = "administer_dose"
    START_FOLLOW_UP = "start_follow_up"
    COMPLETE = "complete"
    WITHDRAW = "withdraw"
    RECORD_DEATH = "record_death"
    MARK_LOST_TO_FOLLOW_UP = "mark_lost_to_follow_up"


S = ParticipantState
A = ParticipantAction
_ACTIVE = (
    S.SCREENED,
    S.ELIGIBLE,
    S.CONSENTED,
    S.ENROLLED,
    S.PHASE1_ASSIGNED,
    S.RANDOMIZED,
    S.DOSING,
    S.FOLLOW_UP,
)
_AFTER_ENROLMENT = (S.ENROLLED, S.PHASE1_ASSIGNED, S.RANDOMIZED, S.DOSING, S.FOLLOW_UP)

_TABLE: dict[tuple[ParticipantState, ParticipantAction], ParticipantState] = {
    (S.SCREENED, A.CONFIRM_ELIGIBILITY): S.ELIGIBLE,
    (S.SCREENED, A.FAIL_SCREENING): S.INELIGIBLE,
    (S.ELIGIBLE, A.CONSENT): S.CONSENTED,
    (S.CONSENTED, A.ENROL): S.ENROLLED,
    (S.ENROLLED, A.ASSIGN_TO_COHORT): S.PHASE1_ASSIGNED,
    (S.ENROLLED, A.RANDOMIZE): S.RANDOMIZED,
    (S.PHASE1_ASSIGNED, A.ADMINISTER_DOSE): S.DOSING,
    (S.RANDOMIZED, A.ADMINISTER_DOSE): S.DOSING,
    (S.DOSING, A.ADMINISTER_DOSE): S.DOSING,
    (S.PHASE1_ASSIGNED, A.START_FOLLOW_UP): S.FOLLOW_UP,
    (S.RANDOMIZED, A.START_FOLLOW_UP): S.FOLLOW_UP,
    (S.DOSING, A.START_FOLLOW_UP): S.FOLLOW_UP,
    (S.FOLLOW_UP, A.COMPLETE): S.COMPLETED,
    **{(state, A.WITHDRAW): S.WITHDRAWN for state in _ACTIVE},
    **{(state, A.RECORD_DEATH): S.DIED for state in _ACTIVE},
    **{(state, A.MARK_LOST_TO_FOLLOW_UP): S.LOST_TO_FOLLOW_UP for state in _AFTER_ENROLMENT},
}
del S, A

TRANSITIONS: Mapping[tuple[ParticipantState, ParticipantAction], ParticipantState] = MappingProxyType(_TABLE)
"""Every allowed (state, action) -> next state. Anything not listed raises InvalidTransitionError."""


def allowed_actions(state: ParticipantState) -> frozenset[ParticipantAction]:
    """The actions allowed from ``state``."""
    return frozenset(action for (source, action) in TRANSITIONS if source is state)


def next_state(state: ParticipantState, action: ParticipantAction) -> ParticipantState:
    """The state after ``action`` from ``state``; InvalidTransitionError if the table does not allow it."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransitionError(state.value, action.value) from None


class ConsentSigner(StrEnum):
    SUBJECT = "subject"
    LEGALLY_AUTHORISED_REPRESENTATIVE = "legally_authorised_representative"


@dataclass(frozen=True, slots=True)
class Consent:
    """Who gave informed consent, on which version of the form, and when (ICH E6(R3) 2.8; 21 CFR 50.27).

    Ventilated ARDS patients usually cannot consent, so a legally authorised representative may sign; the
    relationship to the participant is then required (``clinical-examples.md`` P0: consent by his wife).
    """

    signed_by: ConsentSigner
    consent_version: str
    consented_at: datetime
    representative_relationship: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "signed_by", enum_member(ConsentSigner, "consent.signed_by", self.signed_by))
        object.__setattr__(
            self, "consent_version", required_text("consent.consent_version", self.consent_version, 40)
        )
        object.__setattr__(self, "consented_at", utc_datetime("consent.consented_at", self.consented_at))
        if self.signed_by is ConsentSigner.LEGALLY_AUTHORISED_REPRESENTATIVE:
            relationship = required_text(
                "consent.representative_relationship", self.representative_relationship, 100
            )
            object.__setattr__(self, "representative_relationship", relationship)
        elif self.representative_relationship is not None:
            raise ValidationError(
                "consent.representative_relationship",
                "is only recorded when a legally authorised representative signs",
                self.representative_relationship,
            )


@dataclass(frozen=True, slots=True)
class RandomizationRecord:
    """The sealed-list slot a participant received: stratum, sequence number and kit code (no arm)."""

    stratum: str
    sequence_number: int
    kit_code: str
    randomized_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "stratum", required_text("randomization.stratum", self.stratum, 500))
        number = self.sequence_number
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValidationError(
                "randomization.sequence_number", "must be a whole number, at least 1", number
            )
        object.__setattr__(self, "kit_code", required_text("randomization.kit_code", self.kit_code, 40))
        object.__setattr__(
            self, "randomized_at", utc_datetime("randomization.randomized_at", self.randomized_at)
        )


@dataclass(eq=False)
class Participant:
    """A person in the trial, from screening to the end of follow-up. Create with :meth:`screen`."""

    participant_id: ParticipantId
    site_id: SiteId
    screened_at: datetime
    state: ParticipantState = ParticipantState.SCREENED
    state_changed_at: datetime | None = None
    screen_failure_reasons: tuple[str, ...] = ()
    consent: Consent | None = None
    enrolled_at: datetime | None = None
    cohort_number: int | None = None
    dose_level: DoseLevel | None = None
    randomization: RandomizationRecord | None = None
    dosed_days: tuple[int, ...] = ()
    first_dose_at: datetime | None = None
    end_reason: str | None = None
    died_on: date | None = None
    unblinded_at: datetime | None = None
    dosing_days: int = field(default=DOSING_DAYS)

    def __post_init__(self) -> None:
        if not isinstance(self.participant_id, ParticipantId):
            raise ValidationError("participant_id", "must be a ParticipantId", self.participant_id)
        if not isinstance(self.site_id, SiteId):
            raise ValidationError("site_id", "must be a SiteId", self.site_id)
        self.screened_at = utc_datetime("screened_at", self.screened_at)
        self.state = enum_member(ParticipantState, "state", self.state)
        if self.state_changed_at is None:
            self.state_changed_at = self.screened_at
        else:
            self.state_changed_at = utc_datetime("state_changed_at", self.state_changed_at)

    @classmethod
    def screen(
        cls, participant_id: ParticipantId, site_id: SiteId, screened_at: datetime
    ) -> tuple[Participant, ParticipantScreened]:
        """Start the record of a screened patient."""
        participant = cls(participant_id, site_id, screened_at)
        return participant, ParticipantScreened(
            participant_id=participant_id, site_id=site_id, occurred_at=participant.screened_at
        )

    # -- transitions -------------------------------------------------------------------------------------

    def _move(
        self, action: ParticipantAction, field_name: str, at: datetime
    ) -> tuple[ParticipantState, datetime]:
        """Check the table first (so a forbidden action is always InvalidTransitionError), then the time."""
        target = next_state(self.state, action)
        at = utc_datetime(field_name, at)
        not_before(field_name, at, self.state_changed_at, "the previous step")
        return target, at

    def _enter(self, target: ParticipantState, at: datetime) -> None:
        self.state = target
        self.state_changed_at = at

    def confirm_eligibility(self, at: datetime) -> ParticipantFoundEligible:
        target, at = self._move(ParticipantAction.CONFIRM_ELIGIBILITY, "eligible_at", at)
        self._enter(target, at)
        return ParticipantFoundEligible(participant_id=self.participant_id, occurred_at=at)

    def fail_screening(self, reasons: Sequence[str], at: datetime) -> ParticipantScreenFailed:
        """Screen failure; every unmet criterion is kept as a reason, not only the first."""
        target, at = self._move(ParticipantAction.FAIL_SCREENING, "ineligible_at", at)
        if isinstance(reasons, str) or not reasons:
            raise ValidationError("reasons", "at least one screen-failure reason is required", reasons)
        kept = tuple(required_text(f"reasons[{i}]", reason, 500) for i, reason in enumerate(reasons))
        self.screen_failure_reasons = kept
        self._enter(target, at)
        return ParticipantScreenFailed(participant_id=self.participant_id, reasons=kept, occurred_at=at)

    def give_consent(self, consent: Consent) -> ParticipantConsented:
        if not isinstance(consent, Consent):
            next_state(self.state, ParticipantAction.CONSENT)
            raise ValidationError("consent", "must be a Consent record", consent)
        target, at = self._move(ParticipantAction.CONSENT, "consent.consented_at", consent.consented_at)
        self.consent = consent
        self._enter(target, at)
        return ParticipantConsented(
            participant_id=self.participant_id,
            signed_by=consent.signed_by.value,
            representative_relationship=consent.representative_relationship,
            consent_version=consent.consent_version,
            occurred_at=at,
        )

    def enrol(self, at: datetime) -> ParticipantEnrolled:
        target, at = self._move(ParticipantAction.ENROL, "enrolled_at", at)
        self.enrolled_at = at
        self._enter(target, at)
        return ParticipantEnrolled(participant_id=self.participant_id, occurred_at=at)

    def assign_to_cohort(
        self, cohort_number: int, dose_level: DoseLevel, at: datetime
    ) -> ParticipantAssignedToCohort:
        """Phase 1: open-label assignment to a dose-escalation cohort at a dose level."""
        target, at = self._move(ParticipantAction.ASSIGN_TO_COHORT, "assigned_at", at)
        if isinstance(cohort_number, bool) or not isinstance(cohort_number, int) or cohort_number < 1:
            raise ValidationError("cohort_number", "must be a whole number, at least 1", cohort_number)
        if not isinstance(dose_level, DoseLevel):
            raise ValidationError("dose_level", "must be a DoseLevel", dose_level)
        self.cohort_number = cohort_number
        self.dose_level = dose_level
        self._enter(target, at)
        return ParticipantAssignedToCohort(
            participant_id=self.participant_id,
            cohort_number=cohort_number,
            dose_level=dose_level,
            occurred_at=at,
        )

    def randomize(self, record: RandomizationRecord) -> ParticipantRandomized:
        """Phase 2: record the allocated slot (irrevocable; one randomization per participant, RND-5)."""
        if not isinstance(record, RandomizationRecord):
            next_state(self.state, ParticipantAction.RANDOMIZE)
            raise ValidationError("randomization", "must be a RandomizationRecord", record)
        target, at = self._move(
            ParticipantAction.RANDOMIZE, "randomization.randomized_at", record.randomized_at
        )
        self.randomization = record
        self._enter(target, at)
        return ParticipantRandomized(
            participant_id=self.participant_id,
            stratum=record.stratum,
            sequence_number=record.sequence_number,
            kit_code=record.kit_code,
            occurred_at=at,
        )

    def administer_dose(self, study_day: int | StudyDay, administered_at: datetime) -> DoseAdministered:
        """A dose was inhaled. The first dose defines Day 1; later doses fall on later days up to the last."""
        target, at = self._move(ParticipantAction.ADMINISTER_DOSE, "administered_at", administered_at)
        day = study_day.value if isinstance(study_day, StudyDay) else StudyDay(study_day).value
        if not self.dosed_days and day != 1:
            raise ValidationError("study_day", "the first dose defines Day 1", day)
        if day > self.dosing_days:
            raise ValidationError("study_day", f"dosing days are 1 to {self.dosing_days}", day)
        if day in self.dosed_days:
            raise ConflictError(f"study_day: a dose is already recorded for Day {day}")
        if self.dosed_days and day < self.dosed_days[-1]:
            raise ValidationError("study_day", "must be after the last recorded dose day", day)
        if self.first_dose_at is None:
            self.first_dose_at = at
        self.dosed_days = (*self.dosed_days, day)
        self._enter(target, at)
        return DoseAdministered(participant_id=self.participant_id, study_day=day, occurred_at=at)

    def start_follow_up(self, at: datetime) -> FollowUpStarted:
        target, at = self._move(ParticipantAction.START_FOLLOW_UP, "follow_up_started_at", at)
        self._enter(target, at)
        return FollowUpStarted(
            participant_id=self.participant_id, doses_received=len(self.dosed_days), occurred_at=at
        )

    def complete(self, at: datetime) -> ParticipantCompleted:
        target, at = self._move(ParticipantAction.COMPLETE, "completed_at", at)
        self._enter(target, at)
        return ParticipantCompleted(participant_id=self.participant_id, occurred_at=at)

    def withdraw(self, reason: str, at: datetime) -> ParticipantWithdrawn:
        source = self.state
        target, at = self._move(ParticipantAction.WITHDRAW, "withdrawn_at", at)
        self.end_reason = required_text("reason", reason, 500)
        self._enter(target, at)
        return ParticipantWithdrawn(
            participant_id=self.participant_id,
            reason=self.end_reason,
            from_state=source.value,
            occurred_at=at,
        )

    def record_death(self, died_on: date, recorded_at: datetime) -> ParticipantDied:
        source = self.state
        target, at = self._move(ParticipantAction.RECORD_DEATH, "recorded_at", recorded_at)
        died_on = calendar_date("died_on", died_on)
        if died_on > at.date():
            raise ValidationError("died_on", "must not be after recorded_at", died_on)
        if died_on < self.screened_at.date():
            raise ValidationError("died_on", "must not be before screening", died_on)
        self.died_on = died_on
        self._enter(target, at)
        return ParticipantDied(
            participant_id=self.participant_id, died_on=died_on, from_state=source.value, occurred_at=at
        )

    def mark_lost_to_follow_up(self, at: datetime) -> ParticipantLostToFollowUp:
        source = self.state
        target, at = self._move(ParticipantAction.MARK_LOST_TO_FOLLOW_UP, "lost_at", at)
        self._enter(target, at)
        return ParticipantLostToFollowUp(
            participant_id=self.participant_id, from_state=source.value, occurred_at=at
        )

    def apply(self, action: ParticipantAction, **arguments: object) -> object:
        """Dispatch ``action`` to its method (for table-driven callers); returns the event."""
        method = getattr(self, _METHOD[enum_member(ParticipantAction, "action", action)])
        return method(**arguments)

    # -- not a lifecycle transition ----------------------------------------------------------------------

    def mark_unblinded(self, unblinding: Unblinding) -> ParticipantUnblinded:
        """Flag this participant as unblinded (BLD-3); the lifecycle state does not change."""
        if not isinstance(unblinding, Unblinding):
            raise ValidationError("unblinding", "must be an Unblinding record", unblinding)
        if unblinding.participant_id != self.participant_id:
            raise ValidationError(
                "unblinding.participant_id", "must be this participant", unblinding.participant_id
            )
        if self.randomization is None:
            raise ConflictError("participant was never randomized, so there is nothing to unblind")
        if self.unblinded_at is None:
            self.unblinded_at = unblinding.unblinded_at
        return ParticipantUnblinded(
            participant_id=self.participant_id,
            unblinding_id=unblinding.unblinding_id,
            kind=unblinding.kind.value,
            reason=unblinding.reason,
            unblinded_by=unblinding.actor.user_id,
            occurred_at=unblinding.unblinded_at,
        )

    @property
    def is_unblinded(self) -> bool:
        return self.unblinded_at is not None


_METHOD = {
    ParticipantAction.CONFIRM_ELIGIBILITY: "confirm_eligibility",
    ParticipantAction.FAIL_SCREENING: "fail_screening",
    ParticipantAction.CONSENT: "give_consent",
    ParticipantAction.ENROL: "enrol",
    ParticipantAction.ASSIGN_TO_COHORT: "assign_to_cohort",
    ParticipantAction.RANDOMIZE: "randomize",
    ParticipantAction.ADMINISTER_DOSE: "administer_dose",
    ParticipantAction.START_FOLLOW_UP: "start_follow_up",
    ParticipantAction.COMPLETE: "complete",
    ParticipantAction.WITHDRAW: "withdraw",
    ParticipantAction.RECORD_DEATH: "record_death",
    ParticipantAction.MARK_LOST_TO_FOLLOW_UP: "mark_lost_to_follow_up",
}
