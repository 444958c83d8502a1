"""Invariants of the dose-finding designs (hypothesis).

Designs never skip an untried dose under dont_skip_doses, never re-open an eliminated dose, always recommend
an
admissible dose (or none), and decide deterministically (ARCHITECTURE.md, tests; dosefinding.md 1.1, 1.5).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mexards.dosefinding import (
    BOIN,
    CRM,
    Cohort,
    Design,
    DontSkipDoses,
    StopAtN,
    StopWhenTooToxic,
    ThreePlusThree,
    format_outcomes,
    getprior,
)

TARGETS = st.sampled_from([0.2, 0.25, 0.3, 0.33])


@st.composite
def model_designs(draw: st.DrawFn) -> Design:
    """BOIN or CRM (designs that accept any outcome string), with random modifiers."""
    doses = draw(st.integers(2, 5))
    target = draw(TARGETS)
    design: Design
    if draw(st.booleans()):
        design = BOIN(
            doses, target, extrasafe=draw(st.booleans()), n_earlystop=draw(st.sampled_from([6, 9, 100]))
        )
    else:
        skeleton = getprior(0.05, target, draw(st.integers(1, doses)), doses)
        design = CRM(
            skeleton,
            target,
            restrict=draw(st.booleans()),
            model=draw(st.sampled_from(["empiric", "logistic"])),
        )
    if draw(st.booleans()):
        dose = draw(st.one_of(st.just("any"), st.integers(1, doses)))
        design = StopWhenTooToxic(
            design, dose, draw(st.sampled_from([0.3, 0.35, 0.5])), draw(st.sampled_from([0.7, 0.9]))
        )
    if draw(st.booleans()):
        design = DontSkipDoses(design, when_deescalating=draw(st.booleans()))
    if draw(st.booleans()):
        design = StopAtN(design, draw(st.integers(3, 30)))
    return design


@st.composite
def any_designs(draw: st.DrawFn) -> Design:
    if draw(st.integers(0, 3)) == 0:
        design: Design = ThreePlusThree(draw(st.integers(2, 5)), allow_deescalate=draw(st.booleans()))
        if draw(st.booleans()):
            design = StopAtN(design, draw(st.integers(3, 30)))
        return design
    return draw(model_designs())


def arbitrary_cohorts(num_doses: int) -> st.SearchStrategy[list[Cohort]]:
    cohort = st.builds(
        Cohort,
        st.integers(1, num_doses),
        st.lists(st.booleans(), min_size=1, max_size=4).map(tuple),
    )
    return st.lists(cohort, max_size=10)


Patterns = list[tuple[bool, bool, bool]]
PATTERNS = st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), max_size=12)


def follow(design: Design, patterns: Patterns) -> list[Cohort]:
    """Treat cohorts of 3 at the doses the design recommends, with the given outcomes, until it stops."""
    path: list[Cohort] = []
    for pattern in patterns:
        decision = design.fit(path)
        if not decision.should_continue or decision.recommended_dose is None:
            break
        path.append(Cohort(decision.recommended_dose, pattern))
    return path


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_dont_skip_doses_never_recommends_above_the_highest_tried_dose_plus_one(data: st.DataObject) -> None:
    design = DontSkipDoses(data.draw(model_designs()))
    cohorts = data.draw(arbitrary_cohorts(design.num_doses))
    decision = design.fit(cohorts)
    if cohorts and decision.should_continue and decision.recommended_dose is not None:
        assert decision.recommended_dose <= max(c.dose for c in cohorts) + 1


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_an_eliminated_dose_is_never_recommended_again_on_any_longer_outcome_string(
    data: st.DataObject,
) -> None:
    design = data.draw(model_designs())
    cohorts = data.draw(arbitrary_cohorts(design.num_doses))
    everything = set(range(1, design.num_doses + 1))
    excluded: set[int] = set()
    for end in range(len(cohorts) + 1):
        decision = design.fit(cohorts[:end])
        if decision.should_continue:
            assert excluded.isdisjoint(decision.admissible_doses)
            assert decision.recommended_dose not in excluded
            excluded |= everything - set(decision.admissible_doses)


@settings(max_examples=150, deadline=None)
@given(design=any_designs(), patterns=PATTERNS)
def test_the_recommended_dose_is_always_admissible_or_none(design: Design, patterns: Patterns) -> None:
    path = follow(design, patterns)
    for end in range(len(path) + 1):
        decision = design.fit(path[:end])
        rec = decision.recommended_dose
        assert rec is None or rec in decision.admissible_doses
        assert decision.mtd is None or decision.mtd in decision.admissible_doses
        if rec is None:
            assert not decision.should_continue


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_arbitrary_outcomes_give_admissible_recommendations(data: st.DataObject) -> None:
    design = data.draw(model_designs())
    decision = design.fit(data.draw(arbitrary_cohorts(design.num_doses)))
    assert decision.recommended_dose is None or decision.recommended_dose in decision.admissible_doses


@settings(max_examples=100, deadline=None)
@given(design=any_designs(), patterns=PATTERNS)
def test_decisions_are_deterministic_and_text_equals_cohorts(design: Design, patterns: Patterns) -> None:
    path = follow(design, patterns)
    first = design.fit(path)
    assert design.fit(path) == first
    assert design.fit(format_outcomes(path)) == first


@settings(max_examples=100, deadline=None)
@given(doses=st.integers(2, 5), allow=st.booleans(), patterns=PATTERNS)
def test_three_plus_three_treats_at_most_six_per_dose_and_never_above_a_failed_dose(
    doses: int,
    allow: bool,
    patterns: Patterns,
) -> None:
    design = ThreePlusThree(doses, allow_deescalate=allow)
    path = follow(design, patterns)
    decision = design.fit(path)
    assert all(n <= 6 for n in decision.n_at_dose)
    failed = [d for d in range(1, doses + 1) if decision.tox_at_dose[d - 1] >= 2]
    if failed and decision.mtd is not None:
        assert decision.mtd < min(failed)


@settings(max_examples=100, deadline=None)
@given(doses=st.integers(2, 5), target=TARGETS, patterns=PATTERNS)
def test_boin_never_assigns_a_cohort_to_an_eliminated_dose(
    doses: int, target: float, patterns: Patterns
) -> None:
    design = BOIN(doses, target)
    path = follow(design, patterns)
    for end in range(1, len(path)):
        before = design.fit(path[:end])
        assert path[end].dose in before.admissible_doses
