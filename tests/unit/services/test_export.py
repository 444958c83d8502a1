"""Export auditing (edc-and-standards.md AUD-4): every export download is recorded with who, when, what, the
blinding and the site scope, and only roles the policy allows may export."""

from __future__ import annotations

import pytest

from mexards.domain.errors import PermissionDeniedError, ValidationError
from mexards.services.event import DataExported
from mexards.services.export import record_export, require_export
from mexards.services.policy import Action
from tests.unit.services.conftest import (
    COORDINATOR,
    PHARMACIST,
    SITE,
    START,
    STATISTICIAN,
    TrialSteps,
)


def test_an_export_is_recorded_with_the_user_the_time_the_file_and_its_scope(steps: TrialSteps) -> None:
    before = len(steps.uow.store.transactions)
    record_export(steps.uow, COORDINATOR, "participants.csv", 12)
    (entry,) = steps.uow.store.transactions[before:]
    (event,) = entry.events
    assert isinstance(event, DataExported) and entry.actor == COORDINATOR
    assert (event.document, event.document_id, event.file_format, event.rows) == (
        "data_export",
        "participants.csv",
        "csv",
        12,
    )
    assert event.blinded and event.site_ids == (SITE.value,) and event.occurred_at >= START


def test_an_unblinded_trial_wide_export_says_so(steps: TrialSteps) -> None:
    record_export(steps.uow, PHARMACIST, "participants.csv", 3)
    (event,) = steps.uow.store.transactions[-1].events
    assert isinstance(event, DataExported) and not event.blinded
    record_export(steps.uow, STATISTICIAN, "adverse-events.csv", 3)
    (event,) = steps.uow.store.transactions[-1].events
    assert isinstance(event, DataExported) and event.site_ids == () and event.blinded


def test_an_export_needs_the_read_permission_of_what_it_holds(steps: TrialSteps) -> None:
    require_export(COORDINATOR, Action.READ_PARTICIPANTS)
    with pytest.raises(PermissionDeniedError, match="read audit trail"):
        require_export(COORDINATOR, Action.READ_AUDIT_TRAIL)
    with pytest.raises(PermissionDeniedError):
        require_export(PHARMACIST, Action.READ_SAFETY)


def test_export_names_and_row_counts_are_checked(steps: TrialSteps) -> None:
    with pytest.raises(ValidationError) as refused:
        record_export(steps.uow, COORDINATOR, "../etc/passwd", 1)
    assert refused.value.field == "export"
    with pytest.raises(ValidationError) as refused:
        record_export(steps.uow, COORDINATOR, "participants.csv", -1)
    assert refused.value.field == "rows"
