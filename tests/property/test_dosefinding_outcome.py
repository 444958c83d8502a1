"""Outcome strings round-trip between text and cohorts (hypothesis; dosefinding.md 1.5 grammar)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mexards.dosefinding import Cohort, counts, format_outcomes, parse_outcomes

COHORTS = st.lists(
    st.builds(Cohort, st.integers(1, 12), st.lists(st.booleans(), min_size=1, max_size=6).map(tuple)),
    max_size=12,
)


@given(COHORTS)
def test_parse_of_format_gives_back_the_cohorts(cohorts: list[Cohort]) -> None:
    assert parse_outcomes(format_outcomes(cohorts)) == tuple(cohorts)


@given(COHORTS, st.sampled_from([" ", "  ", "\t", " \n "]), st.booleans())
def test_format_of_parse_is_canonical_whatever_the_spacing_and_case(
    cohorts: list[Cohort], separator: str, lower: bool
) -> None:
    text = separator.join(str(c) for c in cohorts)
    if lower:
        text = text.lower()
    assert format_outcomes(parse_outcomes(f" {text} ")) == format_outcomes(cohorts)


@given(COHORTS)
def test_counts_add_up_to_the_patients_and_dlts(cohorts: list[Cohort]) -> None:
    n, y = counts(cohorts, 12)
    assert sum(n) == sum(c.size for c in cohorts)
    assert sum(y) == sum(c.num_tox for c in cohorts)
    assert all(0 <= t <= p for p, t in zip(n, y, strict=True))
