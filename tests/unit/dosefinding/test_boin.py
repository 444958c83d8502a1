"""Unit tests of BOIN boundaries and MTD selection (published vectors live in tests/published)."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding.boin import (
    UNDEFINED,
    boin_boundaries,
    boin_lambdas,
    prob_above,
    select_mtd,
)
from mexards.dosefinding.isotonic import isotonic_estimates, pava


def test_lambda_e_lies_between_p_saf_and_target_and_lambda_d_between_target_and_p_tox() -> None:
    lambda_e, lambda_d = boin_lambdas(0.25)
    assert 0.15 < lambda_e < 0.25 < lambda_d < 0.35


def test_targets_outside_zero_one_are_rejected_with_the_field_name() -> None:
    with pytest.raises(ValidationError) as info:
        boin_lambdas(1.2)
    assert info.value.field == "target"


def test_p_saf_above_the_target_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        boin_lambdas(0.25, p_saf=0.3)
    assert info.value.field == "p_saf"


def test_boundary_arrays_are_indexed_by_patients_with_index_zero_undefined() -> None:
    bounds = boin_boundaries(0.25, 6)
    assert len(bounds.escalate_max) == 7
    assert bounds.escalate_max[0] == UNDEFINED
    assert bounds.eliminate_min[1] == UNDEFINED and bounds.eliminate_min[2] == UNDEFINED
    assert bounds.eliminate_at(3) == 3
    assert bounds.stop_min is None


def test_boundary_arrays_are_read_only() -> None:
    bounds = boin_boundaries(0.25, 6)
    with pytest.raises(ValueError):
        bounds.escalate_max[1] = 5


def test_the_deescalation_boundary_never_exceeds_the_elimination_boundary() -> None:
    for target in (0.1, 0.2, 0.25, 0.3, 0.4):
        bounds = boin_boundaries(target, 40)
        for n in range(3, 41):
            elim = bounds.eliminate_at(n)
            if elim is not None:
                assert bounds.deescalate_min[n] <= elim


def test_a_high_target_leaves_elimination_undefined_at_three_patients() -> None:
    # 3/3 gives P(p > 0.5) = 1 - 0.5^4 = 0.9375, not above 0.95.
    assert boin_boundaries(0.5, 3).eliminate_at(3) is None


def test_prob_above_matches_the_beta_tail_in_closed_form() -> None:
    # Beta(4, 1): P(p > 0.25) = 1 - 0.25^4
    assert prob_above(0.25, 3, 3) == pytest.approx(1 - 0.25**4, abs=1e-15)


def test_pava_pools_violators_into_weighted_means() -> None:
    assert pava([0.1, 0.3, 0.2], [1.0, 1.0, 3.0]) == pytest.approx((0.1, 0.225, 0.225))
    assert pava([0.3, 0.2, 0.1], [1.0, 1.0, 1.0]) == pytest.approx((0.2, 0.2, 0.2))
    assert pava([0.1, 0.2], [1.0, 1.0]) == (0.1, 0.2)


def test_isotonic_estimates_skip_untreated_and_inadmissible_doses() -> None:
    iso = isotonic_estimates([3, 0, 6], [0, 0, 1], [True, True, True])
    assert iso.doses == (1, 3)
    iso = isotonic_estimates([3, 3, 6], [0, 0, 1], [True, True, False])
    assert iso.doses == (1, 2)


def test_select_mtd_returns_none_when_nothing_was_treated() -> None:
    assert select_mtd(0.25, [0, 0, 0], [0, 0, 0]) is None


def test_select_mtd_with_extrasafe_stops_on_a_lowest_dose_below_the_elimination_cutoff() -> None:
    # 2/3 at dose 1, target 0.3: P(p > 0.3) = 0.916 (not > 0.95 but > 0.90)
    assert select_mtd(0.3, [3, 0], [2, 0]) == 1
    assert select_mtd(0.3, [3, 0], [2, 0], extrasafe=True) is None


def test_select_mtd_rejects_more_dlts_than_patients() -> None:
    with pytest.raises(ValidationError) as info:
        select_mtd(0.25, [3, 3], [0, 4])
    assert info.value.field == "tox_at_dose[1]"


def test_select_mtd_with_bound_mtd_keeps_the_estimate_below_lambda_d() -> None:
    # Dose 2 estimate (3.05/6.1 = 0.5) is closest to 0.45 but above lambda_d(0.45) only when bounded.
    free = select_mtd(0.45, [6, 6], [1, 3])
    bounded = select_mtd(0.45, [6, 6], [1, 3], bound_mtd=True, p_tox=0.46)
    assert free == 2
    assert bounded == 1


def test_boin_starts_at_dose_1_and_stays_after_one_dlt_at_the_lowest_dose() -> None:
    from mexards.dosefinding import BOIN

    assert BOIN(3, 0.25).fit("").recommended_dose == 1
    decision = BOIN(3, 0.25).fit("1NNT")
    assert decision.recommended_dose == 1 and "dose 1 is the lowest dose" in decision.reason


def test_boin_stop_is_permanent_on_longer_outcome_strings() -> None:
    from mexards.dosefinding import BOIN

    decision = BOIN(3, 0.25).fit("1TTT 1NNN 1NNN 1NNN")
    assert not decision.should_continue and decision.recommended_dose is None


def test_boin_handles_more_patients_than_its_initial_boundary_table() -> None:
    from mexards.dosefinding import BOIN

    decision = BOIN(2, 0.25).fit(" ".join(["1NNNNNNNNNN"] * 5))
    assert decision.n_at_dose == (50, 0) and decision.recommended_dose == 2


def test_boin_rejects_a_bad_number_of_doses() -> None:
    from mexards.dosefinding import BOIN

    with pytest.raises(ValidationError) as info:
        BOIN(0, 0.25)
    assert info.value.field == "num_doses"


def test_elimination_is_checked_before_n_earlystop_as_in_get_oc() -> None:
    from mexards.dosefinding import BOIN

    # 3/3 at dose 1 with n.earlystop = 3: get.oc eliminates first, so the trial stops with no MTD.
    decision = BOIN(3, 0.25, n_earlystop=3).fit("1TTT")
    assert decision.recommended_dose is None
    assert decision.stop_reason == "the lowest dose is eliminated: all doses are too toxic"


def test_select_mtd_bound_mtd_gives_none_when_every_estimate_reaches_lambda_d() -> None:
    # R: if (all(phat >= lambda_d)) selectdose = 99
    assert select_mtd(0.25, [6], [3], bound_mtd=True) is None
    assert select_mtd(0.25, [6], [3]) == 1
