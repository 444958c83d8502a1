"""CLI command: ``mexards score NAME INPUT.json|INPUT.csv [--json]``.

Computes one clinical score per record with :mod:`mexards.clinical`. A JSON object gives one result (a JSON
list gives one per item); a CSV file gives one result per row. Field names are the keyword arguments of the
library function (listed in docs/clinical.md); an ``id`` field is carried through as a label. Bad input exits
with status 2 and ``field: rule`` lines on stderr (``row N.field`` for files with several records).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from mexards.cli.failure import reported_errors
from mexards.clinical import quantity
from mexards.clinical.anthropometry import bmi, ventilation_target
from mexards.clinical.berlin import classify_berlin
from mexards.clinical.child_pugh import child_pugh
from mexards.clinical.murray import murray_score
from mexards.clinical.sofa import sofa_score
from mexards.clinical.ventilation import ventilator_free_days
from mexards.domain.errors import ValidationError, ValidationErrors

Record = dict[str, Any]
Output = dict[str, Any]

_BOOLEAN_FIELDS = {"timing_within_1_week", "bilateral_opacities", "edema_not_cardiac", "respiratory_support"}
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def _boolean(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(field, "must be true or false", value)


def _clean(record: Mapping[str, Any]) -> Record:
    """Empty strings become missing values; boolean fields are parsed; everything else stays as entered."""
    cleaned: Record = {}
    for key, value in record.items():
        name = str(key).strip()
        if isinstance(value, str) and not value.strip():
            value = None
        cleaned[name] = _boolean(value, name) if name in _BOOLEAN_FIELDS else value
    return cleaned


def _take(record: Record, allowed: set[str], score: str) -> Record:
    unknown = sorted(set(record) - allowed - {"id"})
    if unknown:
        raise ValidationErrors([ValidationError(key, f"is not an input of {score}", record[key]) for key in unknown])
    return {key: value for key, value in record.items() if key in allowed and value is not None}


def _pao2(record: Record) -> None:
    """``pao2`` with ``pao2_unit`` (mmHg or kPa) becomes ``pao2_mmhg``."""
    unit = record.pop("pao2_unit", None)
    if "pao2" in record:
        raw = record.pop("pao2")
        if raw is not None:
            record["pao2_mmhg"] = quantity.pressure_mmhg(raw, unit or "mmHg", "pao2")
    elif unit is not None and record.get("pao2_mmhg") is not None:
        record["pao2_mmhg"] = quantity.pressure_mmhg(record["pao2_mmhg"], unit, "pao2_mmhg")


def _number(value: Decimal | None) -> int | float | None:
    """A JSON number for display/machines (exact values stay available through the library)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _shown(value: Decimal | None, places: str = "0.01") -> str:
    if value is None:
        return "-"
    rounded = value.quantize(Decimal(places))
    return str(value) if rounded == value else str(rounded)


def _berlin(record: Record) -> Output:
    _pao2(record)
    fields = {
        "pao2_mmhg",
        "fio2_fraction",
        "peep_cmh2o",
        "support",
        "timing_within_1_week",
        "bilateral_opacities",
        "edema_not_cardiac",
        "barometric_pressure_mmhg",
        "altitude_m",
        "policy",
    }
    given = _take(record, fields, "berlin")
    for name in ("pao2_mmhg", "fio2_fraction", "peep_cmh2o", "support"):
        given.setdefault(name, None)
    for name in ("timing_within_1_week", "bilateral_opacities", "edema_not_cardiac"):
        given.setdefault(name, record.get(name) if name in record else True)
    result = classify_berlin(**given)
    return {
        "category": result.category.value,
        "pragmatic_category": result.pragmatic_category.value,
        "pf_ratio": _number(result.pf_ratio),
        "pf_ratio_corrected": _number(result.pf_ratio_corrected),
        "reasons": list(result.reasons),
        "warnings": list(result.warnings),
        "missing": list(result.missing),
        "rule_version": result.rule_version,
    }


