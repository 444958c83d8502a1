"""Backup and restore of a whole trial database, verified against a manifest.

A backup is one zip archive holding ``manifest.json`` and the database payload taken from one consistent
snapshot:

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the live file while writers go on
  (WAL readers do not block them); the copy is counted and verified, switched to a rollback journal so that it
  is one self-contained file, and archived.
- PostgreSQL: a ``REPEATABLE READ`` transaction exports its snapshot (``pg_export_snapshot()``), counts the
  rows and reads the audit head in that snapshot, and ``pg_dump --snapshot`` dumps the application's schema
  (custom format) from the very same snapshot, so the manifest describes exactly what the dump holds.

The manifest records the row count of every table, the audit chain's head (sequence number and hash), the
schema revision and the SHA-256 of the payload. A restore refuses a payload whose checksum differs, refuses to
overwrite existing trial tables unless asked to replace them, restores (SQLite: the backup API into the target
file; PostgreSQL: ``pg_restore``'s script run by ``psql`` in one transaction) and then verifies the result:
every row count equal to the manifest, the same audit head and revision, and
:func:`~mexards.persistence.audit.verify_audit` finding the chain intact and the tables equal to the replayed
trail. Sources: 21 CFR 11.10(c) (records protected to enable their accurate and ready retrieval); ICH E6(R3)
4.2.2; EMA guideline on computerised systems and electronic data in clinical trials (2023), section 6.8
(backup and restore, validated).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from mexards import __version__
from mexards.domain.errors import MexardsError, ValidationError
from mexards.persistence.audit import AuditRow, verify_audit
from mexards.persistence.database import Database
from mexards.persistence.engine import is_sqlite

FORMAT = "mexards-backup/1"
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
AUDIT_FUNCTIONS = ("mexards_audit_append_only", "mexards_audit_chain")
_CHUNK = 1 << 20


class BackupError(MexardsError):
    """A backup or restore could not be carried out (a tool is missing, the database refused, ...)."""


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds, taken from the same snapshot as its payload."""

    dialect: str
    created_at: str
    software_version: str
    schema_revision: str | None
    source_schema: str | None
    row_counts: dict[str, int]
    audit_head_seq: int
    audit_head_hash: str | None
    audit_problems: int
    payload: str
    payload_sha256: str
    payload_bytes: int
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, raw: bytes) -> BackupManifest:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValidationError("from", "the manifest of the backup is not valid JSON") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValidationError("from", f"not a {FORMAT} archive (unknown manifest format)")
        expected = {f for f in cls.__dataclass_fields__}
        if set(data) != expected:
            raise ValidationError("from", "the manifest's fields are not those of " + FORMAT)
        counts = data["row_counts"]
        if not isinstance(counts, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in counts.items()
        ):
            raise ValidationError("from", "the manifest's row counts must map table names to whole numbers")
        if data["dialect"] not in PAYLOADS or data["payload"] != PAYLOADS[data["dialect"]]:
            raise ValidationError("from", "the manifest names an unknown database or payload")
        return cls(**data)


@dataclass(frozen=True)
class RestoreReport:
    """The manifest of the restored backup and every difference found when verifying the result."""

    manifest: BackupManifest
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- taking a backup ---------------------------------------------------------------------------------------


def backup(db: Database, out: Path) -> BackupManifest:
    """Write a verified-manifest backup of ``db`` to the new file ``out`` (never overwritten)."""
    out = Path(out)
    if out.exists():
        raise ValidationError(
            "out", "the file exists (backups are never overwritten): choose a new name", str(out)
        )
    if not out.parent.is_dir():
        raise ValidationError("out", "the folder does not exist", str(out.parent))
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".mexards-backup-") as work:
        dialect = _dialect(db)
        payload = Path(work) / PAYLOADS[dialect]
        facts = _sqlite_snapshot(db, payload) if dialect == "sqlite" else _postgresql_snapshot(db, payload)
        manifest = BackupManifest(
            dialect=dialect,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            software_version=__version__,
            payload=payload.name,
            payload_sha256=_sha256(payload),
            payload_bytes=payload.stat().st_size,
            **facts,
        )
        partial = Path(work) / "archive.zip"
        compression = zipfile.ZIP_DEFLATED if manifest.dialect == "sqlite" else zipfile.ZIP_STORED
        with zipfile.ZipFile(partial, "w", compression=compression) as archive:
            archive.writestr(MANIFEST, manifest.to_json())
            archive.write(payload, payload.name)
        _fsync(partial)
        os.replace(partial, out)
        _fsync(out.parent)
    return manifest


