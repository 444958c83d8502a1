"""Unit tests of the pre-trial decision tables and dose transition pathways."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding import BOIN, CRM, BOINTable, DosePath, StopAtN, ThreePlusThree, getprior
from mexards.dosefinding.table import boin_table, decision_table, dose_paths, three_plus_three_table


def test_boin_table_has_one_row_per_cohort_and_one_per_patient() -> None:
    table = boin_table(0.25, 6, 3)
    assert [r.n for r in table.per_cohort] == [3, 6, 9, 12, 15, 18]
    assert [r.n for r in table.full] == list(range(1, 19))
    assert table.full[0].eliminate_min is None
    assert table.as_dict()["lambda_e"] == pytest.approx(0.1968008706, abs=1e-9)


def test_boin_table_rejects_zero_cohorts() -> None:
    with pytest.raises(ValidationError) as info:
        boin_table(0.25, 0, 3)
    assert info.value.field == "cohorts"


def test_three_plus_three_v2_table_explains_both_situations_below() -> None:
    rows = {(r.patients, r.dlts): r.action for r in three_plus_three_table(True)}
    assert rows[(3, 0)] == "escalate"
    assert "de-escalate to the dose below if it has 3 patients" in rows[(3, 2)]
    assert "stop (MTD: the dose below) if it has 6" in rows[(3, 2)]


def test_dose_paths_branch_on_every_dlt_count_and_stop_where_the_design_stops() -> None:
    root = dose_paths(ThreePlusThree(3), "", (3, 3))
    assert [c.outcomes for c in root.children] == ["1NNN", "1NNT", "1NTT", "1TTT"]
    toxic = root.children[2]
    assert not toxic.should_continue and toxic.children == ()
    assert len(root.leaves()) == 1 * 4 + 1 * 4 + 2  # two continuing branches of 4, two stopped leaves


def test_dose_paths_start_from_given_outcomes() -> None:
    root = dose_paths(CRM(getprior(0.05, 0.25, 2, 3), 0.25), "1NNN", (3,))
    assert root.outcomes == "1NNN"
    assert all(child.outcomes.startswith("1NNN 2") for child in root.children)


def test_decision_table_dispatches_on_the_innermost_design() -> None:
    assert isinstance(decision_table(StopAtN(BOIN(3, 0.25), 18), 6, 3), BOINTable)
    assert isinstance(decision_table(ThreePlusThree(3), 6, 3), tuple)
    assert isinstance(decision_table(CRM((0.1, 0.2, 0.3), 0.2), 6, 3), DosePath)


def test_boin_table_stops_at_n_earlystop_like_get_boundary() -> None:
    table = boin_table(0.25, 10, 3, n_earlystop=12)
    assert [r.n for r in table.per_cohort] == [3, 6, 9, 12]
    assert len(table.full) == 12
