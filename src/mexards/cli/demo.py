"""``mexards demo``: a whole in-silico MEXARDS trial, run with virtual patients through the real services on a
fresh SQLite database, then its report, registry results and standard exports. The first command to run.

Steps: the protocol summary; virtual ARDS patients from the scenario file; the trial run by
:func:`mexards.services.insilico.run_insilico_trial` on the composition root's SQL unit of work with a simulated
clock; the exports into ``--out``; the audit-trail verification. The same seed gives the same trial (see
``docs/demo.md``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.rule import Rule
from rich.table import Table

from mexards.cli.failure import reported_errors
from mexards.cli.lazy import lazy_module
from mexards.cli.protocol import render_summary
from mexards.domain.errors import ValidationError
from mexards.domain.role import Actor
from mexards.protocol import resolve_protocol
from mexards.protocol.model import Protocol
from mexards.services.port import Reauthentication

bootstrap = lazy_module("mexards.bootstrap")
insilico = lazy_module("mexards.services.insilico")
operation = lazy_module("mexards.services.operation")

DEFAULT_OUT = Path("mexards-demo")
DATABASE_FILE = "mexards-demo.sqlite"
MANIFEST_FILE = "demo.json"
DEFAULT_PHASE2 = 60
DEMO_PASSWORD = "mexards-demo-2025!"
"""The password of every user of the demo database (``admin`` and the cast): for this local demo only."""


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)


@dataclass
class _Bars:
    """Rich progress bars fed by the runner's progress reports, one per stage in the order of the trial."""

    progress: Progress
    tasks: dict[str, TaskID] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for stage in ("Phase 1", "Phase 2", "Follow-up", "Database lock"):
            self.tasks[stage] = self.progress.add_task(stage, total=None)

    def __call__(self, report: insilico.Progress) -> None:
        task = self.tasks.get(report.stage)
        if task is None:
            task = self.tasks[report.stage] = self.progress.add_task(report.stage, total=report.total)
        self.progress.update(task, completed=report.completed, total=report.total)


def _database(db: str | None, out: Path) -> tuple[str, Path | None]:
    """The database URL or path to create: a new file inside ``out`` by default (replacing an old demo's)."""
    if db is None:
        path = out / DATABASE_FILE
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return str(path), path
    if "://" in db:
        return db, None
    path = Path(db)
    if path.exists():
        raise ValidationError("db", "must be a new database file: it exists already", db)
    return db, path


@dataclass(frozen=True)
class _Accounts:
    """The demo's user accounts: ``admin`` and the cast, all with :data:`DEMO_PASSWORD`."""

    container: bootstrap.Container
    users: tuple[str, ...]

    def reauthenticate(self, actor: Actor) -> Reauthentication:
        """The signer re-enters the password (the account use case checks it and logs the re-authentication)."""
        from mexards.api.password import Argon2PasswordHasher
        from mexards.services import account

        accounts = bootstrap.account_unit_of_work_factory(self.container.database, self.container.clock)
        return account.reauthenticate(accounts(), Argon2PasswordHasher(), actor, DEMO_PASSWORD, "mexards demo")


def _seed_accounts(container: bootstrap.Container, cast: insilico.Cast) -> _Accounts:
    """Accounts for the administrator ``admin`` and every user of the cast, so that ``mexards serve`` can log
    them in (created through the account use cases, at the start of the trial calendar)."""
    from mexards.api.password import Argon2PasswordHasher
    from mexards.services import account

    hasher = Argon2PasswordHasher()
    accounts = bootstrap.account_unit_of_work_factory(container.database, container.clock)
    admin = account.ensure_administrator(accounts(), hasher, DEMO_PASSWORD)
    if admin is None:
        raise ValidationError("db", "must be a new database: it has user accounts already")
    for actor in cast.actors:
        account.create_user(accounts(), hasher, admin.actor, actor.user_id.value,
                            cast.printed_names[actor.user_id.value], actor.role, actor.site_ids, DEMO_PASSWORD)
    return _Accounts(container, (account.ADMINISTRATOR_ID, *(a.user_id.value for a in cast.actors)))


