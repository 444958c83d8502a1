"""Invariants of the pure domain: exact dose arithmetic, signature binding, SAE clock boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mexards.domain.dose import DoseLevel, quarter_of_mtd, total_over_days
from mexards.domain.reporting_clock import ReportingObligation, ReportKind
from mexards.domain.signature import content_sha256
from mexards.domain.study_day import StudyDay

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**12), st.integers(1, 60))
def test_course_totals_are_exact_integer_products(daily: int, days: int) -> None:
    assert total_over_days(daily, days) == daily * days
    assert DoseLevel(1, daily).total_particles(days) == daily * days


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**12))
def test_four_quarters_of_the_mtd_make_the_mtd(quarter: int) -> None:
    assert quarter_of_mtd(4 * quarter) * 4 == 4 * quarter


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=6), st.data())
def test_changing_any_signed_value_changes_the_hash(content: dict[str, object], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(content)))
    replacement = data.draw(
        json_values.filter(lambda v: v != content[key] or type(v) is not type(content[key]))
    )
    changed = {**content, key: replacement}
    reordered = dict(reversed(list(content.items())))
    assert content_sha256(reordered) == content_sha256(content)
    if changed != content or type(replacement) is not type(content[key]):
        assert content_sha256(changed) != content_sha256(content)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(list(ReportKind)),
    st.integers(-(10**6), 10**6),
)
def test_a_report_is_overdue_exactly_when_now_is_past_the_window(
    started: datetime, kind: ReportKind, offset_seconds: int
) -> None:
    obligation = ReportingObligation(kind, started)
    now = obligation.due_at + timedelta(seconds=offset_seconds)
    assert obligation.is_overdue(now) is (offset_seconds > 0)


@settings(max_examples=200, deadline=None)
@given(st.integers(-400, 400).filter(lambda d: d != 0), st.dates())
def test_study_days_and_dates_convert_both_ways(day: int, first_dose: date) -> None:
    try:
        on = StudyDay(day).to_date(first_dose)
    except OverflowError:
        return
    assert StudyDay.of(on, first_dose) == StudyDay(day)
