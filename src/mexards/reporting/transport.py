"""Writing SDTM datasets as SAS transport version 5 files (``.xpt``) and CSV, and reading them back.

SAS V5 transport (the FDA's required dataset format, FDA Study Data Technical Conformance Guide section 3.3.1)
is written by ``pyreadstat.write_xport(..., file_format_version=5)`` with the dataset name as member name, the
dataset label as file label and the variable labels. Character nulls are written as empty strings and numeric
nulls as missing values, as SAS stores them. Datasets are checked with
:func:`mexards.reporting.conformance.ensure_conformant` before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import pyreadstat

from mexards.reporting.conformance import ensure_conformant
from mexards.reporting.dataset import Dataset, Value, Variable


def _column(dataset: Dataset, variable: Variable) -> list[Value]:
    name = variable.name
    if variable.kind == "Num":
        return [float("nan") if (v := row.get(name)) is None or v == "" else float(v)  # type: ignore[arg-type]
                for row in dataset.rows]
    return ["" if (v := row.get(name)) is None else v if isinstance(v, str) else str(v) for row in dataset.rows]


def data_frame(dataset: Dataset) -> pd.DataFrame:
    """The dataset as a pandas frame: variables in order, ``""`` for character nulls, NaN for numeric ones."""
    columns = {v.name: _column(dataset, v) for v in dataset.variables}
    frame = pd.DataFrame(columns, columns=[v.name for v in dataset.variables])
    for variable in dataset.variables:
        frame[variable.name] = frame[variable.name].astype("float64" if variable.kind == "Num" else "object")
    return frame


def write_xpt(dataset: Dataset, path: Path, frame: pd.DataFrame | None = None) -> Path:
    """Write one dataset (or its ``frame``, already built) as a SAS V5 transport file at ``path``."""
    frame = data_frame(dataset) if frame is None else frame
    pyreadstat.write_xport(frame, str(path), file_label=dataset.label,
                           column_labels=[v.label for v in dataset.variables], table_name=dataset.name,
                           file_format_version=5)
    return path


def write_csv(dataset: Dataset, path: Path, frame: pd.DataFrame | None = None) -> Path:
    """Write one dataset (or its ``frame``, already built) as CSV (header = variable names) at ``path``."""
    (data_frame(dataset) if frame is None else frame).to_csv(path, index=False)
    return path


def write_datasets(datasets: Mapping[str, Dataset], folder: Path) -> list[Path]:
    """Check ``datasets``, then write ``<name>.xpt`` and ``<name>.csv`` (lower-case names) for each into
    ``folder`` (created if needed); the paths written, in order."""
    ensure_conformant(datasets)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for dataset in datasets.values():
        stem, frame = dataset.name.lower(), data_frame(dataset)
        written.append(write_xpt(dataset, folder / f"{stem}.xpt", frame))
        written.append(write_csv(dataset, folder / f"{stem}.csv", frame))
    return written


def read_xpt(path: Path) -> tuple[pd.DataFrame, dict[str, str], str, str]:
    """Read a transport file back: the frame, variable labels, member name and dataset label."""
    frame, meta = pyreadstat.read_xport(str(path))
    labels = {name: label or "" for name, label in meta.column_names_to_labels.items()}
    return frame, labels, str(meta.table_name), str(meta.file_label or "")
