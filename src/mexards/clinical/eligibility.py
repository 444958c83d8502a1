"""The eligibility engine: a protocol's criteria (data) evaluated on structured patient records.

Every criterion is evaluated (the engine never stops at the first failure) and gets a status:

- ``MET`` / ``NOT_MET``: the rule holds / does not hold on the recorded data;
- ``MISSING``: the data needed to decide are not recorded (the reason names the fields).

Composition uses three-valued (Kleene) logic: ``all`` is NOT_MET if any part is NOT_MET, else MISSING if any
part is MISSING; ``any`` is MET if any part is MET, else MISSING if any part is MISSING; ``not`` keeps MISSING.
Hence adding data can only settle a MISSING, and removing data can never turn a decided criterion into the
opposite decision.

The verdict: ``INELIGIBLE`` if any inclusion criterion is NOT_MET or any exclusion criterion is MET (all of
them are listed); otherwise ``INCOMPLETE`` if any criterion is MISSING; otherwise ``ELIGIBLE``.

Time anchors (``docs/eligibility.md``): ``screening`` is the record's ``screening_at``; ``enrolment`` is
``enrolment_at`` (the randomisation time that the reference examples use for "< 96 h"), and when that is not
recorded the screening time is used with a warning to re-check at enrolment. "Within N days" compares calendar
dates: inclusive ``event_date >= anchor_date - N days`` (clinical.md 1.3 PROPOSAL), exclusive ``>``.
Warnings (e.g. the exclusion 3 and/or ambiguity, an estimated weight) are kept only from parts of a rule that
can change its answer.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from mexards.clinical import criteria as derived
from mexards.clinical import quantity
from mexards.clinical.criteria import LABELS, Derived, show
from mexards.clinical.patient import Event, PatientRecord, PatientSchema
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol import criterion as rules
from mexards.protocol.consistency import check_protocol, field_catalogue, resolve_param
from mexards.protocol.model import Protocol, Settings


class Status(StrEnum):
    """The status of one criterion."""

    MET = "MET"
    NOT_MET = "NOT_MET"
    MISSING = "MISSING"


class Verdict(StrEnum):
    """The overall screening verdict."""

    ELIGIBLE = "ELIGIBLE"
    INELIGIBLE = "INELIGIBLE"
    INCOMPLETE = "INCOMPLETE"


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's status with the values used and a plain-language reason."""

    id: str
    kind: str
    text: str
    status: Status
    reason: str
    values: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def fails(self) -> bool:
        """True when this criterion makes the patient ineligible."""
        bad = Status.NOT_MET if self.kind == "inclusion" else Status.MET
        return self.status is bad

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {"id": self.id, "type": self.kind, "status": self.status.value, "reason": self.reason,
                "values": dict(self.values), "warnings": list(self.warnings)}