def _murray(record: Record) -> Output:
    _pao2(record)
    fields = {
        "cxr_quadrants",
        "pf_ratio",
        "pao2_mmhg",
        "fio2_fraction",
        "peep_cmh2o",
        "compliance_ml_cmh2o",
        "tidal_volume_ml",
        "plateau_cmh2o",
        "peak_cmh2o",
        "compliance_formula",
    }
    given = _take(record, fields, "murray")
    given.setdefault("cxr_quadrants", None)
    result = murray_score(**given)
    return {
        "score": _number(result.score),
        "category": result.category.value,
        "total": result.total,
        "components": result.components,
        "missing": list(result.missing),
        "complete": result.complete,
        "compliance_ml_cmh2o": _number(result.compliance_ml_cmh2o),
        "compliance_formula": result.compliance_formula,
        "warnings": list(result.warnings),
        "rule_version": result.rule_version,
    }


def _sofa(record: Record) -> Output:
    _pao2(record)
    fields = {
        "pf_ratio",
        "pao2_mmhg",
        "fio2_fraction",
        "respiratory_support",
        "platelets_10e3_ul",
        "bilirubin_mg_dl",
        "bilirubin_unit",
        "map_mmhg",
        "dopamine_ug_kg_min",
        "dobutamine_ug_kg_min",
        "epinephrine_ug_kg_min",
        "norepinephrine_ug_kg_min",
        "gcs",
        "creatinine_mg_dl",
        "creatinine_unit",
        "urine_output_ml_day",
    }
    result = sofa_score(**_take(record, fields, "sofa"))
    return {
        "total": result.total,
        "components": result.components,
        "missing": list(result.missing),
        "complete": result.complete,
        "clauses": result.clauses,
        "warnings": list(result.warnings),
        "rule_version": result.rule_version,
    }


def _child_pugh(record: Record) -> Output:
    fields = {
        "bilirubin_mg_dl",
        "albumin_g_dl",
        "inr",
        "ascites",
        "encephalopathy",
        "bilirubin_unit",
        "albumin_unit",
        "albumin_lower_g_dl",
    }
    given = _take(record, fields, "child-pugh")
    for name in ("bilirubin_mg_dl", "albumin_g_dl", "inr", "ascites", "encephalopathy"):
        given.setdefault(name, None)
    result = child_pugh(**given)
    return {
        "total": result.score,
        "child_class": result.child_class,
        "components": result.components,
        "rule_version": result.rule_version,
    }


def _bmi(record: Record) -> Output:
    given = _take(record, {"weight_kg", "height_cm", "rounding"}, "bmi")
    for name in ("weight_kg", "height_cm"):
        given.setdefault(name, None)
    value = bmi(**given)
    return {
        "bmi": _number(value),
        "bmi_exact": str(value),
        "bmi_1dp": str(bmi(given["weight_kg"], given["height_cm"], rounding="1dp")),
        "rounding": given.get("rounding", "none"),
    }


def _pbw(record: Record) -> Output:
    given = _take(record, {"sex", "height_cm", "ml_per_kg"}, "pbw")
    for name in ("sex", "height_cm"):
        if given.get(name) is None:
            raise ValidationError(name, "is required")
    target = ventilation_target(**given)
    return {
        "predicted_body_weight_kg": _number(target.predicted_body_weight_kg),
        "ml_per_kg": _number(target.ml_per_kg),
        "tidal_volume_ml": _number(target.tidal_volume_ml),
        "formula": target.formula,
        "warnings": list(target.warnings),
        "rule_version": target.rule_version,
    }


