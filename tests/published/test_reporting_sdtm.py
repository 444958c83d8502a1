"""Trial design datasets against the published rules they follow.

Sources:
- SAS Institute, TS-140 "The record layout of a data set in SAS transport (XPORT) format": 80-byte header
  records; the library header, member header and a NAMESTR header whose bytes 55-58 give the number of
  variables. FDA Study Data Technical Conformance Guide 3.3.1: SAS V5 transport is the required format.
- CDISC SDTMIG v3.4 section 7.4.2 (TS): ages as ISO 8601 durations (AGEMIN "P18Y"); no upper age limit is
  TSVALNF "PINF"; a TSVAL over 200 characters continues in TSVAL1..TSVALn. Section 4.4.4: there is no study
  day 0.
- Registry record NCT04602104 (seed): 18-70 years, Phase 1/2, randomized, double masking.
Matches are exact.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mexards.protocol import builtin_protocol
from mexards.reporting.transport import write_datasets
from mexards.reporting.trial_design import study_day, trial_design_datasets


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sdtm")
    write_datasets(trial_design_datasets(builtin_protocol("NCT04602104")), path)
    return path


def _records(path: Path, count: int) -> list[bytes]:
    data = path.read_bytes()
    return [data[i * 80 : (i + 1) * 80] for i in range(count)]


def test_the_transport_file_has_the_ts140_header_records(folder: Path) -> None:
    records = _records(folder / "ts.xpt", 8)
    assert records[0] == b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
    assert records[1].startswith(b"SAS     SAS     SASLIB  ")
    assert records[3] == b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
    assert records[4] == b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
    assert records[5].startswith(b"SAS     TS      SASDATA ")
    assert records[6][32:45] == b"Trial Summary"
    assert records[7].startswith(b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!")
    assert int(records[7][54:58]) == 11, "TS has 11 variables"


def test_ages_are_iso_8601_durations_from_the_registry_age_limits() -> None:
    ts = trial_design_datasets(builtin_protocol("NCT04602104"))["TS"]
    values = {r["TSPARMCD"]: r["TSVAL"] for r in ts.rows}
    assert (values["AGEMIN"], values["AGEMAX"]) == ("P18Y", "P70Y")
    assert (values["TPHASE"], values["RANDOM"], values["TBLIND"]) == ("PHASE I/II TRIAL", "Y", "DOUBLE BLIND")


def test_no_maximum_age_is_the_null_flavor_pinf() -> None:
    ts = trial_design_datasets(builtin_protocol("NCT01902082"))["TS"]
    row = next(r for r in ts.rows if r["TSPARMCD"] == "AGEMAX")
    assert row["TSVAL"] is None and row["TSVALNF"] == "PINF"


def test_there_is_no_study_day_zero() -> None:
    assert [study_day(d) for d in (-1, 0, 1, 2)] == [-2, -1, 1, 2]
