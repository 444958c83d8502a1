"""The permission table (edc-and-standards.md 2.2, BLD-1, AUD-7): AE entry by site staff and relatedness by
investigators, audit-trail readers, exports, the DSMB's closed-session report, queries."""

from __future__ import annotations

from mexards.domain.role import Role
from mexards.services.policy import PERMISSIONS, Action, is_allowed, sees_arms, sees_unblinded_aggregates
from tests.unit.services.conftest import make_actor

R = Role


def test_every_action_has_a_row() -> None:
    assert set(PERMISSIONS) == set(Action)


def test_site_staff_record_adverse_events_and_only_investigators_assess_relatedness() -> None:
    assert PERMISSIONS[Action.RECORD_ADVERSE_EVENT] == {
        R.PRINCIPAL_INVESTIGATOR,
        R.INVESTIGATOR,
        R.COORDINATOR,
    }
    assert PERMISSIONS[Action.ASSESS_RELATEDNESS] == {R.PRINCIPAL_INVESTIGATOR, R.INVESTIGATOR}


def test_the_audit_trail_is_read_by_administrators_monitors_investigators_and_statisticians() -> None:
    assert PERMISSIONS[Action.READ_AUDIT_TRAIL] == {
        R.ADMINISTRATOR,
        R.MONITOR,
        R.PRINCIPAL_INVESTIGATOR,
        R.INVESTIGATOR,
        R.STATISTICIAN,
        R.UNBLINDED_STATISTICIAN,
    }
    assert PERMISSIONS[Action.READ_UNBLINDED_AUDIT_TRAIL] == {R.UNBLINDED_STATISTICIAN}


def test_only_the_dsmb_reads_the_closed_session_report_and_no_dsmb_member_sees_a_participants_arm() -> None:
    dsmb = make_actor(R.DSMB_MEMBER)
    assert PERMISSIONS[Action.READ_CLOSED_SESSION_REPORT] == {R.DSMB_MEMBER}
    assert not is_allowed(dsmb, Action.READ_ARM) and not is_allowed(dsmb, Action.READ_ALLOCATION_STATUS)
    assert not sees_arms(dsmb) and sees_unblinded_aggregates(dsmb)
    assert {r for r in R if sees_unblinded_aggregates(make_actor(r))} == {
        R.PHARMACIST,
        R.UNBLINDED_STATISTICIAN,
        R.DSMB_MEMBER,
    }


def test_queries_are_raised_by_data_management_and_answered_by_site_staff() -> None:
    assert PERMISSIONS[Action.RAISE_QUERY] == {R.MONITOR, R.ADMINISTRATOR, R.STATISTICIAN}
    assert PERMISSIONS[Action.ANSWER_QUERY] == {R.PRINCIPAL_INVESTIGATOR, R.INVESTIGATOR, R.COORDINATOR}


def test_everyone_may_export_what_they_may_read() -> None:
    assert PERMISSIONS[Action.EXPORT_DATA] == set(Role)