def parse_day_list(value: Any) -> list[int]:
    """Ventilated study days from a JSON list or a text such as ``"0-4;8-11"`` / ``"0 1 2"`` (ranges inclusive)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    days: list[int] = []
    for part in str(value).replace(";", ",").replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        first, sep, last = part.partition("-")
        if not first.isdigit() or (sep and not last.isdigit()):
            raise ValidationError("ventilated_days", "must be whole study days such as 0-4;8-11", value)
        days.extend(range(int(first), int(last) + 1) if sep else [int(first)])
    return days


def _vfd(record: Record) -> Output:
    fields = {"ventilated_days", "death_day", "follow_up_end_day", "convention"}
    given = _take(record, fields, "vfd")
    given["ventilated_days"] = parse_day_list(given.get("ventilated_days"))
    days = given.pop("ventilated_days")
    result = ventilator_free_days(days, **given)
    return {
        "value": result.value,
        "convention": result.convention,
        "total": result.total,
        "ardsnet": result.ardsnet,
        "ventilated_day_count": result.ventilated_day_count,
        "reason": result.reason,
        "missing": list(result.missing),
        "complete": result.complete,
        "rule_version": result.rule_version,
    }


SCORES: dict[str, Callable[[Record], Output]] = {
    "berlin": _berlin,
    "murray": _murray,
    "sofa": _sofa,
    "child-pugh": _child_pugh,
    "bmi": _bmi,
    "pbw": _pbw,
    "vfd": _vfd,
}


def read_records(path: Path) -> tuple[list[Record], bool]:
    """The records of a JSON or CSV file, and whether the file held a single JSON object."""
    if not path.is_file():
        raise ValidationError("input", "file not found", str(path))
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".json":
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise ValidationError("input", f"is not valid JSON (line {exc.lineno})", str(path)) from None
        if isinstance(data, dict):
            return [data], True
        if isinstance(data, list) and all(isinstance(item, dict) for item in data):
            return list(data), False
        raise ValidationError("input", "must be a JSON object or a list of objects", str(path))
    if suffix == ".csv":
        return [dict(row) for row in csv.DictReader(text.splitlines())], False
    raise ValidationError("input", "must be a .json or .csv file", str(path))


def score_records(name: str, records: list[Record], single: bool) -> list[Output]:
    """Score every record; all invalid records are reported together (``row N.field`` when several)."""
    key = name.strip().lower().replace("_", "-")
    if key not in SCORES:
        raise ValidationError("name", "must be one of: " + ", ".join(SCORES), name)
    compute = SCORES[key]
    outputs: list[Output] = []
    errors: list[ValidationError] = []
    for number, record in enumerate(records, start=1):
        try:
            output: Output = {"name": key}
            if record.get("id") is not None:
                output["id"] = str(record["id"])
            output.update(compute(_clean(record)))
            outputs.append(output)
        except ValidationError as exc:
            found = exc.errors if isinstance(exc, ValidationErrors) else [exc]
            for err in found:
                label = err.field if single else f"row {number}.{err.field}"
                errors.append(ValidationError(label, err.rule, err.value))
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
    return outputs


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "-"
    return str(value)


def _render(outputs: list[Output], single: bool, console: Console) -> None:
    if single:
        table = Table(title=str(outputs[0]["name"]), show_header=True)
        table.add_column("item")
        table.add_column("value")
        for key, value in outputs[0].items():
            if key == "name":
                continue
            if key in ("components", "clauses") and isinstance(value, dict):
                for part, points in value.items():
                    table.add_row(f"{key}.{part}", _cell(points))
            else:
                table.add_row(key, _cell(value))
        console.print(table)
        return
    rows = [_flatten(output) for output in outputs]
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    table = Table(title=str(outputs[0]["name"]) if outputs else "no records")
    table.add_column("row")
    for column in columns:
        table.add_column(column, overflow="fold")
    for number, row in enumerate(rows, start=1):
        table.add_row(str(number), *(_cell(row.get(column)) for column in columns))
    console.print(table)
    for number, output in enumerate(outputs, start=1):
        for warning in output.get("warnings", []):
            console.print(f"row {number}: {warning}")


_WIDE = {
    "name",
    "rule_version",
    "clauses",
    "reasons",
    "reason",
    "warnings",
    "formula",
    "compliance_formula",
    "bmi_exact",
    "complete",
}


def _flatten(output: Output) -> Output:
    """The short columns of one result for the many-rows table (components as one column each)."""
    row: Output = {}
    for key, value in output.items():
        if key in _WIDE:
            continue
        if key == "components" and isinstance(value, dict):
            row.update(value)
        else:
            row[key] = value
    return row


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""

    @app.command("score")
    def score(
        name: str = typer.Argument(..., help="berlin, murray, sofa, child-pugh, bmi, pbw or vfd."),
        input_path: Path = typer.Argument(..., metavar="INPUT", help="A .json object (or list) or a .csv file."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON for machines instead of a table."),
    ) -> None:
        """Compute a clinical score (Berlin, Murray, SOFA, Child-Pugh, BMI, PBW, VFD) for each input record."""
        with reported_errors():
            records, single = read_records(input_path)
            outputs = score_records(name, records, single)
        if as_json:
            typer.echo(json.dumps(outputs[0] if single else outputs, indent=2, ensure_ascii=False, default=str))
        else:
            _render(outputs, single, Console())