@contextmanager
def _reproducible(moment: datetime) -> Iterator[None]:
    """Figures written as at ``moment``: matplotlib's SVG element ids from a fixed salt and the PDF creation date
    from ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention matplotlib follows), so that the same seed
    gives the same report files."""
    import matplotlib

    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        with matplotlib.rc_context({"svg.hashsalt": "mexards-demo"}):
            yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _exports(
    container: bootstrap.Container, cast: insilico.Cast, protocol: Protocol, out: Path,
    outcome: insilico.InSilicoOutcome,
) -> list[Path]:
    """The results report and registry results (by arm: the database is locked and the reader is the unblinded
    statistician) and the standard exports, each validated by ``mexards.reporting`` before it is written."""
    from mexards.reporting import write_fhir, write_odm, write_page, write_registry, write_sdtm
    from mexards.reporting.page import posted_results
    from mexards.reporting.report import write_report
    from mexards.reporting.writer import actor_records, actor_results_section

    created = outcome.locked_at
    reader = cast.unblinded_statistician
    with _reproducible(created):
        report = write_report(container.unit_of_work(), reader, protocol, out, by_arm=outcome.randomized > 0)
    records = actor_records(container.unit_of_work(), reader, protocol)
    results = actor_results_section(container.unit_of_work(), reader, protocol)
    return [
        *report,
        *write_odm(protocol, out / "odm", created_at=created, records=records),
        *write_sdtm(protocol, out / "sdtm", records=records),
        *write_fhir(protocol, out / "fhir", created_at=created, records=records),
        *write_registry(protocol, out / "registry", results_section=results),
        *write_page(protocol, out / "page", results=posted_results(container.unit_of_work(), protocol)),
    ]


