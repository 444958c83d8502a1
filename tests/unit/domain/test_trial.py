"""Trial status transitions and database lock (ICH E6(R3) 3.16.1(r); edc-and-standards.md SYS-7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from mexards.domain.dose import Arm, ArmKind
from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.identifier import UserId
from mexards.domain.role import Actor, Role
from mexards.domain.trial import STATUS_TRANSITIONS, LockState, Trial, TrialAction, TrialStatus

AT = datetime(2025, 1, 1, tzinfo=UTC)
ADMIN = Actor(UserId("admin"), Role.ADMINISTRATOR)


def trial_in(status: TrialStatus) -> Trial:
    return Trial("NCT04602104", "1.0", status=status)


@pytest.mark.parametrize("status", list(TrialStatus))
@pytest.mark.parametrize("action", list(TrialAction))
def test_each_status_and_action_follows_the_table_or_raises(status: TrialStatus, action: TrialAction) -> None:
    trial = trial_in(status)
    if (status, action) in STATUS_TRANSITIONS:
        event = trial.change_status(action, AT)
        assert trial.status is STATUS_TRANSITIONS[(status, action)]
        assert (event.from_status, event.to_status) == (status.value, trial.status.value)
    else:
        with pytest.raises(InvalidTransitionError):
            trial.change_status(action, AT)
        assert trial.status is status


def test_the_database_locks_only_after_recruitment_and_then_refuses_changes() -> None:
    trial = trial_in(TrialStatus.RECRUITING)
    with pytest.raises(ConflictError, match="cannot be locked"):
        trial.lock(ADMIN, AT)
    trial.change_status(TrialAction.CLOSE_RECRUITMENT, AT)
    trial.lock(ADMIN, AT + timedelta(days=1))
    assert trial.lock_state is LockState.LOCKED
    with pytest.raises(ConflictError, match="locked"):
        trial.change_status(TrialAction.COMPLETE, AT + timedelta(days=2))
    with pytest.raises(InvalidTransitionError):
        trial.lock(ADMIN, AT + timedelta(days=2))


def test_unlocking_needs_an_administrator_and_a_reason() -> None:
    trial = trial_in(TrialStatus.COMPLETED)
    trial.lock(ADMIN, AT)
    with pytest.raises(PermissionDeniedError):
        trial.unlock(Actor(UserId("pi"), Role.PRINCIPAL_INVESTIGATOR), "fix", AT + timedelta(hours=1))
    with pytest.raises(ValidationError, match="reason"):
        trial.unlock(ADMIN, "", AT + timedelta(hours=1))
    event = trial.unlock(ADMIN, "query resolution on D28 data", AT + timedelta(hours=1))
    assert event.reason == "query resolution on D28 data" and not trial.is_locked


def test_a_fraction_of_mtd_arm_has_no_dose_before_phase2() -> None:
    arm = Arm("QMTD", ArmKind.FRACTION_OF_MTD, fraction_of_mtd=Fraction(1, 4))
    trial = trial_in(TrialStatus.RECRUITING)
    with pytest.raises(ValidationError, match="mtd_dose_particles"):
        trial.daily_dose_particles(arm)
    trial.mtd_dose_particles = 1_600_000_000
    assert trial.daily_dose_particles(arm) == 400_000_000