@dataclass(frozen=True)
class ScreeningResult:
    """A patient's screening: verdict, every criterion's result and the warnings."""

    patient_id: str
    protocol_id: str
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    warnings: tuple[str, ...] = ()

    @property
    def failing(self) -> tuple[str, ...]:
        """Ids of the criteria that make the patient ineligible (all of them, in protocol order)."""
        return tuple(c.id for c in self.criteria if c.fails)

    @property
    def missing(self) -> tuple[str, ...]:
        """Ids of the criteria that could not be decided."""
        return tuple(c.id for c in self.criteria if c.status is Status.MISSING)

    def criterion(self, criterion_id: str) -> CriterionResult:
        """The result of one criterion by id (``KeyError`` if unknown)."""
        for item in self.criteria:
            if item.id == criterion_id:
                return item
        raise KeyError(criterion_id)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with ``verdict`` and ``criteria: [{id, status, reason, ...}]``."""
        return {"patient_id": self.patient_id, "protocol": self.protocol_id, "verdict": self.verdict.value,
                "failing": list(self.failing), "missing": list(self.missing), "warnings": list(self.warnings),
                "criteria": [c.as_dict() for c in self.criteria]}


@dataclass(slots=True)
class _Outcome:
    status: Status
    reason: str
    values: dict[str, str]
    warnings: list[str]


class _Context:
    """One record being screened, with its derived values computed once."""

    __slots__ = ("cache", "record")

    def __init__(self, record: PatientRecord) -> None:
        self.record = record
        self.cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Derived] = {}

    def value(self, name: str, options: tuple[tuple[str, Any], ...]) -> Derived:
        key = (name, options)
        found = self.cache.get(key)
        if found is None:
            if name in derived.DERIVATIONS:
                found = derived.DERIVATIONS[name](self.record, **dict(options))
            else:
                raw = self.record.get(name)
                found = Derived(None, missing=(name,)) if raw is None else Derived(raw, {name: show(raw)})
            self.cache[key] = found
        return found

    def anchor(self, which: str) -> tuple[datetime, str, list[str]]:
        if which == "enrolment":
            enrolment = self.record.get("enrolment_at")
            if enrolment is not None:
                return enrolment, "enrolment", []
            return self.record.screening_at, "screening", [
                "enrolment time not recorded: evaluated at the screening time; re-check at enrolment"]
        return self.record.screening_at, "screening", []


Evaluator = Callable[[_Context], _Outcome]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


def _label(name: str) -> str:
    return LABELS.get(name, name)


def _missing(found: Derived, what: str) -> _Outcome:
    names = ", ".join(found.missing) or what
    if what not in derived.DERIVATIONS:
        return _Outcome(Status.MISSING, f"{what}: not recorded", dict(found.used), list(found.warnings))
    reason = f"{_label(what)} cannot be determined: {names} not recorded"
    if found.detail:
        reason += f" ({found.detail})"
    return _Outcome(Status.MISSING, reason, dict(found.used), list(found.warnings))


def _number(threshold: Decimal) -> str:
    return format(quantity.tidy(threshold), "f")


def _compile_compare(node: rules.Compare, options: tuple[tuple[str, Any], ...]) -> Evaluator:
    test = _OPS[node.op]
    threshold = node.threshold
    label = _label(node.value)
    holds_text = f"{node.op} {_number(threshold)}"
    fails_text = f"{_NEGATED[node.op]} {_number(threshold)}"

    def evaluate(ctx: _Context) -> _Outcome:
        found = ctx.value(node.value, options)
        values = dict(found.used)
        if found.value is None:
            if found.low is not None and found.high is not None:
                low_ok, high_ok = test(found.low, threshold), test(found.high, threshold)
                if node.op in ("<", "<=", ">", ">=") and low_ok == high_ok:
                    status = Status.MET if low_ok else Status.NOT_MET
                    verb = "" if low_ok else "not "
                    reason = (f"{label} {found.detail}: {verb}{node.op} {_number(threshold)} whatever the "
                              f"missing values ({', '.join(found.missing)})")
                    return _Outcome(status, reason, values, list(found.warnings))
            return _missing(found, node.value)
        values[node.value] = show(found.value)
        holds = test(found.value, threshold)
        shown = f"{label} {show(found.value)}"
        reason = f"{shown} {holds_text if holds else fails_text}"
        if found.detail:
            reason += f" ({found.detail})"
        return _Outcome(Status.MET if holds else Status.NOT_MET, reason, values, list(found.warnings))

    return evaluate


def _compile_range(node: rules.Range, options: tuple[tuple[str, Any], ...]) -> Evaluator:
    label = _label(node.value)
    low_text = "" if node.minimum is None else f"{_number(node.minimum)}{'' if node.min_inclusive else ' (exclusive)'}"
    high_text = "" if node.maximum is None else f"{_number(node.maximum)}{'' if node.max_inclusive else ' (exclusive)'}"
    span = f"{low_text or '-inf'} to {high_text or 'inf'}"

    def evaluate(ctx: _Context) -> _Outcome:
        found = ctx.value(node.value, options)
        if found.value is None:
            return _missing(found, node.value)
        value = found.value
        ok = True
        if node.minimum is not None:
            ok = value >= node.minimum if node.min_inclusive else value > node.minimum
        if ok and node.maximum is not None:
            ok = value <= node.maximum if node.max_inclusive else value < node.maximum
        values = {**found.used, node.value: show(value)}
        reason = f"{label} {show(value)} is {'within' if ok else 'outside'} {span}"
        return _Outcome(Status.MET if ok else Status.NOT_MET, reason, values, list(found.warnings))

    return evaluate


def _compile_in(node: rules.InSet, options: tuple[tuple[str, Any], ...]) -> Evaluator:
    allowed = {v.lower() for v in node.values}
    listed = ", ".join(node.values)
    label = _label(node.value)

    def evaluate(ctx: _Context) -> _Outcome:
        found = ctx.value(node.value, options)
        if found.value is None:
            return _missing(found, node.value)
        ok = str(found.value).lower() in allowed
        values = {**found.used, node.value: show(found.value)}
        reason = f"{label} {show(found.value)} is {'' if ok else 'not '}one of {listed}"
        if found.detail:
            reason += f" ({found.detail})"
        return _Outcome(Status.MET if ok else Status.NOT_MET, reason, values, list(found.warnings))

    return evaluate


def _compile_flag(path: str, attested: bool) -> Evaluator:
    who = "investigator attests" if attested else "recorded"
    missing = f"no investigator attestation for {path}" if attested else f"{path}: not recorded"
    yes, no = f"{path}: yes ({who})", f"{path}: no ({who})"

    def evaluate(ctx: _Context) -> _Outcome:
        value = ctx.record.values.get(path)
        if value is None:
            return _Outcome(Status.MISSING, missing, {}, [])
        if value:
            return _Outcome(Status.MET, yes, {path: "yes"}, [])
        return _Outcome(Status.NOT_MET, no, {path: "no"}, [])

    return evaluate


def _period_start(anchor: date, amount: int, unit: str) -> date:
    if unit == "days":
        return anchor - timedelta(days=amount)
    if unit == "weeks":
        return anchor - timedelta(weeks=amount)
    months = amount * (12 if unit == "years" else 1)
    year, month = divmod(anchor.year * 12 + anchor.month - 1 - months, 12)
    day = min(anchor.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def _event_day(when: date, anchor: datetime) -> date:
    if isinstance(when, datetime):
        return when.astimezone(anchor.tzinfo).date()
    return when


def _compile_within(node: rules.Within, settings: Settings) -> Evaluator:
    inclusive = bool(resolve_param(node.inclusive, settings))
    window = f"{node.amount} {node.unit}{' inclusive' if inclusive else ' exclusive'}"

    def evaluate(ctx: _Context) -> _Outcome:
        event = ctx.record.get(node.event)
        moment, anchor_name, warnings = ctx.anchor(node.anchor)
        if not isinstance(event, Event) or event.occurred is None:
            return _Outcome(Status.MISSING, f"{node.event}: not recorded (occurred yes/no)", {}, warnings)
        values = {node.event: show(event)}
        if not event.occurred:
            return _Outcome(Status.NOT_MET, f"{node.event}: none recorded", values, [])
        if event.when is None:
            return _Outcome(Status.MISSING, f"{node.event}: occurred but the date is not recorded", values, warnings)
        anchor_day = moment.date()
        start = _period_start(anchor_day, node.amount, node.unit)
        day = _event_day(event.when, moment)
        ok = day >= start if inclusive else day > start
        ago = (anchor_day - day).days
        values[f"{anchor_name}_date"] = anchor_day.isoformat()
        when = f"{ago} days before {anchor_name}" if ago >= 0 else f"{-ago} days after {anchor_name}"
        reason = f"{node.event} on {day.isoformat()}, {when}: {'within' if ok else 'not within'} {window}"
        return _Outcome(Status.MET if ok else Status.NOT_MET, reason, values, warnings)

    return evaluate


def _compile_elapsed(node: rules.Elapsed) -> Evaluator:
    test = _OPS[node.op]

    def evaluate(ctx: _Context) -> _Outcome:
        since = ctx.record.get(node.since)
        moment, anchor_name, warnings = ctx.anchor(node.anchor)
        if since is None:
            return _Outcome(Status.MISSING, f"{node.since}: not recorded", {}, warnings)
        delta = moment - since
        seconds = Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)
        hours = quantity.ratio(seconds, Decimal(3600))
        values = {node.since: show(since), f"{anchor_name}_at": show(moment), "elapsed_hours": show(hours)}
        if hours < 0:
            return _Outcome(Status.MISSING, f"{node.since} is after the {anchor_name} time; check the dates",
                            values, warnings)
        holds = test(hours, node.hours)
        reason = (f"{show(hours)} h from {node.since} to {anchor_name}: "
                  f"{node.op if holds else _NEGATED[node.op]} {_number(node.hours)} h")
        return _Outcome(Status.MET if holds else Status.NOT_MET, reason, values, warnings)

    return evaluate


def _combine(outcomes: list[_Outcome], conjunction: bool, split_warning: str | None = None) -> _Outcome:
    decisive = Status.NOT_MET if conjunction else Status.MET
    statuses = [o.status for o in outcomes]
    if decisive in statuses:
        status = decisive
    elif Status.MISSING in statuses:
        status = Status.MISSING
    else:
        status = Status.MET if conjunction else Status.NOT_MET
    shown = [o for o in outcomes if o.status is status] or outcomes
    values: dict[str, str] = {}
    for o in outcomes:
        values.update(o.values)
    warnings: list[str] = []
    if any(o.warnings for o in outcomes):
        for i, o in enumerate(outcomes):
            others_decide = any(p.status is decisive for j, p in enumerate(outcomes) if j != i)
            if not others_decide:
                warnings.extend(w for w in o.warnings if w not in warnings)
    if split_warning and Status.MET in statuses and Status.NOT_MET in statuses:
        warnings.append(split_warning)
    reason = "; ".join(o.reason for o in shown)
    return _Outcome(status, reason, values, warnings)


def compile_rule(rule: rules.Rule, settings: Settings) -> Evaluator:
    """An evaluator for ``rule`` with the protocol ``settings`` resolved once, here."""
    if isinstance(rule, rules.Compare | rules.Range | rules.InSet):
        options = tuple(sorted((k, resolve_param(v, settings)) for k, v in rule.options.items()))
        if isinstance(rule, rules.Compare):
            return _compile_compare(rule, options)
        if isinstance(rule, rules.Range):
            return _compile_range(rule, options)
        return _compile_in(rule, options)
    if isinstance(rule, rules.Fact):
        return _compile_flag(rule.field, attested=False)
    if isinstance(rule, rules.Attestation):
        return _compile_flag(rule.field, attested=True)
    if isinstance(rule, rules.Within):
        return _compile_within(rule, settings)
    if isinstance(rule, rules.Elapsed):
        return _compile_elapsed(rule)
    if isinstance(rule, rules.Not):
        inner = compile_rule(rule.rule, settings)

        def negate(ctx: _Context) -> _Outcome:
            o = inner(ctx)
            flipped = {Status.MET: Status.NOT_MET, Status.NOT_MET: Status.MET}.get(o.status, o.status)
            return _Outcome(flipped, o.reason, o.values, o.warnings)

        return negate
    parts = [compile_rule(part, settings) for part in rule.rules]
    if isinstance(rule, rules.Join):
        conjunction = resolve_param(rule.op, settings) == "and"
        warning = rule.warn_when_split
    else:
        conjunction, warning = isinstance(rule, rules.AllOf), None

    def combine(ctx: _Context) -> _Outcome:
        return _combine([part(ctx) for part in parts], conjunction, warning)

    return combine


class Screener:
    """A protocol's criteria compiled once, ready to screen any number of records.

    ``settings`` overrides protocol settings by name (e.g. ``{"exclusion3_join": "or"}``)."""

    def __init__(self, protocol: Protocol, settings: Mapping[str, Any] | None = None) -> None:
        self.protocol = _with_settings(protocol, settings or {})
        self.schema = PatientSchema(field_catalogue(self.protocol))
        compiled = self.protocol.eligibility
        self._criteria = [(c, "inclusion", compile_rule(c.rule, self.protocol.settings)) for c in compiled.inclusion]
        self._criteria += [(c, "exclusion", compile_rule(c.rule, self.protocol.settings)) for c in compiled.exclusion]

    def screen(self, record: Mapping[str, Any] | PatientRecord, where: str = "") -> ScreeningResult:
        """Screen one record (raw mapping or an already checked record)."""
        checked = record if isinstance(record, PatientRecord) else self.schema.parse(record, where)
        ctx = _Context(checked)
        results: list[CriterionResult] = []
        warnings: list[str] = []
        errors: dict[tuple[str, str], ValidationError] = {}
        for item, kind, evaluate in self._criteria:
            try:
                o = evaluate(ctx)
            except ValidationError as exc:
                for error in exc.errors if isinstance(exc, ValidationErrors) else [exc]:
                    named = _prefixed(error, where)
                    errors.setdefault((named.field, named.rule), named)
                continue
            results.append(CriterionResult(item.id, kind, item.text, o.status, o.reason, o.values, tuple(o.warnings)))
            warnings.extend(f"{item.id}: {w}" for w in o.warnings if f"{item.id}: {w}" not in warnings)
        if errors:
            raise ValidationErrors(list(errors.values()))
        if any(r.fails for r in results):
            verdict = Verdict.INELIGIBLE
        elif any(r.status is Status.MISSING for r in results):
            verdict = Verdict.INCOMPLETE
        else:
            verdict = Verdict.ELIGIBLE
        return ScreeningResult(checked.patient_id, self.protocol.registry_id, verdict, tuple(results),
                               tuple(warnings))

    def screen_many(self, records: Iterable[Mapping[str, Any]]) -> list[ScreeningResult]:
        """Screen several records; problems in any record are all reported together, each field prefixed
        ``rows[N].`` (N counted from 1)."""
        results: list[ScreeningResult] = []
        errors: list[ValidationError] = []
        for number, record in enumerate(records, start=1):
            try:
                results.append(self.screen(record, f"rows[{number}]."))
            except ValidationErrors as exc:
                errors.extend(exc.errors)
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationErrors(errors)
        return results


def _prefixed(error: ValidationError, where: str) -> ValidationError:
    if not where or error.field.startswith(where):
        return error
    return ValidationError(f"{where}{error.field}", error.rule, error.value)


def _with_settings(protocol: Protocol, overrides: Mapping[str, Any]) -> Protocol:
    if not overrides:
        return protocol
    known = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    errors: list[ValidationError] = []
    for name in overrides:
        if name not in known and name not in protocol.settings.extra:
            errors.append(ValidationError(f"settings.{name}", "is not a setting of this protocol", name))
    if errors:
        raise ValidationErrors(errors)
    settings = dataclasses.replace(
        protocol.settings,
        **{k: v for k, v in overrides.items() if k in known},
        extra={**protocol.settings.extra, **{k: v for k, v in overrides.items() if k not in known}},
    )
    updated = dataclasses.replace(protocol, settings=settings)
    problems = check_protocol(updated)
    if problems:
        raise ValidationErrors(problems)
    return updated


def screen_patient(protocol: Protocol, record: Mapping[str, Any], settings: Mapping[str, Any] | None = None
                   ) -> ScreeningResult:
    """Screen one patient record against ``protocol`` (compiles the criteria; reuse a :class:`Screener` for
    many records)."""
    return Screener(protocol, settings).screen(record)
