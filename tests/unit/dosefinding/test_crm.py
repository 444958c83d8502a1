"""Unit tests of the CRM design (dfcrm semantics; published vectors live in tests/published)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding import CRM, crm_mtd, crm_posterior, getprior
from mexards.dosefinding.crm import QUADRATURE_NODES, QUADRATURE_WEIGHTS, log_tox_terms, tox_probabilities

SKELETON = (0.05, 0.1, 0.25, 0.4, 0.6)


def test_the_quadrature_integrates_the_prior_to_one() -> None:
    density = np.exp(-0.5 * QUADRATURE_NODES**2 / 1.34) / np.sqrt(2 * np.pi * 1.34)
    assert float(QUADRATURE_WEIGHTS @ density) == pytest.approx(1.0, abs=1e-12)


def test_without_data_the_posterior_is_the_prior() -> None:
    post = crm_posterior(SKELETON, [0] * 5, [0] * 5)
    assert post.estimate == pytest.approx(0.0, abs=1e-12)
    assert post.posterior_variance == pytest.approx(1.34, abs=1e-9)
    assert post.ptox == pytest.approx(SKELETON, abs=1e-12)


def test_log_terms_match_the_probabilities_on_the_grid() -> None:
    for model in ("empiric", "logistic"):
        log_p, log_q = log_tox_terms(SKELETON, model)  # type: ignore[arg-type]
        p = tox_probabilities(SKELETON, QUADRATURE_NODES, model)  # type: ignore[arg-type]
        assert np.allclose(np.exp(log_p), p, atol=1e-12)
        assert np.allclose(np.exp(log_q), 1 - p, atol=1e-12)


def test_crm_mtd_picks_the_lowest_dose_on_ties() -> None:
    assert crm_mtd([0.2, 0.3], 0.25) == 1
    assert crm_mtd([0.01, 0.02], 0.25) == 2
    assert crm_mtd([0.5, 0.6], 0.25) == 1


def test_coherence_forbids_escalation_after_a_toxic_cohort() -> None:
    # After 9 patients without DLT the model MTD is dose 3; a DLT in the last cohort (rate 1.0 >= target)
    # keeps the next cohort at dose 1 (dfcrm crmsim restrict=TRUE).
    skeleton = getprior(0.05, 0.25, 3, 5)
    restricted = CRM(skeleton, 0.25).fit("1NNN 1NNN 1NNN 1T")
    assert restricted.mtd == 3
    assert restricted.recommended_dose == 1
    assert "coherence" in restricted.reason
    assert CRM(skeleton, 0.25, restrict=False).fit("1NNN 1NNN 1NNN 1T").recommended_dose == 3


def test_no_skipping_allows_one_level_above_the_last_dose() -> None:
    skeleton = getprior(0.05, 0.25, 3, 5)
    decision = CRM(skeleton, 0.25).fit("1NNN 2NNN 3NNN 4NNN 2N")
    assert decision.recommended_dose <= 3 and decision.mtd >= 3  # type: ignore[operator]


def test_the_start_dose_is_used_before_any_patient() -> None:
    assert CRM(SKELETON, 0.25, start_dose=2).fit("").recommended_dose == 2


def test_crm_never_stops_by_itself() -> None:
    assert CRM(SKELETON, 0.25).fit("1TTT 1TTT").should_continue


def test_the_decision_details_hold_the_posterior_numbers() -> None:
    decision = CRM(SKELETON, 0.25).fit("1NNN")
    for key in ("estimate", "posterior_variance", "ptox", "ptox_lower", "ptox_upper"):
        assert key in decision.details
    assert "posterior mean of the model parameter" in decision.reason


@pytest.mark.parametrize(
    ("skeleton", "field"),
    [((), "skeleton"), ((0.1, 0.1), "skeleton[1]"), ((0.1, 1.2), "skeleton[1]"), ((0.0, 0.2), "skeleton[0]")],
)
def test_bad_skeletons_are_rejected_with_the_position(skeleton: tuple[float, ...], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        CRM(skeleton, 0.25)
    assert info.value.field == field


def test_bad_model_start_dose_and_getprior_arguments_are_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        CRM(SKELETON, 0.25, model="probit")  # type: ignore[arg-type]
    assert info.value.field == "model"
    with pytest.raises(ValidationError) as info:
        CRM(SKELETON, 0.25, start_dose=6)
    assert info.value.field == "start_dose"
    with pytest.raises(ValidationError) as info:
        getprior(0.3, 0.25, 2, 3)
    assert info.value.field == "halfwidth"
    with pytest.raises(ValidationError) as info:
        getprior(0.05, 0.25, 4, 3)
    assert info.value.field == "nu"


def test_getprior_puts_the_target_at_the_prior_mtd_and_increases() -> None:
    for model in ("empiric", "logistic"):
        skeleton = getprior(0.07, 0.3, 2, 5, model)  # type: ignore[arg-type]
        assert skeleton[1] == pytest.approx(0.3)
        assert all(a < b for a, b in itertools.pairwise(skeleton))
