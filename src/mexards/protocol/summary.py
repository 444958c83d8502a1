"""A plain summary of a protocol for people (``mexards protocol show``, ``mexards demo``) and machines."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from mexards.protocol.model import Dose, Intervention, Protocol


def format_particles(count: int | Decimal) -> str:
    """``200000000`` -> ``2.0×10^8`` (one decimal of mantissa, more when needed to be exact)."""
    value = Decimal(count)
    if value == 0:
        return "0"
    exponent = value.adjusted()
    mantissa = (value.scaleb(-exponent)).normalize()
    text = format(mantissa, "f")
    if "." not in text:
        text += ".0"
    return f"{text}×10^{exponent}"


def describe_dose(dose: Dose) -> str:
    """A dose in words: particles, cells/kg, a fraction of the MTD, or the placebo substance."""
    if dose.particles is not None:
        return f"{format_particles(dose.particles)} particles"
    if dose.cells_per_kg is not None:
        return f"{format_particles(dose.cells_per_kg)} cells/kg"
    if dose.fraction_of_mtd is not None:
        if dose.fraction_of_mtd == 1:
            return "MTD"
        return f"{format(dose.fraction_of_mtd.normalize(), 'f')} × MTD"
    return f"placebo ({dose.placebo})"


def particles_per_administration(dose: Dose, mtd_particles: int | None = None) -> int | None:
    """Particles given per administration: the fixed dose, or ``fraction_of_mtd`` x the MTD once the MTD is
    known (a quarter of an MTD of 16.0×10^8 is 4.0×10^8; of 8.0×10^8 is 2.0×10^8, clinical-examples.md X02).
    ``None`` for a placebo, a dose per kg, or a fraction of a not-yet-known MTD."""
    if dose.particles is not None:
        return dose.particles
    if dose.fraction_of_mtd is not None and mtd_particles is not None:
        return int((dose.fraction_of_mtd * mtd_particles).to_integral_value())
    return None


def course_total_particles(intervention: Intervention) -> int | None:
    """Particles over the whole schedule (dose × number of administration days), if the dose is fixed.

    E.g. 2.0×10^8 daily on Days 1-7 is 1.4×10^9 (clinical-examples.md X01)."""
    if intervention.dose.particles is None:
        return None
    return intervention.dose.particles * len(intervention.schedule_days)


def _days(days: tuple[int, ...]) -> str:
    if len(days) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
        return f"Days {days[0]}-{days[-1]}"
    return ("Day " if len(days) == 1 else "Days ") + ", ".join(str(d) for d in days)


@dataclass(frozen=True)
class ProtocolSummary:
    """The headline facts of a protocol, as text fields and lists of rows."""

    registry_id: str
    org_study_id: str
    title: str
    phase: str
    status: str
    sponsor: str
    collaborators: list[str]
    sites: list[str]
    dates: dict[str, str]
    enrollment: dict[str, int | None]
    design: str
    conditions: list[str]
    arms: list[dict[str, str]]
    dose_levels: list[dict[str, str]]
    phase1: str
    phase2: str
    visits: list[str]
    outcomes: list[dict[str, str]]
    inclusion: list[dict[str, str]]
    exclusion: list[dict[str, str]]
    settings: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def _phase1_text(protocol: Protocol) -> str:
    phase1 = protocol.phase1
    if phase1 is None:
        return ""
    design = phase1.design
    parts = [design.name]
    if design.target is not None:
        parts.append(f"target DLT rate {design.target}")
    parts.append(f"cohorts of {phase1.cohort_size}, at most {phase1.max_sample_size} participants")
    parts.append(f"start at {phase1.start_level}, DLT window {phase1.dlt_window_days} days")
    parts.append("next cohort may start before the DLT window closes" if phase1.next_cohort_before_window_closes
                 else "next cohort waits for the DLT window to close")
    text = "; ".join(parts)
    return text + (" (assumed)" if design.assumed else "")


def _phase2_text(protocol: Protocol) -> str:
    phase2 = protocol.phase2
    if phase2 is None:
        return ""
    ratio = ":".join(str(r) for r in phase2.allocation_ratio)
    text = f"arms {', '.join(phase2.arms)} at {ratio}"
    if phase2.strata:
        text += "; strata " + ", ".join(f"{s.name} ({'/'.join(s.levels)})" for s in phase2.strata)
    if phase2.block_sizes:
        text += "; blocks of " + " or ".join(str(b) for b in phase2.block_sizes)
    if phase2.sample_size:
        text += f"; n = {phase2.sample_size}"
    return text + (" (assumed)" if phase2.assumed else "")


def protocol_summary(protocol: Protocol) -> ProtocolSummary:
    """The summary of ``protocol``: identification, arms with doses and course totals, designs, visits,
    outcomes (``assumed`` flagged), criteria and settings."""
    ident = protocol.identification
    arms: list[dict[str, str]] = []
    for arm in protocol.arms:
        doses = []
        for ref in arm.interventions:
            item = protocol.intervention(ref)
            total = course_total_particles(item)
            text = f"{describe_dose(item.dose)} by {item.route}, {_days(item.schedule_days)}"
            if total is not None and len(item.schedule_days) > 1:
                text += f" (course total {format_particles(total)})"
            doses.append(text)
        arms.append({"id": arm.id, "label": arm.label, "phase": str(arm.phase or ""), "kind": arm.kind,
                     "dose": "; ".join(doses)})
    dates = {k: v for k, v in asdict(ident.dates).items() if v}
    design = ident.design
    return ProtocolSummary(
        registry_id=ident.registry_id,
        org_study_id=ident.org_study_id,
        title=ident.brief_title,
        phase=ident.phase,
        status=ident.status,
        sponsor=ident.sponsor.name,
        collaborators=[c.name for c in ident.collaborators],
        sites=[", ".join(p for p in (s.name, s.city, s.country) if p) for s in ident.sites],
        dates=dates,
        enrollment={"planned": ident.enrollment.planned, "actual": ident.enrollment.actual},
        design=", ".join(f"{name} {value or 'not stated'}" for name, value in (
            ("allocation", design.allocation), ("model", design.model), ("masking", design.masking),
            ("purpose", design.purpose))),
        conditions=list(protocol.conditions),
        arms=arms,
        dose_levels=[{"id": d.id, "label": d.label, "dose": f"{format_particles(d.dose_particles)} particles"}
                     for d in protocol.dose_levels],
        phase1=_phase1_text(protocol),
        phase2=_phase2_text(protocol),
        visits=[f"{v.label} (day {v.day}" + (f", -{v.window_before_days}/+{v.window_after_days} d)"
                                             if v.window_before_days or v.window_after_days else ")")
                for v in (protocol.schedule.visits if protocol.schedule else ())],
        outcomes=[{"id": o.id, "kind": o.kind, "measure": o.measure, "time_frame": o.time_frame,
                   "assumed": "yes" if o.assumed else "no"} for o in protocol.outcomes],
        inclusion=[{"id": c.id, "text": c.text} for c in protocol.eligibility.inclusion],
        exclusion=[{"id": c.id, "text": c.text} for c in protocol.eligibility.exclusion],
        settings={name: str(protocol.settings.value(name)).lower() if isinstance(protocol.settings.value(name),
                  bool) else str(protocol.settings.value(name)) for name in protocol.settings.names()},
    )
