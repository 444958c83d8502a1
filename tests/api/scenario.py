"""A whole MEXARDS trial built through the use cases on a real SQLite file, shared by the API and web tests.

Phase 1 runs 3+3 with no DLT at the three levels (MTD = the highest level, 16 x 10^8 particles), the
statistician declares and the principal investigator approves the MTD, the unblinded statistician generates
the sealed list, and Phase 2 participants are randomized at two sites. The clock starts 120 days in the past,
moves as the trial needs (DLT windows), and follows the wall clock once the trial is built, so that logins
made by the tests are current.
"""

from __future__ import annotations

import copy
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mexards.api.app import build_container, create_app
from mexards.api.container import Container
from mexards.api.password import Argon2PasswordHasher
from mexards.api.throttle import LoginThrottle
from mexards.config import Settings
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import ConsentSigner
from mexards.domain.role import Actor, Role
from mexards.protocol import builtin_protocol, example_patients
from mexards.services import (
    account,
    allocation,
    crf,
    escalation,
    mtd,
    participant,
    query,
    safety,
    treatment,
    trial,
    visit,
)
from mexards.services.port import Reauthentication

PROTOCOL_ID = "NCT04602104"
PASSWORD = "Correct-Horse-42!"
SITE = "S01"
OTHER_SITE = "S02"
PHASE2_ARM_CODES = ("p2_quarter_mtd", "p2_mtd", "p2_control")


class ScenarioClock:
    """Scripted UTC time while the trial is built (moves one second per reading and on demand), then the
    wall clock (never going backwards)."""

    def __init__(self, start: datetime) -> None:
        self._current = start
        self._live = False
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if self._live:
                return max(datetime.now(UTC), self._current)
            self._current += timedelta(seconds=1)
            return self._current

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._current += timedelta(**delta)

    def go_live(self) -> None:
        with self._lock:
            self._live = True


@dataclass(frozen=True)
class UserSpec:
    user_id: str
    role: Role
    sites: tuple[str, ...]

    @property
    def actor(self) -> Actor:
        sites = frozenset() if self.role.is_trial_wide else frozenset(SiteId(s) for s in self.sites)
        return Actor(UserId(self.user_id), self.role, sites)


USERS: dict[str, UserSpec] = {
    spec.user_id: spec
    for spec in (
        UserSpec("admin1", Role.ADMINISTRATOR, ()),
        UserSpec("pi1", Role.PRINCIPAL_INVESTIGATOR, (SITE,)),
        UserSpec("inv1", Role.INVESTIGATOR, (SITE,)),
        UserSpec("coord1", Role.COORDINATOR, (SITE,)),
        UserSpec("pharm1", Role.PHARMACIST, (SITE,)),
        UserSpec("mon1", Role.MONITOR, (SITE,)),
        UserSpec("stat1", Role.STATISTICIAN, ()),
        UserSpec("ustat1", Role.UNBLINDED_STATISTICIAN, ()),
        UserSpec("dsmb1", Role.DSMB_MEMBER, ()),
        UserSpec("coord2", Role.COORDINATOR, (OTHER_SITE,)),
        UserSpec("inv2", Role.INVESTIGATOR, (OTHER_SITE,)),
        UserSpec("pi2", Role.PRINCIPAL_INVESTIGATOR, (OTHER_SITE,)),
    )
}
"""One user per role at site S01 (trial-wide roles have no site), and site staff of site S02."""

ROLE_USERS = {spec.role: spec.user_id for spec in USERS.values() if spec.sites in ((), (SITE,))}


def eligible_record(**changes: Any) -> dict[str, Any]:
    """The bundled eligible reference patient MX-001 with ``changes`` (dotted paths) merged in."""
    record = copy.deepcopy(example_patients(PROTOCOL_ID)[0])
    record.pop("patient_id", None)
    record.pop("notes", None)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target = record
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return record


def ineligible_record() -> dict[str, Any]:
    """The bundled patient MX-002 (age 72, BMI 30.1, recent DVT: ineligible for three reasons)."""
    record = copy.deepcopy(example_patients(PROTOCOL_ID)[1])
    record.pop("patient_id", None)
    record.pop("notes", None)
    return record


def fast_hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)


@dataclass
class Trial:
    """What the built trial contains (ids the tests refer to)."""

    phase1: list[str] = field(default_factory=list)
    phase2: dict[str, list[str]] = field(default_factory=dict)
    """Randomized participants by site."""
    kits: dict[str, str] = field(default_factory=dict)
    enrolled_unrandomized: dict[str, str] = field(default_factory=dict)
    """An enrolled, not yet randomized participant per site."""
    screen_failure: str = ""
    eligible: str = ""
    """Screened eligible at S01, no consent yet."""
    consented: str = ""
    """Consented at S01, not enrolled yet."""
    adverse_event_id: str = ""
    query_id: str = ""
    closed_query_id: str = ""
    visit_id: str = ""
    adjudication_id: str = ""
    declaration_id: str = ""
    mtd_particles: int = 0


