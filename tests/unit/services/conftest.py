"""Fixtures for service tests: the MEXARDS protocol, actors, a fake unit of work, and trial-building steps."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import ConsentSigner
from mexards.domain.role import Actor, Role
from mexards.protocol import builtin_protocol, example_patients
from mexards.protocol.model import Protocol
from mexards.services import allocation, escalation, mtd, participant, treatment, trial
from mexards.services.port import Reauthentication
from tests.unit.services.fake import FakeClock, FakeStore, FakeUnitOfWork

PROTOCOL: Protocol = builtin_protocol("NCT04602104")
SITE = SiteId("S01")
OTHER_SITE = SiteId("S02")
START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def make_actor(role: Role, *sites: SiteId, user: str | None = None) -> Actor:
    return Actor(UserId(user or role.value.replace("_", "-")), role, frozenset(sites or (SITE,)))


ADMIN = make_actor(Role.ADMINISTRATOR)
COORDINATOR = make_actor(Role.COORDINATOR)
INVESTIGATOR = make_actor(Role.INVESTIGATOR)
PI = make_actor(Role.PRINCIPAL_INVESTIGATOR)
STATISTICIAN = make_actor(Role.STATISTICIAN)
UNBLINDED_STATISTICIAN = make_actor(Role.UNBLINDED_STATISTICIAN)
PHARMACIST = make_actor(Role.PHARMACIST)
MONITOR = make_actor(Role.MONITOR)
OTHER_COORDINATOR = make_actor(Role.COORDINATOR, OTHER_SITE, user="coordinator-2")


def eligible_record(**changes: Any) -> dict[str, Any]:
    """The bundled reference patient MX-001 (moderate ARDS, eligible), with ``changes`` merged in."""
    record = copy.deepcopy(example_patients("NCT04602104")[0])
    record.pop("patient_id", None)
    record.pop("notes", None)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target = record
        for part in parents:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return record


def reauth(actor: Actor, clock: FakeClock) -> Reauthentication:
    return Reauthentication(actor.user_id, True, clock.now())


class TrialSteps:
    """Steps that build a trial state through the use cases only."""

    def __init__(self, uow: FakeUnitOfWork, clock: FakeClock) -> None:
        self.uow, self.clock = uow, clock
        self.count = 0

    def start(self) -> None:
        trial.start_trial(self.uow, ADMIN, PROTOCOL, "1.0")

    def enrolled(self, site: SiteId = SITE, actor: Actor = COORDINATOR, **record: Any) -> ParticipantId:
        self.count += 1
        pid = ParticipantId(f"P{self.count:03d}")
        participant.screen_patient(self.uow, actor, PROTOCOL, pid, site, eligible_record(**record))
        participant.record_consent(
            self.uow, actor, pid, ConsentSigner.LEGALLY_AUTHORISED_REPRESENTATIVE, "v2.0", self.clock.now(), "wife"
        )
        participant.enrol_participant(self.uow, actor, pid)
        return pid

    def dose_all_days(self, pid: ParticipantId, actor: Actor = COORDINATOR) -> None:
        for day in range(1, 8):
            self.clock.advance(hours=1 if day == 1 else 24)
            treatment.administer_dose(
                self.uow, actor, pid, day, started_at=self.clock.now() - timedelta(minutes=30), volume_ml="3",
                device="Aerogen Solo", spo2_pre_percent=93, spo2_post_percent=94, tolerance="tolerated",
            )

    def cohort(self, dlts: int = 0) -> list[ParticipantId]:
        """Open the recommended cohort, enrol and dose 3 participants, close, wait, adjudicate, review."""
        cohort = escalation.open_cohort(self.uow, INVESTIGATOR, PROTOCOL)
        pids = [self.enrolled() for _ in range(3)]
        for pid in pids:
            escalation.assign_to_cohort(self.uow, INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
            self.dose_all_days(pid)
        escalation.close_cohort(self.uow, INVESTIGATOR, PROTOCOL, cohort.cohort_number)
        self.clock.advance(days=9)
        for i, pid in enumerate(pids):
            facts = [{"study_day": 2, "relatedness": "possible", "ctcae_grade": 3}] if i < dlts else []
            adjudication = escalation.propose_participant_dlt(self.uow, INVESTIGATOR, PROTOCOL, pid, facts)
            escalation.adjudicate_dlt(self.uow, INVESTIGATOR, adjudication.adjudication_id,
                                      is_dlt=i < dlts, evaluable=True)
        escalation.review_cohort(self.uow, INVESTIGATOR, cohort.cohort_number)
        return pids

    def phase1_done(self, top_dlts: int = 2) -> str:
        """3+3: 0/3 at L1 and L2, ``top_dlts``/3 at L3 (2 -> MTD L2, 0 -> MTD L3); returns the declaration id."""
        self.cohort()
        self.cohort()
        self.cohort(dlts=top_dlts)
        declaration = mtd.declare_mtd(self.uow, STATISTICIAN, PROTOCOL, rationale="3+3 completed",
                                      printed_name="Stat Istician", reauthentication=reauth(STATISTICIAN, self.clock))
        mtd.approve_mtd(self.uow, PI, declaration.declaration_id, printed_name="Prin Cipal",
                        reauthentication=reauth(PI, self.clock))
        return declaration.declaration_id

    def phase2_ready(self, slots: int = 12, seed: int = 20251) -> None:
        self.phase1_done()
        allocation.generate_allocation_list(self.uow, UNBLINDED_STATISTICIAN, PROTOCOL, slots, seed)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def uow(store: FakeStore, clock: FakeClock) -> FakeUnitOfWork:
    return FakeUnitOfWork(store, clock)


@pytest.fixture
def steps(uow: FakeUnitOfWork, clock: FakeClock) -> TrialSteps:
    built = TrialSteps(uow, clock)
    built.start()
    return built