def _snapshot_facts(
    conn: Connection, tables: list[str], schema: str | None
) -> dict[str, Any]:
    counts = {name: int(conn.scalar(select(func.count()).select_from(table(name, schema=schema))) or 0)
              for name in sorted(tables)}  # fmt: skip
    head = None
    if "audit_log" in tables:
        newest = select(AuditRow.seq, AuditRow.row_hash).order_by(AuditRow.seq.desc()).limit(1)
        head = conn.execute(newest).first()
    revision = None
    if "alembic_version" in tables:
        revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    with Session(bind=conn) as session:
        problems = len(verify_audit(session)) if "audit_log" in tables else 0
    return {
        "row_counts": counts,
        "audit_head_seq": int(head[0]) if head else 0,
        "audit_head_hash": head[1] if head else None,
        "schema_revision": revision,
        "audit_problems": problems,
    }


def _sqlite_snapshot(db: Database, payload: Path) -> dict[str, Any]:
    source = _sqlite_file(db, "db")
    if not source.exists():
        raise ValidationError("db", "the SQLite file does not exist", str(source))
    _sqlite_copy(source, payload)
    copy = Database(f"sqlite:///{payload}")
    try:
        with copy.engine.connect() as conn:
            facts = _snapshot_facts(conn, inspect(conn).get_table_names(), None)
    finally:
        copy.dispose()
    with contextlib.closing(sqlite3.connect(payload)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")  # fold the WAL into the file: one self-contained payload
    return {**facts, "source_schema": None}


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (one step: a consistent snapshot)."""
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def _postgresql_snapshot(db: Database, payload: Path) -> dict[str, Any]:
    pg_dump = _tool("pg_dump")
    with db.engine.connect() as base:
        conn = base.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            schema = _current_schema(conn)
            facts = _snapshot_facts(conn, inspect(conn).get_table_names(schema=schema), schema)
            command = [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                       f"--schema={_quote_pattern(schema)}", f"--file={payload}"]  # fmt: skip
            _run(command, db.url, "pg_dump")
    return {**facts, "source_schema": schema}


# --- restoring ---------------------------------------------------------------------------------------------


def read_manifest(source: Path) -> BackupManifest:
    """The manifest of a backup archive (its payload is not checked here)."""
    with _archive(source) as archive:
        return _manifest_of(archive)


def restore(db: Database, source: Path, *, replace: bool = False) -> RestoreReport:
    """Restore the backup ``source`` into ``db`` and verify the result against the backup's manifest.

    A payload whose checksum differs from the manifest is refused before anything is written. Existing trial
    tables in the target are refused unless ``replace`` is set."""
    with _archive(source) as archive:
        manifest = _manifest_of(archive)
        if manifest.dialect != _dialect(db):
            raise ValidationError(
                "from", f"a {manifest.dialect} backup can only be restored into a {manifest.dialect} database"
            )
        target_dir = _sqlite_file(db, "db").parent if manifest.dialect == "sqlite" else None
        with tempfile.TemporaryDirectory(dir=target_dir, prefix=".mexards-restore-") as work:
            payload = Path(work) / manifest.payload
            _extract(archive, manifest, payload)
            if manifest.dialect == "sqlite":
                _sqlite_restore(db, payload, replace)
            else:
                _postgresql_restore(db, payload, manifest, replace)
    return RestoreReport(manifest, verify_restored(db, manifest))


def verify_restored(db: Database, manifest: BackupManifest) -> list[str]:
    """Every difference between ``db`` and the backup's manifest, and every audit problem (none: verified)."""
    with db.engine.connect() as conn:
        schema = _current_schema(conn) if not is_sqlite(db.url) else None
        present = set(inspect(conn).get_table_names(schema=schema))
        facts = _snapshot_facts(conn, sorted(present & set(manifest.row_counts)), schema)
        audit = _audit_problem_lines(conn) if "audit_log" in present else []
    problems = [f"table {name}: missing after restore" for name in sorted(set(manifest.row_counts) - present)]
    for name, count in facts["row_counts"].items():
        if count != manifest.row_counts[name]:
            problems.append(f"table {name}: {count} rows, the backup has {manifest.row_counts[name]}")
    head = (facts["audit_head_seq"], facts["audit_head_hash"])
    if head != (manifest.audit_head_seq, manifest.audit_head_hash):
        problems.append(
            f"audit head: seq {facts['audit_head_seq']}, the backup ends at seq {manifest.audit_head_seq}"
            + ("" if facts["audit_head_seq"] != manifest.audit_head_seq else " with another hash")
        )
    if facts["schema_revision"] != manifest.schema_revision:
        revision = facts["schema_revision"]
        problems.append(f"schema revision {revision}, the backup has {manifest.schema_revision}")
    return problems + audit


def _audit_problem_lines(conn: Connection) -> list[str]:
    with Session(bind=conn) as session:
        return [f"audit: {problem}" for problem in verify_audit(session)]


@contextlib.contextmanager
def _archive(source: Path) -> Iterator[zipfile.ZipFile]:
    source = Path(source)
    if not source.is_file():
        raise ValidationError("from", "the backup file does not exist", str(source))
    try:
        with zipfile.ZipFile(source) as archive:
            yield archive
    except zipfile.BadZipFile:
        raise ValidationError("from", f"not a {FORMAT} archive (not a zip file)", str(source)) from None


def _manifest_of(archive: zipfile.ZipFile) -> BackupManifest:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise ValidationError("from", f"not a {FORMAT} archive (no {MANIFEST})") from None
    if info.file_size > 10 * _CHUNK:
        raise ValidationError("from", "the manifest is implausibly large")
    return BackupManifest.from_json(archive.read(info))


def _extract(archive: zipfile.ZipFile, manifest: BackupManifest, target: Path) -> None:
    """Extract the payload, refusing it unless its size and SHA-256 are those of the manifest."""
    digest, size = hashlib.sha256(), 0
    try:
        with archive.open(manifest.payload) as src, target.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > manifest.payload_bytes:
                    break
                digest.update(chunk)
                dst.write(chunk)
    except KeyError:
        raise ValidationError("from", f"the archive has no {manifest.payload}") from None
    except (zipfile.BadZipFile, OSError) as exc:  # CRC errors and truncated members
        raise ValidationError("from", f"the payload cannot be read ({type(exc).__name__})") from None
    if size != manifest.payload_bytes or digest.hexdigest() != manifest.payload_sha256:
        raise ValidationError("from", "the payload does not match the manifest's SHA-256 (a damaged backup)")


def _sqlite_restore(db: Database, payload: Path, replace: bool) -> None:
    target = _sqlite_file(db, "db")
    db.dispose()
    if target.exists() and not replace:
        with contextlib.closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if tables:
            raise ValidationError(
                "db", "the target already holds tables: restore into a new file or use --replace", str(target)
            )
    with (
        contextlib.closing(sqlite3.connect(payload)) as src,
        contextlib.closing(sqlite3.connect(target, timeout=60)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")


def _postgresql_restore(db: Database, payload: Path, manifest: BackupManifest, replace: bool) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    with db.engine.connect() as conn:
        target = _current_schema(conn)
        existing = set(inspect(conn).get_table_names(schema=target))
        ours = existing & (set(manifest.row_counts) | {"audit_log", "alembic_version"})
        schemas = set(conn.scalars(text("SELECT nspname FROM pg_namespace")))
    db.dispose()
    if ours and not replace:
        raise ValidationError(
            "db", f"schema {target} already holds trial tables: restore into an empty schema or use --replace"
        )
    source = manifest.source_schema or target
    hold = f"{source}_hold_{os.getpid()}"
    prelude = [f"DROP TABLE IF EXISTS {_ident(target)}.{_ident(name)} CASCADE;" for name in sorted(ours)]
    prelude += [f"DROP FUNCTION IF EXISTS {_ident(target)}.{name}() CASCADE;" for name in AUDIT_FUNCTIONS]
    postlude: list[str] = []
    if source != target:
        if source in schemas:
            prelude.append(f"ALTER SCHEMA {_ident(source)} RENAME TO {_ident(hold)};")
            postlude.append(f"ALTER SCHEMA {_ident(hold)} RENAME TO {_ident(source)};")
        prelude.append(f"ALTER SCHEMA {_ident(target)} RENAME TO {_ident(source)};")
        postlude.insert(0, f"ALTER SCHEMA {_ident(source)} RENAME TO {_ident(target)};")
    work = payload.parent
    listing = _run([pg_restore, "--list", str(payload)], db.url, "pg_restore").splitlines()
    kept = [line for line in listing if " SCHEMA - " not in line and " COMMENT - SCHEMA " not in line]
    (work / "list.txt").write_text("\n".join(kept) + "\n")
    _run([pg_restore, "--no-owner", "--no-privileges", f"--use-list={work / 'list.txt'}",
          f"--file={work / 'restore.sql'}", str(payload)], db.url, "pg_restore")  # fmt: skip
    (work / "prelude.sql").write_text("\n".join(prelude) + "\n")
    (work / "postlude.sql").write_text("\n".join(postlude) + "\n")
    scripts = [f"--file={work / name}" for name in ("prelude.sql", "restore.sql", "postlude.sql")]
    psql_options = ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction"]
    _run([psql, *psql_options, *scripts], db.url, "psql")


# --- plumbing ----------------------------------------------------------------------------------------------


def _dialect(db: Database) -> str:
    name = db.engine.dialect.name
    if name not in PAYLOADS:
        raise ValidationError("db", "backups support SQLite and PostgreSQL databases only", name)
    return name


def _sqlite_file(db: Database, field_name: str) -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise ValidationError(field_name, "an in-memory SQLite database has no file to back up or restore")
    return Path(name)


def _current_schema(conn: Connection) -> str:
    schema = conn.scalar(text("SELECT current_schema()"))
    if not schema:
        raise ValidationError("db", "the first schema of the search path does not exist on the server")
    return str(schema)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_pattern(name: str) -> str:
    """A ``pg_dump --schema`` pattern that matches exactly ``name`` (quoted: no wildcards, case kept)."""
    return _ident(name)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (it comes with the PostgreSQL client tools)")
    return found


def libpq_environment(url: str) -> dict[str, str]:
    """The ``PG*`` variables that point libpq tools at the database of ``url`` (the password never goes on a
    command line, where other users could read it)."""
    parsed = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values: Mapping[str, Any] = {
        "PGHOST": parsed.host,
        "PGPORT": parsed.port,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
        "PGOPTIONS": parsed.query.get("options"),
        "PGSSLMODE": parsed.query.get("sslmode"),
    }
    env.update({k: str(v) for k, v in values.items() if v not in (None, "")})
    return env


def _run(command: list[str], url: str, tool: str) -> str:
    result = subprocess.run(command, env=libpq_environment(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        raise BackupError(f"{tool} failed: {detail[0] if detail else f'exit code {result.returncode}'}")
    return result.stdout


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
