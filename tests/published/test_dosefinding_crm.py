"""CRM against dfcrm 0.2-2.1 (R) outputs recorded in dosefinding.md 3.7, and escalation's README CRM examples.

R calls (dosefinding.md 3.7, Cheung 2011 data set):
    prior <- c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
    level <- c(3,4,4,3,3,4,3,2,2,2); tox <- c(0,0,1,0,0,1,1,0,0,0)
    crm(prior, 0.2, tox, level)                      # empiric, bayes, scale = sqrt(1.34)
    crm(prior, 0.2, tox, level, model = "logistic")  # intcpt = 3
    getprior(halfwidth, target, nu, nlevel[, model])
Tolerances: skeletons 1e-9; posterior mean, variance and plug-in probabilities 1e-8 (R's integrate() has
relative accuracy ~1e-4 nominally; the reference's independent exact implementation agrees with R to 2e-10).
"""

from __future__ import annotations

import pytest

from mexards.dosefinding import (
    CRM,
    DontSkipDoses,
    StopAtN,
    StopWhenTooToxic,
    counts,
    crm_mtd,
    crm_posterior,
    getprior,
    parse_outcomes,
)

PRIOR = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
LEVEL = (3, 4, 4, 3, 3, 4, 3, 2, 2, 2)
TOX = (0, 0, 1, 0, 0, 1, 1, 0, 0, 0)
POSTERIOR_TOLERANCE = 1e-8
SKELETON_TOLERANCE = 1e-9


def _counts() -> tuple[list[int], list[int]]:
    n = [0] * len(PRIOR)
    y = [0] * len(PRIOR)
    for level, tox in zip(LEVEL, TOX, strict=True):
        n[level - 1] += 1
        y[level - 1] += tox
    return n, y


def test_empiric_crm_reproduces_dfcrm_estimate_variance_ptox_band_and_mtd() -> None:
    # dosefinding.md 3.7: estimate -0.2121715263, post.var 0.1575955281, ptox, ptoxL/ptoxU (90%), mtd 2
    n, y = _counts()
    post = crm_posterior(PRIOR, n, y)
    assert post.estimate == pytest.approx(-0.2121715263, abs=POSTERIOR_TOLERANCE)
    assert post.posterior_variance == pytest.approx(0.1575955281, abs=POSTERIOR_TOLERANCE)
    expected_ptox = (0.08865294696, 0.1553009274, 0.2720538785, 0.4277897776, 0.5708462173, 0.7493958348)
    assert post.ptox == pytest.approx(expected_ptox, abs=POSTERIOR_TOLERANCE)
    lower = (0.00951151115, 0.02792791632, 0.08200258589, 0.195658766, 0.3405736053, 0.5744977383)
    upper = (0.2833229415, 0.3793253034, 0.5078575179, 0.6427736028, 0.7469128448, 0.8605737701)
    assert post.ptox_lower == pytest.approx(lower, abs=POSTERIOR_TOLERANCE)
    assert post.ptox_upper == pytest.approx(upper, abs=POSTERIOR_TOLERANCE)
    assert crm_mtd(post.ptox, 0.2) == 2


def test_logistic_crm_reproduces_dfcrm_estimate_variance_ptox_and_mtd() -> None:
    # dosefinding.md 3.7: model = "logistic", intcpt 3: estimate -0.1101116088, post.var 0.03869540031, mtd 2
    n, y = _counts()
    post = crm_posterior(PRIOR, n, y, model="logistic", intcpt=3.0)
    assert post.estimate == pytest.approx(-0.1101116088, abs=POSTERIOR_TOLERANCE)
    assert post.posterior_variance == pytest.approx(0.03869540031, abs=POSTERIOR_TOLERANCE)
    expected = (0.08910298223, 0.1603896726, 0.2831370372, 0.4398681849, 0.5775679583, 0.7449297957)
    assert post.ptox == pytest.approx(expected, abs=POSTERIOR_TOLERANCE)
    assert crm_mtd(post.ptox, 0.2) == 2