class Builder:
    """Drives the use cases, as the people of the trial would."""

    def __init__(self, container: Container, clock: ScenarioClock) -> None:
        self.c, self.clock = container, clock
        self.protocol = builtin_protocol(PROTOCOL_ID)
        self.count = 0
        self.built = Trial()

    def actor(self, user_id: str) -> Actor:
        return USERS[user_id].actor

    def uow(self) -> Any:
        return self.c.unit_of_work()

    def users(self) -> None:
        admin = account.ensure_administrator(self.c.account_unit_of_work(), self.c.hasher, PASSWORD)
        assert admin is not None
        for spec in USERS.values():
            account.create_user(
                self.c.account_unit_of_work(),
                self.c.hasher,
                admin.actor,
                spec.user_id,
                f"{spec.role.value.replace('_', ' ').title()} {spec.user_id}",
                spec.role,
                list(spec.sites),
                PASSWORD,
            )

    def enrolled(self, site: str = SITE, coordinator: str = "coord1") -> str:
        self.count += 1
        pid = f"{site}-{self.count:03d}"
        actor = self.actor(coordinator)
        participant.screen_patient(
            self.uow(),
            actor,
            self.protocol,
            ParticipantId(pid),
            SiteId(site),
            eligible_record(screening_at=self.clock.now().isoformat()),
        )
        participant.record_consent(
            self.uow(),
            actor,
            ParticipantId(pid),
            ConsentSigner.LEGALLY_AUTHORISED_REPRESENTATIVE,
            "v2.0",
            self.clock.now(),
            "wife",
        )
        participant.enrol_participant(self.uow(), actor, ParticipantId(pid))
        return pid

    def dose(self, pid: str, day: int, coordinator: str = "coord1") -> None:
        self.clock.advance(hours=1 if day == 1 else 24)
        started = self.clock.now() - timedelta(minutes=30)
        treatment.administer_dose(
            self.uow(),
            self.actor(coordinator),
            ParticipantId(pid),
            day,
            started_at=started,
            volume_ml="3",
            device="Aerogen Solo",
            spo2_pre_percent=93,
            spo2_post_percent=94,
            tolerance="tolerated",
        )

    def cohort(self) -> None:
        inv = self.actor("inv1")
        opened = escalation.open_cohort(self.uow(), inv, self.protocol)
        pids = [self.enrolled() for _ in range(3)]
        for pid in pids:
            escalation.assign_to_cohort(
                self.uow(), inv, self.protocol, ParticipantId(pid), opened.cohort_number
            )
            for day in range(1, 8):
                self.dose(pid, day)
        escalation.close_cohort(self.uow(), inv, self.protocol, opened.cohort_number)
        self.clock.advance(days=9)
        for pid in pids:
            proposal = escalation.propose_participant_dlt(
                self.uow(), inv, self.protocol, ParticipantId(pid), []
            )
            escalation.adjudicate_dlt(self.uow(), inv, proposal.adjudication_id, is_dlt=False, evaluable=True)
            self.built.adjudication_id = proposal.adjudication_id
        escalation.review_cohort(self.uow(), inv, opened.cohort_number)
        self.built.phase1.extend(pids)

    def reauth(self, user_id: str) -> Reauthentication:
        return Reauthentication(UserId(user_id), True, self.clock.now())

    def phase1(self) -> None:
        for _ in range(3):
            self.cohort()
        stat, pi = self.actor("stat1"), self.actor("pi1")
        declared = mtd.declare_mtd(
            self.uow(),
            stat,
            self.protocol,
            rationale="3+3 completed without DLT",
            printed_name="Statistician stat1",
            reauthentication=self.reauth("stat1"),
        )
        approved = mtd.approve_mtd(
            self.uow(),
            pi,
            declared.declaration_id,
            printed_name="Principal pi1",
            reauthentication=self.reauth("pi1"),
        )
        assert approved.mtd is not None
        self.built.declaration_id = declared.declaration_id
        self.built.mtd_particles = approved.mtd.dose_particles

    def phase2(self) -> None:
        allocation.generate_allocation_list(self.uow(), self.actor("ustat1"), self.protocol, 12, 20251125)
        for site, coordinator, count in ((SITE, "coord1", 4), (OTHER_SITE, "coord2", 2)):
            randomized = []
            for _ in range(count):
                pid = self.enrolled(site, coordinator)
                done = allocation.randomize_participant(
                    self.uow(), self.actor(coordinator), ParticipantId(pid)
                )
                self.built.kits[pid] = done.kit_code
                randomized.append(pid)
            self.built.phase2[site] = randomized
            self.built.enrolled_unrandomized[site] = self.enrolled(site, coordinator)
        first = self.built.phase2[SITE][0]
        for day in (1, 2):
            self.dose(first, day)
        visit.schedule_visits(self.uow(), self.actor("coord1"), self.protocol, ParticipantId(first))
        self.built.visit_id = next(v for v in self.uow_visits(first) if v.visit_code == "d2").visit_id
        crf.save_crf(
            self.uow(),
            self.actor("coord1"),
            ParticipantId(first),
            "blood_gas",
            "d1",
            {
                "measured_at": self.clock.now().isoformat(),
                "support": "invasive",
                "pao2_mmhg": "80",
                "fio2_fraction": "0.5",
                "peep_cmh2o": "10",
            },
        )
        onset = self.clock.now() - timedelta(hours=2)
        event = safety.record_adverse_event(
            self.uow(),
            self.actor("inv1"),
            ParticipantId(first),
            term="Bronchospasm",
            ctcae_grade=3,
            onset_at=onset,
            investigator_aware_at=onset + timedelta(minutes=30),
            relatedness="possible",
            expectedness="unexpected",
            seriousness=["hospitalisation"],
        )
        self.built.adverse_event_id = event.adverse_event_id
        raised = query.open_query(
            self.uow(),
            self.actor("mon1"),
            ParticipantId(first),
            "blood_gas.d1.pao2_mmhg",
            "Please confirm the PaO2 value",
        )
        self.built.query_id = raised.query_id
        second = query.open_query(
            self.uow(), self.actor("mon1"), ParticipantId(first), "blood_gas.d1.peep_cmh2o", "PEEP checked?"
        )
        query.answer_query(self.uow(), self.actor("coord1"), second.query_id, "Yes, 10 cmH2O")
        query.close_query(self.uow(), self.actor("mon1"), second.query_id)
        self.built.closed_query_id = second.query_id
        failure = f"{SITE}-F01"
        participant.screen_patient(
            self.uow(),
            self.actor("coord1"),
            self.protocol,
            ParticipantId(failure),
            SiteId(SITE),
            {**ineligible_record(), "screening_at": self.clock.now().isoformat()},
        )
        self.built.screen_failure = failure
        coordinator = self.actor("coord1")
        for name in ("eligible", "consented"):
            pid = f"{SITE}-{name[:3].upper()}"
            participant.screen_patient(
                self.uow(),
                coordinator,
                self.protocol,
                ParticipantId(pid),
                SiteId(SITE),
                eligible_record(screening_at=self.clock.now().isoformat()),
            )
            setattr(self.built, name, pid)
        participant.record_consent(
            self.uow(),
            coordinator,
            ParticipantId(self.built.consented),
            ConsentSigner.SUBJECT,
            "v2.0",
            self.clock.now(),
        )

    def uow_visits(self, pid: str) -> list[Any]:
        from mexards.services.read_model import visit_timeline

        return visit_timeline(self.uow(), self.actor("coord1"), ParticipantId(pid))


def make_container(path: Path, clock: ScenarioClock | None = None) -> Container:
    settings = Settings(environment="test", database_url=f"sqlite:///{path}")
    return build_container(
        settings,
        clock=clock or ScenarioClock(datetime.now(UTC)),
        hasher=fast_hasher(),
        throttle=LoginThrottle(attempts=10_000),
    )


def build_trial(path: Path) -> Trial:
    """Build the whole trial into the SQLite file ``path``."""
    clock = ScenarioClock(datetime.now(UTC) - timedelta(days=120))
    container = make_container(path, clock)
    builder = Builder(container, clock)
    builder.users()
    trial.start_trial(container.unit_of_work(), builder.actor("admin1"), builder.protocol, "1.0")
    trial.change_trial_status(container.unit_of_work(), builder.actor("admin1"), "open_recruitment")
    builder.phase1()
    builder.phase2()
    container.close()
    return builder.built


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (the backup API copies the WAL content too)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def app_for(path: Path) -> tuple[Any, Container]:
    """The application on a copy of the built trial, with a live clock."""
    clock = ScenarioClock(datetime.now(UTC))
    clock.go_live()
    container = make_container(path, clock)
    return create_app(container=container), container
