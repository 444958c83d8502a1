"""3+3 against the closed forms and exact numbers of dosefinding.md 3.6, clinical-examples D05, escalation
README.

P(escalate from a dose) = (1-p)^3 + 3p(1-p)^5 (Storer 1989, Biometrics 45:925; Le Tourneau, Lee & Siu 2009,
JNCI 101:708, table of 0.91/0.71/0.49/0.31/0.17/0.08). Here the same probability is obtained by enumerating
the
design's own decisions at one dose, and must equal the closed form to 1e-12 and the tabulated values to 1e-6.
"""

from __future__ import annotations

from math import comb

import pytest

from mexards.dosefinding import Cohort, ThreePlusThree

TABLE_3_6 = {
    0.05: 0.973442,
    0.10: 0.906147,
    0.20: 0.708608,
    0.25: 0.599854,
    0.30: 0.494263,
    0.40: 0.309312,
    0.50: 0.171875,
    0.60: 0.082432,
    0.70: 0.032103,
    0.80: 0.008768,
    0.90: 0.001027,
}


def _cohort(dose: int, dlts: int) -> Cohort:
    return Cohort(dose, tuple(i >= 3 - dlts for i in range(3)))


def _escalation_probability(design: ThreePlusThree, p: float) -> float:
    """Enumerate every outcome at dose 1 of a 2-dose design; sum the probability of moving to dose 2."""
    total = 0.0
    stack: list[tuple[tuple[Cohort, ...], float]] = [((), 1.0)]
    while stack:
        cohorts, prob = stack.pop()
        decision = design.fit(cohorts)
        if decision.should_continue and decision.recommended_dose == 2:
            total += prob
            continue
        if not decision.should_continue or decision.recommended_dose != 1:
            continue
        for k in range(4):
            stack.append(((*cohorts, _cohort(1, k)), prob * comb(3, k) * p**k * (1 - p) ** (3 - k)))
    return total


@pytest.mark.parametrize("allow_deescalate", [False, True])
@pytest.mark.parametrize("p", sorted(TABLE_3_6))
def test_probability_of_escalating_from_a_dose_matches_storer_closed_form(
    p: float, allow_deescalate: bool
) -> None:
    enumerated = _escalation_probability(ThreePlusThree(2, allow_deescalate=allow_deescalate), p)
    closed_form = (1 - p) ** 3 + 3 * p * (1 - p) ** 5
    assert enumerated == pytest.approx(closed_form, abs=1e-12)
    assert enumerated == pytest.approx(TABLE_3_6[p], abs=1e-6)


@pytest.mark.parametrize("allow_deescalate", [False, True])
def test_clinical_example_d05_selects_level_2_as_the_mtd(allow_deescalate: bool) -> None:
    # clinical-examples.md D05: level 1 0/3; level 2 1/3 -> expand -> 1/6; level 3 2/3 -> MTD = level 2
    design = ThreePlusThree(3, allow_deescalate=allow_deescalate)
    assert design.fit("1NNN").recommended_dose == 2
    expand = design.fit("1NNN 2NNT")
    assert expand.recommended_dose == 2 and expand.should_continue
    assert design.fit("1NNN 2NNT 2NNN").recommended_dose == 3
    final = design.fit("1NNN 2NNT 2NNN 3NTT")
    assert not final.should_continue
    assert final.mtd == 2 and final.recommended_dose == 2


def test_escalation_readme_three_plus_three_stays_after_one_dlt_in_three() -> None:
    # escalation README: get_three_plus_three(num_doses = 5) %>% fit('2NTN') %>% recommended_dose() -> 2
    assert ThreePlusThree(5).fit("2NTN").recommended_dose == 2


def test_escalation_readme_deescalating_three_plus_three_steps_down_after_two_dlts() -> None:
    # escalation README: get_three_plus_three(5, allow_deescalate = TRUE) %>% fit('2NTT') -> 1
    assert ThreePlusThree(5, allow_deescalate=True).fit("2NTT").recommended_dose == 1


def test_escalation_man_page_example_stays_at_dose_3_after_one_dlt_in_three() -> None:
    # escalation ?three_plus_three example: three_plus_three('2NNN 3NNT', num_doses = 7);
    # 1/3 at dose 3 -> stay
    assert ThreePlusThree(7).fit("2NNN 3NNT").recommended_dose == 3
