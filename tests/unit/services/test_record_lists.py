"""The read models of trial records (cohorts, DLT adjudications, MTD declarations, administrations, CRF
records, queries, unblindings, notifications): site scoped like every list (another site's participant is
not found and left out of counts), and nothing in them carries a Phase 2 arm."""

from __future__ import annotations

import pytest

from mexards.domain.errors import NotFoundError, PermissionDeniedError
from mexards.domain.role import Role
from mexards.services import allocation, escalation, query, read_model, safety, unblinding
from mexards.services.port import Reauthentication
from tests.unit.services.conftest import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    MONITOR,
    OTHER_COORDINATOR,
    OTHER_SITE,
    PHARMACIST,
    PI,
    PROTOCOL,
    STATISTICIAN,
    TrialSteps,
    make_actor,
)

OTHER_INVESTIGATOR = make_actor(Role.INVESTIGATOR, OTHER_SITE, user="investigator-2")
ARM_WORDS = ("p2_quarter_mtd", "p2_mtd", "p2_control", "arm_code", "arm_label", "200000000", "800000000")


def test_cohorts_and_adjudications_leave_out_other_sites_participants(steps: TrialSteps) -> None:
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    here, there = steps.enrolled(), steps.enrolled(site=OTHER_SITE, actor=OTHER_COORDINATOR)
    escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, here, cohort.cohort_number)
    escalation.assign_to_cohort(steps.uow, OTHER_INVESTIGATOR, PROTOCOL, there, cohort.cohort_number)
    for pid, actor in ((here, INVESTIGATOR), (there, OTHER_INVESTIGATOR)):
        escalation.propose_participant_dlt(steps.uow, actor, PROTOCOL, pid)
    (mine,) = read_model.cohorts(steps.uow, COORDINATOR)
    assert mine.participant_ids == [here]
    assert {c.participant_id for c in read_model.dlt_adjudications(steps.uow, COORDINATOR)} == {here}
    assert len(read_model.dlt_adjudications(steps.uow, STATISTICIAN)) == 2
    with pytest.raises(NotFoundError):
        read_model.dlt_adjudications(steps.uow, COORDINATOR, there)


def test_a_participants_doses_forms_and_queries_are_not_found_at_another_site(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    query.open_query(steps.uow, MONITOR, pid, "demographics.screening.weight_kg", "Weight?")
    for read in (read_model.administrations, read_model.crf_records, read_model.queries):
        with pytest.raises(NotFoundError):
            read(steps.uow, OTHER_COORDINATOR, pid)
    assert read_model.queries(steps.uow, OTHER_COORDINATOR) == []
    assert len(read_model.queries(steps.uow, COORDINATOR, pid)) == 1


def test_mtd_declarations_are_open_label_and_read_by_everyone(steps: TrialSteps) -> None:
    declaration_id = steps.phase1_done()
    for actor in (COORDINATOR, PHARMACIST, OTHER_COORDINATOR, make_actor(Role.DSMB_MEMBER)):
        assert [d.declaration_id for d in read_model.mtd_declarations(steps.uow, actor)] == [declaration_id]


def test_unblindings_and_notifications_are_scoped_and_name_no_arm(steps: TrialSteps) -> None:
    steps.phase2_ready(slots=6)
    pid = steps.enrolled()
    allocation.randomize_participant(steps.uow, COORDINATOR, pid)
    now = steps.clock.advance(minutes=5)
    unblinding.emergency_unblind(
        steps.uow,
        INVESTIGATOR,
        PROTOCOL,
        pid,
        "anaphylaxis",
        Reauthentication(INVESTIGATOR.user_id, True, now),
    )
    safety.record_adverse_event(
        steps.uow,
        COORDINATOR,
        pid,
        term="Hypoxia",
        ctcae_grade=4,
        onset_at=now,
        investigator_aware_at=now,
        expectedness="unexpected",
        seriousness=["life_threatening"],
    )
    assert [u.participant_id for u in read_model.unblindings(steps.uow, PI)] == [pid]
    assert read_model.unblindings(steps.uow, OTHER_INVESTIGATOR) == []
    with pytest.raises(PermissionDeniedError):
        read_model.unblindings(steps.uow, PHARMACIST)
    notes = read_model.notifications(steps.uow, PI)
    assert {n.kind for n in notes} >= {"serious_adverse_event"}
    assert read_model.notifications(steps.uow, make_actor(Role.PRINCIPAL_INVESTIGATOR, OTHER_SITE)) == []
    assert all("coordinator" in n.recipient_roles for n in read_model.notifications(steps.uow, COORDINATOR))
    text = repr(notes) + repr(read_model.unblindings(steps.uow, ADMIN))
    assert not any(word in text for word in ARM_WORDS)
    assert read_model.administrations(steps.uow, COORDINATOR, pid) == []
