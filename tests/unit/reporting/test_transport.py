"""SAS V5 transport and CSV files round-trip through pyreadstat and pandas."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from mexards.domain.errors import ValidationErrors
from mexards.protocol.model import Protocol
from mexards.reporting.transport import data_frame, read_xpt, write_datasets
from mexards.reporting.trial_design import trial_design_datasets


def test_every_dataset_reads_back_from_xpt_with_the_same_values_and_labels(
    protocol: Protocol, tmp_path: Path
) -> None:
    datasets = trial_design_datasets(protocol)
    written = write_datasets(datasets, tmp_path)
    assert [p.name for p in written] == [
        f"{n}.{ext}" for n in ("ts", "ta", "te", "tv", "ti") for ext in ("xpt", "csv")
    ]
    for name, dataset in datasets.items():
        frame, labels, member, label = read_xpt(tmp_path / f"{name.lower()}.xpt")
        assert member == name and label == dataset.label
        assert list(frame.columns) == [v.name for v in dataset.variables]
        assert labels == {v.name: v.label for v in dataset.variables}
        expected = data_frame(dataset)
        for variable in dataset.variables:
            got, want = frame[variable.name], expected[variable.name]
            if variable.kind == "Num":
                pd.testing.assert_series_equal(got.astype(float), want, check_names=False)
            else:
                assert list(got.fillna("")) == list(want), variable.name


def test_the_file_starts_with_the_v5_library_header(mexards: Protocol, tmp_path: Path) -> None:
    write_datasets(trial_design_datasets(mexards), tmp_path)
    head = (tmp_path / "ts.xpt").read_bytes()[:80]
    assert head.startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")


def test_the_csv_has_the_same_rows(mexards: Protocol, tmp_path: Path) -> None:
    datasets = trial_design_datasets(mexards)
    write_datasets(datasets, tmp_path)
    frame = pd.read_csv(tmp_path / "ti.csv", keep_default_na=False)
    assert list(frame["IETESTCD"]) == [c.id for c in mexards.eligibility.all()]
    assert len(frame) == len(datasets["TI"].rows)


def test_nothing_is_written_when_a_dataset_fails_the_checks(mexards: Protocol, tmp_path: Path) -> None:
    datasets = trial_design_datasets(mexards)
    ti = datasets["TI"]
    datasets["TI"] = dataclasses.replace(ti, rows=({**ti.rows[0], "IECAT": None}, *ti.rows[1:]))
    with pytest.raises(ValidationErrors) as caught:
        write_datasets(datasets, tmp_path / "out")
    assert caught.value.field == "TI.IECAT[row 1]"
    assert not (tmp_path / "out").exists()
