"""Ventilator-free days to Day 28 (VFD-28), and ICU-free days by the same rule.

Source: Schoenfeld DA, Bernard GR, Crit Care Med 2002;30:1772-7, as discussed in Yehya N et al., AJRCCM
2019;200:828-36 [S24]; counting conventions from clinical.md 3.7 (KNOWLEDGE: ARDS Network practice).

Inputs (the CRF derives them from ventilation episodes; they are never typed in as a VFD):

- ``ventilated_days``: the study days on which the patient received invasive ventilation (any part of the
  day), Day 0 = randomisation. Days before Day 0 are ignored. Non-invasive support is not counted (report it
  separately); brief peri-operative ventilation that the ARDSNet rule ignores is left out by the caller.
- ``death_day``: the study day of death, or ``None`` if alive at the end of follow-up.
- ``follow_up_end_day``: the last study day on which vital and ventilation status are known (default 28).

Rules:

- Death on or before Day 28 -> 0. Ventilated on Day 28 (still ventilated at Day 28) -> 0.
- ``total`` ("days alive and free"): 28 minus the number of ventilated days in Days 0-27 (re-intubation days
  are added).
- ``ARDSNet``: the days from the start of the last period of unassisted breathing to Day 28, i.e. 28 minus the
  first day after the last ventilated day (28 if never ventilated).
- Follow-up ending before Day 28 in a patient who has not died leaves VFD undetermined (``value=None``,
  ``complete=False``); it is never imputed here.

Both conventions are always reported; ``convention`` picks ``value`` (default ARDSNet, clinical.md 3.7).
ARDSNet never exceeds total because the ventilated days are all before the last liberation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mexards.domain.errors import ValidationError

RULE_VERSION = "VFD-28 (Schoenfeld & Bernard 2002); Day 0 = randomisation; invasive ventilation only"
HORIZON_DAYS = 28
CONVENTIONS = ("ARDSNet", "total")


@dataclass(frozen=True)
class VFDResult:
    """Ventilator-free (or ICU-free) days under both conventions."""

    value: int | None
    convention: str
    total: int | None
    ardsnet: int | None
    ventilated_day_count: int
    last_unassisted_start_day: int | None
    reason: str
    missing: tuple[str, ...]
    complete: bool
    horizon_days: int = HORIZON_DAYS
    rule_version: str = RULE_VERSION


def _day(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise ValidationError(field, "must be a whole study day", value)
    return value


def _convention(value: str) -> str:
    for name in CONVENTIONS:
        if str(value).strip().lower() == name.lower():
            return name
    raise ValidationError("convention", "must be one of: ARDSNet, total", value)


def ventilator_free_days(
    ventilated_days: Iterable[int],
    *,
    death_day: int | None = None,
    follow_up_end_day: int = HORIZON_DAYS,
    convention: str = "ARDSNet",
    horizon_days: int = HORIZON_DAYS,
) -> VFDResult:
    """VFD to Day ``horizon_days`` (28) from the ventilated study days; see the module docstring."""
    chosen = _convention(convention)
    horizon = _day(horizon_days, "horizon_days")
    if horizon <= 0:
        raise ValidationError("horizon_days", "must be greater than 0", horizon_days)
    if isinstance(ventilated_days, str | bytes):
        raise ValidationError("ventilated_days", "must be a list of study days", ventilated_days)
    days = sorted({_day(d, "ventilated_days") for d in ventilated_days})
    days = [d for d in days if d >= 0]
    end = _day(follow_up_end_day, "follow_up_end_day")
    if end < 0:
        raise ValidationError("follow_up_end_day", "must not be negative", follow_up_end_day)
    death = None if death_day is None else _day(death_day, "death_day")
    if death is not None and death < 0:
        raise ValidationError("death_day", "must not be negative", death_day)
    if death is not None and days and days[-1] > death:
        raise ValidationError("ventilated_days", "must not be after the day of death", days[-1])
    if death is None and days and days[-1] > end:
        raise ValidationError("ventilated_days", "must not be after the end of follow-up", days[-1])

    in_window = [d for d in days if d < horizon]
    count = len(in_window)

    def result(
        total: int | None, ardsnet: int | None, start: int | None, reason: str, missing: tuple[str, ...] = ()
    ) -> VFDResult:
        value = ardsnet if chosen == "ARDSNet" else total
        return VFDResult(
            value=value,
            convention=chosen,
            total=total,
            ardsnet=ardsnet,
            ventilated_day_count=count,
            last_unassisted_start_day=start,
            reason=reason,
            missing=missing,
            complete=not missing,
            horizon_days=horizon,
        )

    if death is not None and death <= horizon:
        return result(0, 0, None, f"died on Day {death} (on or before Day {horizon}): 0")
    if horizon in days:
        return result(0, 0, None, f"still ventilated on Day {horizon}: 0")
    if death is None and end < horizon:
        return result(
            None, None, None, f"follow-up ended on Day {end}, before Day {horizon}", ("status_to_day_28",)
        )
    start = in_window[-1] + 1 if in_window else 0
    return result(
        horizon - count,
        horizon - start,
        start,
        f"alive on Day {horizon}: {count} ventilated days in Days 0-{horizon - 1}; "
        f"last unassisted period from Day {start}",
    )


def icu_free_days(
    icu_days: Iterable[int],
    *,
    death_day: int | None = None,
    follow_up_end_day: int = HORIZON_DAYS,
    convention: str = "ARDSNet",
    horizon_days: int = HORIZON_DAYS,
) -> VFDResult:
    """ICU-free days to Day 28: the same rule with ICU stay days in place of ventilated days (clinical.md 3.7)."""
    return ventilator_free_days(
        icu_days,
        death_day=death_day,
        follow_up_end_day=follow_up_end_day,
        convention=convention,
        horizon_days=horizon_days,
    )