def test_the_crm_design_fit_on_the_cheung_data_reports_dfcrm_numbers_and_mtd() -> None:
    # Same data as an outcome string, patient by patient, in dfcrm's order.
    text = " ".join(f"{lv}{'T' if t else 'N'}" for lv, t in zip(LEVEL, TOX, strict=True))
    decision = CRM(PRIOR, 0.2).fit(text)
    assert decision.details["estimate"] == pytest.approx(-0.2121715263, abs=POSTERIOR_TOLERANCE)
    assert decision.mtd == 2
    assert counts(parse_outcomes(text), 6) == tuple(tuple(v) for v in _counts())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0.05, 0.25, 2, 3), (0.1567410211, 0.25, 0.3545004276)),
        ((0.05, 0.30, 2, 3), (0.2039560076, 0.30, 0.4018194361)),
        ((0.08, 0.25, 2, 3), (0.1090781173, 0.25, 0.4200570849)),
        ((0.05, 0.20, 3, 6), (0.04909161315, 0.1105278121, 0.20, 0.3084872888, 0.4234158937, 0.5336607076)),
        (
            (0.10, 0.25, 3, 6, "logistic"),
            (0.01772616629, 0.08611653616, 0.25, 0.4668234525, 0.6468609729, 0.7630570669),
        ),
        ((0.05, 0.30, 3, 5), (0.1225293582, 0.2039560076, 0.30, 0.4018194361, 0.5013464478)),
    ],
)
def test_getprior_skeletons_match_dfcrm(args: tuple, expected: tuple[float, ...]) -> None:  # type: ignore[type-arg]
    # dosefinding.md 3.7 getprior table (Lee & Cheung 2009 calibration)
    assert getprior(*args) == pytest.approx(expected, abs=SKELETON_TOLERANCE)


README_SKELETON = (0.05, 0.1, 0.25, 0.4, 0.6)


def test_escalation_readme_unrestricted_crm_jumps_to_dose_4_after_2nnn() -> None:
    # escalation README, get_dfcrm(skeleton, 0.25) %>% fit('2NNN') %>% recommended_dose() -> 4
    # (escalation's dfcrm selector applies no coherence restriction: restrict=False here)
    assert CRM(README_SKELETON, 0.25, restrict=False).fit("2NNN").recommended_dose == 4


def test_escalation_readme_dont_skip_doses_limits_the_crm_to_dose_3() -> None:
    # escalation README: get_dfcrm(...) %>% dont_skip_doses(when_escalating = TRUE) %>% fit('2NNN') -> 3
    design = DontSkipDoses(CRM(README_SKELETON, 0.25, restrict=False))
    assert design.fit("2NNN").recommended_dose == 3


def test_escalation_dont_skip_when_deescalating_example_steps_down_one_level() -> None:
    # escalation ?dont_skip_doses example: fit('1NNN 2N 3TTT') with when_deescalating = TRUE -> dose 2
    free = CRM(README_SKELETON, 0.25, restrict=False).fit("1NNN 2N 3TTT").recommended_dose
    guarded = DontSkipDoses(CRM(README_SKELETON, 0.25, restrict=False), when_deescalating=True)
    assert free == 1
    assert guarded.fit("1NNN 2N 3TTT").recommended_dose == 2


def test_escalation_readme_logistic_crm_with_intercept_4_recommends_dose_3() -> None:
    # escalation README: get_dfcrm(skeleton, 0.25, intcpt = 4, model = 'logistic') %>% fit('2NNN 3TNN') -> 3
    design = CRM(README_SKELETON, 0.25, model="logistic", intcpt=4.0, restrict=False)
    assert design.fit("2NNN 3TNN").recommended_dose == 3


def test_escalation_readme_stop_at_15_continues_at_12_and_stops_at_15_recommending_dose_3() -> None:
    # escalation README, get_dfcrm(...) %>% stop_at_n(n = 15)
    design = StopAtN(CRM(README_SKELETON, 0.25, restrict=False), 15)
    before = design.fit("1NNN 2TNN 2NNN 3NNN")
    assert before.should_continue and before.recommended_dose == 3
    after = design.fit("1NNN 2TNN 2NNN 3NNN 3NTN")
    assert not after.should_continue and after.recommended_dose == 3


def test_escalation_readme_six_patients_at_dose_2_keep_the_crm_at_dose_2() -> None:
    # escalation README (stop_when_n_at_dose section): fit('1NNN 2TNN 2NTN') -> recommended dose 2
    assert CRM(README_SKELETON, 0.25, restrict=False).fit("1NNN 2TNN 2NTN").recommended_dose == 2


def test_escalation_readme_stop_when_too_toxic_decisions_at_the_lowest_dose() -> None:
    # escalation README: stop_when_too_toxic(dose = 1, tox_threshold = 0.35, confidence = 0.7):
    # '1NTN' -> continue at dose 1; '1NTN 1TTT' -> stop, no dose. Our posterior is Beta(1, 1)-based
    # (P = 0.56 and 0.94 here), escalation's uses the CRM posterior; the published decisions agree.
    design = StopWhenTooToxic(CRM(README_SKELETON, 0.25, restrict=False), 1, 0.35, 0.7)
    first = design.fit("1NTN")
    assert first.should_continue and first.recommended_dose == 1
    second = design.fit("1NTN 1TTT")
    assert not second.should_continue and second.recommended_dose is None
