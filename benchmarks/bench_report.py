"""Results speed: ``mexards report`` work (analysis dataset, analyses, CONSORT, figures, HTML, PDF, registry
JSON) and every export with the clinical data (ODM 1.3.2 with ClinicalData and audit records, validated against
the XSD; SDTM TS/TA/TE/TV/TI and DM/DS/EX/AE/VS/LB/SV with the conformance check, as XPT and CSV; the FHIR bundle
with a Patient and a ResearchSubject per participant, validated with fhir.resources; the registry record with
its results section) for a MEXARDS trial of 10,000 participants with full visit data.

The trial is generated directly as domain records (participants, screening log, cohorts, DLT adjudications,
the sealed allocation list and its used slots, visits, 22 CRFs per participant, 7 administrations per
participant, adverse events, deaths) and served by a read-only in-memory unit of work, so that the timing is
the reporting's, not a database's. The baseline, measured in the same run, is building the analysis dataset
alone; the report and the exports are timed end to end (read models included) and given as ratios to it.
Target: report and all exports under 60 s on a 2-core machine. Run: ``python -m benchmarks report``.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from mexards.domain.administration import Administration
from mexards.domain.adverse_event import AdverseEvent
from mexards.domain.cohort import Cohort, CohortState, DLTAdjudication
from mexards.domain.dose import DoseLevel
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import Participant, ParticipantState, RandomizationRecord
from mexards.domain.role import Actor, Role
from mexards.domain.study_day import StudyDay
from mexards.domain.trial import LockState, Trial, TrialPhase, TrialStatus
from mexards.domain.visit import Visit, VisitStatus, VisitWindow
from mexards.protocol import builtin_protocol
from mexards.randomization import generate_allocation_list
from mexards.reporting.report import build_report, write_report_files
from mexards.reporting.writer import (
    actor_records,
    actor_results_section,
    write_fhir,
    write_odm,
    write_registry,
    write_sdtm,
)
from mexards.services.allocation import block_scheme, stratification_design
from mexards.services.record import CRFRecord, ScreeningCriterion, ScreeningLogEntry, SealedList, SlotUse
from mexards.services.results import analysis_dataset

PARTICIPANTS = 10_000
SEED = 20250601
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
USER = UserId("bench")
SITE = SiteId("S01")


class _Rows:
    """A repository answering every list query from prepared rows (site filter supported)."""

    def __init__(self, rows: list[Any], single: Any = None) -> None:
        self.rows, self.single = rows, single

    def list(self, site_ids: Any = None, **_: Any) -> list[Any]:
        if site_ids is None:
            return self.rows
        return [r for r in self.rows if r.site_id in site_ids]

    def find(self, *_: Any) -> Any:
        return self.single

    def get(self, *_: Any) -> Any:
        return self.single


@dataclass
class _Allocation:
    sealed: SealedList
    uses: list[SlotUse]

    def find_list(self) -> SealedList:
        return self.sealed

    def used_slots(self, stratum: str | None = None) -> list[SlotUse]:
        return self.uses


class _Clock:
    def now(self) -> datetime:
        return START + timedelta(days=400)


@dataclass
class SnapshotUnitOfWork:
    """Read-only unit of work over generated records (the read model only reads)."""

    trial: _Rows
    participants: _Rows
    screening_log: _Rows
    cohorts: _Rows
    dose_decisions: _Rows
    dlt_adjudications: _Rows
    allocation: _Allocation
    visits: _Rows
    crf_records: _Rows
    adverse_events: _Rows
    administrations: _Rows
    clock: _Clock = field(default_factory=_Clock)
    actor: Any = None
    reason: Any = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    def commit(self) -> None:
        raise RuntimeError("read only")

    def rollback(self) -> None:
        return None


def _crf(number: int, pid: ParticipantId, form: str, visit: str, values: dict[str, Any],
         derived: dict[str, Any]) -> CRFRecord:
    return CRFRecord(f"CRF-{number}", pid, form, "1", visit, values, {}, derived, USER, START)


def make_trial(participants: int = PARTICIPANTS, seed: int = SEED) -> SnapshotUnitOfWork:
    """A locked MEXARDS trial: 9 Phase 1 participants (3+3, MTD L2) and the rest randomised, all with data."""
    rng = random.Random(seed)
    protocol = builtin_protocol("NCT04602104")
    trial = Trial("NCT04602104", "1.0", TrialPhase.PHASE2, TrialStatus.ACTIVE_NOT_RECRUITING, LockState.LOCKED,
                  mtd_dose_particles=800_000_000)
    levels = [DoseLevel(i, d.dose_particles) for i, d in enumerate(protocol.dose_levels, start=1)]
    randomised = participants - 9
    design = stratification_design(protocol)
    sealed_list = generate_allocation_list(block_scheme(protocol), design, randomised // 2 + 6, seed)
    sealed = SealedList("LIST-1", sealed_list, sealed_list.sha256, USER, START, "NCT04602104", "1.0")
    strata = list(sealed_list.strata)
    used: dict[str, int] = {}
    people, log, visits, crfs, events, uses, cohorts, judged, doses = [], [], [], [], [], [], [], [], []
    counter = 0
    for index in range(participants + participants // 5):
        pid = ParticipantId(f"P{index:06d}")
        screened = START + timedelta(hours=index)
        if index >= participants:  # screen failures
            log.append(ScreeningLogEntry(pid, SITE, screened, USER, "NCT04602104", "1.0", "INELIGIBLE", (
                ScreeningCriterion(rng.choice(["E10", "E2", "I4"]), "exclusion", "NOT_MET", "criterion met", True),)))
            people.append(Participant(pid, SITE, screened, ParticipantState.INELIGIBLE))
            continue
        log.append(ScreeningLogEntry(pid, SITE, screened, USER, "NCT04602104", "1.0", "ELIGIBLE", ()))
        first = screened + timedelta(days=1)
        person = Participant(pid, SITE, screened, ParticipantState.COMPLETED, enrolled_at=screened + timedelta(hours=2),
                             dosed_days=(1, 2, 3, 4, 5, 6, 7), first_dose_at=first)
        if index < 9:
            cohort = index // 3 + 1
            person.cohort_number, person.dose_level = cohort, levels[cohort - 1]
            is_dlt = cohort == 3 and index % 3 < 2
            judged.append(DLTAdjudication(f"ADJ-{index}", pid, cohort, is_dlt, "rule", first, is_dlt=is_dlt,
                                          evaluable=True, confirmed_by=USER, confirmed_at=first))
        else:
            stratum = strata[index % len(strata)]
            sequence = used.get(stratum, 0) + 1
            used[stratum] = sequence
            slot = sealed_list.slots(stratum)[sequence - 1]
            person.randomization = RandomizationRecord(stratum, sequence, slot.kit_code, screened + timedelta(hours=3))
            uses.append(SlotUse(stratum, sequence, slot.kit_code, pid, screened, USER))
        for day in range(1, 8):
            started = first + timedelta(days=day - 1)
            dose, kit = (levels[person.cohort_number - 1].dose_particles, None) if person.cohort_number \
                else (None, person.randomization.kit_code if person.randomization else None)
            doses.append(Administration(f"ADM-{index}-{day}", pid, StudyDay(day), "given", started,
                                        started + timedelta(minutes=20), dose, kit, "3", "Aerogen Solo",
                                        rng.randint(88, 96), rng.randint(89, 98), "tolerated"))
        effect = {"p2_mtd": 40.0, "p2_quarter_mtd": 20.0}.get(slot.arm_code, 0.0) if index >= 9 else 20.0
        if rng.random() < 0.15:
            person.state, person.died_on = ParticipantState.DIED, first.date() + timedelta(days=rng.randint(2, 40))
        people.append(person)
        day_one = first.date()
        counter += 1
        crfs.append(_crf(counter, pid, "demographics", "screening", {
            "sex": rng.choice(["male", "female"]), "date_of_birth": f"{rng.randint(1955, 2005)}-03-01",
            "weight_kg": f"{rng.uniform(50, 95):.1f}"}, {}))
        baseline = rng.uniform(90, 200)
        for day in (1, 2, 3, 4, 5, 6, 7, 14):
            when = day_one + timedelta(days=day - 1)
            visits.append(Visit(f"V{index}-{day}", pid, f"d{day}", StudyDay(day), VisitWindow(),
                                VisitStatus.DONE, when, True))
            counter += 1
            crfs.append(_crf(counter, pid, "sofa", f"d{day}", {"assessed_on": when.isoformat()},
                             {"sofa_total": rng.randint(2, 14), "sofa_complete": True}))
            if day in (1, 3, 7, 14):
                pf = baseline + effect * min(day, 7) / 7 + rng.gauss(0, 30)
                stamp = f"{when.isoformat()}T08:00:00+00:00"
                for form, values, derived in (
                    ("blood_gas", {"measured_at": stamp, "support": "invasive" if day <= 3 else "oxygen"},
                     {"pf_ratio": f"{max(pf, 40):.0f}", "berlin_category": "MODERATE"}),
                    ("murray", {"assessed_on": when.isoformat()},
                     {"murray_score": f"{rng.uniform(1, 4):.2f}", "murray_complete": True}),
                    ("labs", {"sampled_at": stamp, "il6_pg_ml": f"{rng.uniform(5, 300):.1f}",
                              "il8_pg_ml": f"{rng.uniform(5, 100):.1f}"}, {}),
                ):
                    counter += 1
                    crfs.append(_crf(counter, pid, form, f"d{day}", values, derived))
        counter += 1
        crfs.append(_crf(counter, pid, "end_of_study", "d28", {
            "last_contact_on": (day_one + timedelta(days=27)).isoformat(),
            "extubated_on": (day_one + timedelta(days=rng.randint(3, 20))).isoformat()}, {}))
        for number in range(rng.choice([0, 1, 1, 2, 3])):
            onset = first + timedelta(days=rng.randint(0, 20))
            grade = rng.choice([1, 1, 2, 2, 3, 4])
            events.append(AdverseEvent(f"AE-{index}-{number}", pid, rng.choice(
                ["Fever", "Hypoxia", "Cough", "Nausea", "Hypotension", "Bronchospasm", "Delirium", "Sepsis"]), grade,
                onset, onset, rng.choice(["not_related", "unlikely", "possible"]), "expected",
                frozenset({"hospitalisation"}) if grade >= 3 else frozenset()))
    for number in (1, 2, 3):
        cohorts.append(Cohort(number, levels[number - 1], START, 3,
                              [ParticipantId(f"P{i:06d}") for i in range(3 * number - 3, 3 * number)],
                              CohortState.REVIEWED))
    return SnapshotUnitOfWork(
        _Rows([trial], trial), _Rows(people), _Rows(log), _Rows(cohorts), _Rows([]), _Rows(judged),
        _Allocation(sealed, uses), _Rows(visits), _Rows(crfs), _Rows(events), _Rows(doses),
    )  # fmt: skip


def _timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _exports(uow: Any, actor: Actor, protocol: Any, folder: Path) -> dict[str, float]:
    """Every export with the clinical data, each timed end to end (read model, build, validation, files)."""
    times: dict[str, float] = {}
    times["ODM"], _ = _timed(lambda: write_odm(protocol, folder, records=actor_records(uow, actor, protocol)))
    times["SDTM"], _ = _timed(lambda: write_sdtm(protocol, folder / "sdtm",
                                                 records=actor_records(uow, actor, protocol)))
    times["FHIR"], _ = _timed(lambda: write_fhir(protocol, folder, records=actor_records(uow, actor, protocol)))
    times["registry"], _ = _timed(lambda: write_registry(
        protocol, folder, results_section=actor_results_section(uow, actor, protocol)))
    return times


def main() -> None:
    protocol = builtin_protocol("NCT04602104")
    variants = (("unblinded (by arm)", Actor(UserId("ustat"), Role.UNBLINDED_STATISTICIAN), True),
                ("blinded (pooled, masked)", Actor(UserId("stat"), Role.STATISTICIAN), False))
    generated, uow = _timed(make_trial)
    print(f"generated {PARTICIPANTS} participants, {len(uow.crf_records.rows)} CRFs, {len(uow.visits.rows)} visits, "
          f"{len(uow.administrations.rows)} administrations, {len(uow.adverse_events.rows)} AEs in {generated:.1f} s "
          "(not timed below)")
    baseline, _ = _timed(lambda: analysis_dataset(uow, variants[0][1], protocol, by_arm=True))  # type: ignore[arg-type]
    rows = []
    for name, actor, by_arm in variants:
        with tempfile.TemporaryDirectory() as folder:
            def report(actor: Actor = actor, by_arm: bool = by_arm, folder: str = folder) -> None:
                dataset = analysis_dataset(uow, actor, protocol, by_arm=by_arm)  # type: ignore[arg-type]
                write_report_files(build_report(protocol, dataset), Path(folder) / "report")

            report_time, _ = _timed(report)
            exports = _exports(uow, actor, protocol, Path(folder) / "exports")
            size = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) // 2**20
        rows.append((name, report_time, exports, size))
    columns = ["report", "ODM", "SDTM", "FHIR", "registry"]
    print(f"\n{PARTICIPANTS} participants; baseline (analysis dataset alone): {baseline:.2f} s\n")
    print("| variant | " + " | ".join(f"{c} (s)" for c in columns) + " | total (s) | total / baseline | files (MB) |")
    print("|---" * (len(columns) + 4) + "|")
    worst = 0.0
    for name, report_time, exports, size in rows:
        total = report_time + sum(exports.values())
        worst = max(worst, total)
        cells = [f"{report_time:.1f}", *(f"{exports[c]:.1f}" for c in columns[1:])]
        print(f"| {name} | " + " | ".join(cells) + f" | {total:.1f} | {total / baseline:.1f} | {size} |")
    print(f"\ntarget: report and all exports < 60 s per variant: {'met' if worst < 60 else 'NOT met'} "
          f"(slowest {worst:.1f} s)")


if __name__ == "__main__":
    main()
