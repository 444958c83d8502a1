"""BOIN trials replayed cohort by cohort; expected decisions come from the published rules and examples.

Sources:
- escalation README (Brock, brockk/escalation, ``get_boin`` section and the stop_when_tox_ci_covered and
  demand_n_at_dose sections), outputs printed there;
- BOIN 2.7.2 ``get.boundary(0.3, 10, 3)`` table (dosefinding.md 3.1, identical to escalation issue #6):
  escalate if #DLT <= 0/1/2/2 at n = 3/6/9/12, de-escalate if >= 2/3/4/5, eliminate if >= 3/4/5/7;
- the extrasafe stopping row of dosefinding.md 3.1 (target 0.30: stop at the lowest dose if >= 2 of 3);
- BOIN 2.7.2 ``get.oc``: early stop at n.earlystop only in the stay region (dosefinding.md 1.1).
"""

from __future__ import annotations

import pytest

from mexards.dosefinding import BOIN, StopAtN


def test_escalation_readme_boin_escalates_from_dose_2_after_0_of_3() -> None:
    # get_boin(num_doses = 5, target = 0.25) %>% fit('2NNN') %>% recommended_dose() -> 3
    assert BOIN(5, 0.25).fit("2NNN").recommended_dose == 3


def test_escalation_readme_boin_stops_with_no_dose_when_the_lowest_dose_is_too_toxic() -> None:
    # fit('2NTN 1TTT'): continue() FALSE, recommended_dose() NA
    decision = BOIN(5, 0.25).fit("2NTN 1TTT")
    assert not decision.should_continue
    assert decision.recommended_dose is None and decision.mtd is None
    assert decision.admissible_doses == ()


def test_escalation_readme_wider_boin_interval_stays_where_the_default_deescalates() -> None:
    # get_boin(5, 0.25, p.saf = 0.3 * target, p.tox = 1.7 * target) %>% fit('1NNN 2NNT') -> 2; default -> 1
    assert BOIN(5, 0.25, p_saf=0.3 * 0.25, p_tox=1.7 * 0.25).fit("1NNN 2NNT").recommended_dose == 2
    assert BOIN(5, 0.25).fit("1NNN 2NNT").recommended_dose == 1


def test_escalation_readme_boin_stays_at_dose_2_after_21_patients_there() -> None:
    # stop_when_tox_ci_covered section: get_boin(0.25, 5) fit to this path recommends dose 2
    decision = BOIN(5, 0.25).fit("1NNN 2NTN 2TNN 2NNN 2NNT 2NTN 2NNN 2TNN")
    assert decision.recommended_dose == 2 and decision.should_continue


def test_escalation_readme_boin_stopped_at_18_recommends_dose_2() -> None:
    # demand_n_at_dose section, second ordering: get_boin(0.25, 5) %>% ... %>% stop_at_n(n = 18)
    decision = StopAtN(BOIN(5, 0.25), 18).fit("1NNN 2NNT 3NTN 3NNN 4TTN 3NTT")
    assert not decision.should_continue
    assert decision.recommended_dose == 2


@pytest.mark.parametrize(
    ("outcomes", "expected_dose", "word"),
    [
        ("1NNN", 2, "escalate"),  # 0/3 <= 0
        ("1NNN 2NNT", 2, "stay"),  # 0 < 1/3 < 2
        ("1NNN 2NNT 2NNN", 3, "escalate"),  # 1/6 <= 1
        ("1NNN 2NNT 2NNN 3TTN", 2, "de-escalate"),  # 2/3 >= 2
        ("1NNN 2NNT 2NNN 3TTN 2NTN", 3, "escalate"),  # 2/9 <= 2
        ("1NNN 2NNT 2NNN 3TTN 2NTN 3TNT", 2, "eliminated"),  # 4/6 >= 4: doses 3-5 eliminated
        ("1NNN 2NNT 2NNN 3TTN 2NTN 3TNT 2NNN", 2, "dose 3 is eliminated"),  # 2/12 <= 2 but 3 is out
    ],
)
def test_boin_target_030_walkthrough_follows_the_get_boundary_table(
    outcomes: str, expected_dose: int, word: str
) -> None:
    decision = BOIN(5, 0.30).fit(outcomes)
    assert decision.recommended_dose == expected_dose
    assert decision.should_continue
    assert word in decision.reason


def test_boin_target_030_elimination_is_permanent_in_the_walkthrough() -> None:
    decision = BOIN(5, 0.30).fit("1NNN 2NNT 2NNN 3TTN 2NTN 3TNT 2NNN")
    assert decision.admissible_doses == (1, 2)
    assert decision.details["eliminated_doses"] == [3, 4, 5]


def test_boin_reason_states_counts_rate_and_boundary() -> None:
    # target 0.25, n = 6 at dose 2 with 2 DLTs: 2/6 = 0.33 >= lambda_d 0.298 (de-escalate if >= 2 of 6)
    decision = BOIN(3, 0.25).fit("1NNN 2NNN 2NTT")
    assert decision.recommended_dose == 1
    assert "2 DLTs in 6 at dose 2: 2/6 = 0.33 >= de-escalation boundary 0.298" in decision.reason
    assert "-> de-escalate to dose 1" in decision.reason


def test_boin_extrasafe_stops_at_the_lowest_dose_with_2_of_3_for_target_030() -> None:
    # dosefinding.md 3.1 extrasafe row: stop if the lowest dose has >= 2 DLTs of 3 (cutoff 0.95 - 0.05)
    assert BOIN(3, 0.30).fit("1TTN").should_continue
    decision = BOIN(3, 0.30, extrasafe=True).fit("1TTN")
    assert not decision.should_continue and decision.recommended_dose is None


def test_boin_n_earlystop_stops_in_the_stay_region_and_selects_the_mtd() -> None:
    # n.earlystop = 9: at dose 2 with 2/9 (b_e(9) = 1 < 2 < b_d(9) = 3 for target 0.25) the trial stops
    decision = BOIN(3, 0.25, n_earlystop=9).fit("1NNN 2NTN 2NNN 2NNT")
    assert not decision.should_continue
    assert decision.mtd == decision.recommended_dose == 2
    # the same counts under the default n.earlystop = 100 continue at dose 2
    assert BOIN(3, 0.25).fit("1NNN 2NTN 2NNN 2NNT").recommended_dose == 2
