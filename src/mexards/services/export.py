"""Auditing of exports and report downloads: every file or report that leaves the system through an export is
recorded in the audit trail with who, when, what (the export's name and format, the number of rows), the
blinding it was made in and the sites it covers (``edc-and-standards.md`` AUD-4; 21 CFR 11.10(e)).

The entrypoint checks :func:`require_export` before it reads, reads through the read models (which apply the
site scope and the blinding), and calls :func:`record_export` before it hands the file out.
"""

from __future__ import annotations

from mexards.domain.errors import ValidationError
from mexards.domain.identifier import checked_code
from mexards.domain.role import Actor
from mexards.services.event import DataExported
from mexards.services.operation import operation, record
from mexards.services.policy import Action, require, sees_arms, visible_sites
from mexards.services.port import UnitOfWork


def require_export(actor: Actor, *actions: Action) -> None:
    """The actor may export data, and read what the export holds (``actions``)."""
    require(actor, Action.EXPORT_DATA)
    for action in actions:
        require(actor, action)


def record_export(
    uow: UnitOfWork, actor: Actor, export: str, rows: int, file_format: str = "csv"
) -> DataExported:
    """Write the audit entry of one export download (its own transaction, committed before the file is sent)."""
    name = checked_code("export", export)
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ValidationError("rows", "must be a whole number, at least 0", rows)
    fmt = checked_code("file_format", file_format)
    with operation(uow, actor, Action.EXPORT_DATA) as u:
        sites = visible_sites(actor)
        event = DataExported(
            document_id=name, file_format=fmt, rows=rows, blinded=not sees_arms(actor),
            site_ids=tuple(sorted(s.value for s in sites)) if sites is not None else (),
            occurred_at=u.clock.now(),
        )  # fmt: skip
        record(u, event)
        u.commit()
    return event