def _outcome_table(outcome: insilico.InSilicoOutcome) -> Table:
    table = Table(title="The trial, as the (blinded) trial statistician reads it back", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("Screened / excluded", f"{outcome.screened} / {outcome.excluded}")
    reasons = sorted(outcome.exclusion_reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    table.add_row("Most frequent exclusion criteria", ", ".join(f"{c} ({n})" for c, n in reasons))
    table.add_row("Enrolled", str(outcome.enrolled))
    table.add_row(f"Phase 1 ({outcome.design})", f"{outcome.phase1_participants} in {outcome.cohorts} cohorts, "
                  f"{outcome.dlts} DLT(s)")
    for level in outcome.escalation:
        if level.participants:
            table.add_row(f"  dose level {level.dose_level.index} ({level.dose_level.dose_particles:.2e} particles)",
                          f"{level.dlts}/{level.evaluable} DLT")
    mtd = "none (trial terminated)" if outcome.mtd_dose_particles is None else \
        f"{outcome.mtd_dose_particles:.2e} particles"
    table.add_row("MTD declared and approved", mtd)
    table.add_row("Phase 2 randomized", str(outcome.randomized))
    for stratum, n in outcome.randomized_by_stratum.items():
        table.add_row(f"  {stratum}", str(n))
    table.add_row("Participants by final state", ", ".join(f"{k} {v}" for k, v in outcome.by_state.items()))
    table.add_row("Adverse events (serious)", f"{outcome.adverse_events} ({outcome.serious_adverse_events})")
    table.add_row("Trial calendar", f"{outcome.started_at.date()} to database lock {outcome.locked_at.date()}")
    return table


def _manifest(
    out: Path, seed: int, design: str, scenario: str, phase2: int, outcome: insilico.InSilicoOutcome,
    files: list[Path],
) -> Path:
    """``demo.json``: the options and the outcome of the run (no wall-clock time: same seed, same file)."""
    data: dict[str, Any] = {
        "seed": seed, "design": design, "scenario": scenario, "phase2_participants": phase2,
        "screened": outcome.screened, "excluded": outcome.excluded, "exclusion_reasons": outcome.exclusion_reasons,
        "enrolled": outcome.enrolled, "phase1_participants": outcome.phase1_participants, "cohorts": outcome.cohorts,
        "dlts": outcome.dlts, "mtd_dose_particles": outcome.mtd_dose_particles, "randomized": outcome.randomized,
        "randomized_by_stratum": outcome.randomized_by_stratum, "by_state": outcome.by_state,
        "adverse_events": outcome.adverse_events, "serious_adverse_events": outcome.serious_adverse_events,
        "started_at": outcome.started_at.isoformat(), "locked_at": outcome.locked_at.isoformat(),
        "files": sorted(str(p.relative_to(out)) for p in files if p.is_relative_to(out)),
    }  # fmt: skip
    path = out / MANIFEST_FILE
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def demo(
    seed: int = typer.Option(20201030, "--seed", help="Seed of the whole run (patients, conduct, allocation list)."),
    design: str | None = typer.Option(None, "--design", metavar="3+3|boin|crm",
                                      help="Phase 1 design (default: the protocol's, 3+3)."),
    scenario: str = typer.Option("mexards", "--scenario", metavar="NAME|FILE",
                                 help="Virtual-patient scenario: a built-in name or a scenario file."),
    participants: int = typer.Option(DEFAULT_PHASE2, "--participants", min=3,
                                     help="Phase 2 participants to randomize (Phase 1 enrols what its design needs)."),
    db: str | None = typer.Option(None, "--db", help="Database to create: a new SQLite file or a database URL "
                                                     f"(default: OUT/{DATABASE_FILE}, replaced)."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", "-o", help="Folder for the report, exports and database."),
) -> None:
    """Run a whole in-silico MEXARDS trial with virtual patients through the real services, then write its
    report and exports into OUT."""
    console = Console()
    began = time.perf_counter()
    with reported_errors():
        from mexards.simulation.trial_scenario import load_trial_scenario  # the engine loads only when run

        loaded = load_trial_scenario(scenario)
        protocol = insilico.with_design(resolve_protocol(loaded.protocol), design, loaded.dose_toxicity.target)
        out.mkdir(parents=True, exist_ok=True)
        url, path = _database(db, out)
    console.print(Rule(f"Protocol {protocol.registry_id}"))
    render_summary(console, protocol, criteria=False)
    console.print(Rule(f"The in-silico trial (scenario {loaded.name}, seed {seed})"))
    patients_seed, conduct_seed, ids_seed = np.random.SeedSequence(seed).spawn(3)
    with reported_errors():
        patients = insilico.virtual_patients(loaded, protocol, participants, np.random.default_rng(patients_seed))
        clock = insilico.SimulatedClock()
        ids = operation.SeededIds(int(ids_seed.generate_state(1)[0]))
        container = bootstrap.build_container(url, clock=clock, ids=ids)
        try:
            cast = insilico.Cast.for_site()
            accounts = _seed_accounts(container, cast)
            columns = (TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                outcome = insilico.run_insilico_trial(
                    container.unit_of_work, protocol, loaded, patients, np.random.default_rng(conduct_seed), clock,
                    phase2_participants=participants, cast=cast, on_progress=_Bars(progress),
                    reauthenticate=accounts.reauthenticate,
                )  # fmt: skip
            console.print(_outcome_table(outcome))
            console.print(Rule("Report and exports"))
            files = _exports(container, cast, protocol, out, outcome)
            problems = bootstrap.audit_problems(container.database)
        finally:
            container.dispose()
    files.append(_manifest(out, seed, outcome.design, loaded.name, participants, outcome, files))
    for file in files:
        console.print(f"  {file}")
    console.print(Rule("Audit trail"))
    if problems:
        for problem in problems:
            console.print(f"  {problem}")
        console.print(f"[red]audit trail NOT intact: {len(problems)} problem(s)[/red]")
        raise typer.Exit(1)
    console.print("audit trail intact (hash chain and replay against the data tables)")
    where = path if path is not None else url
    console.print(Rule("Next"))
    console.print(f"Open the same trial in the web application:  mexards serve --db {where}")
    console.print(f"  and log in as one of {', '.join(accounts.users)} with the demo password {DEMO_PASSWORD}")
    console.print(f"Check its audit trail again:                 mexards audit verify --db {where}")
    console.print(f"Done in {time.perf_counter() - began:.1f} s.")
