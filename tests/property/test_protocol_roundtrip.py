"""The protocol file format round-trips (hypothesis): any valid protocol, written as YAML by
``dump_protocol``, loads back equal; and ``to_document`` output always satisfies the JSON Schema."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexards.protocol import builtin_protocol, dump_protocol, load_protocol, to_document
from mexards.protocol import criterion as rules
from mexards.protocol.consistency import check_protocol
from mexards.protocol.loader import schema_errors
from mexards.protocol.model import Eligibility, Protocol, Settings
from mexards.protocol.vocabulary import STANDARD_FIELDS

BASE = builtin_protocol("NCT04602104")
BOOLEANS = sorted(f.path for f in STANDARD_FIELDS if f.type == "boolean")
NUMBERS = [*sorted(f.path for f in STANDARD_FIELDS if f.type == "number"), "age_years", "bmi", "pf_ratio"]
EVENTS = sorted(f.path for f in STANDARD_FIELDS if f.type == "event")
TIMES = sorted(f.path for f in STANDARD_FIELDS if f.type == "datetime")
ATTESTATIONS = sorted(f.path for f in STANDARD_FIELDS if f.type == "attestation")

# Text that YAML might misread: booleans, nulls, numbers, dates, indicators, comments, unicode.
tricky_text = st.one_of(
    st.sampled_from(["yes", "no", "on", "off", "null", "~", "1e5", "0x10", "2020-11-30", "- item", "a: b", "# c",
                     "'quoted'", '"double"', "MEXARDS", "≤ 18 mmHg", "10^8", "  padded  ", "multi\nline"]),
    st.text(min_size=1, max_size=30),
)
thresholds = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("100000"), places=3, allow_nan=False)


def leaves() -> st.SearchStrategy[rules.Rule]:
    return st.one_of(
        st.builds(rules.Fact, st.sampled_from(BOOLEANS)),
        st.builds(rules.Attestation, st.sampled_from(ATTESTATIONS)),
        st.builds(rules.Compare, st.sampled_from(NUMBERS), st.sampled_from(rules.COMPARISONS), thresholds),
        st.builds(lambda v, lo, hi, a, b: rules.Range(v, min(lo, hi), max(lo, hi), a, b),
                  st.sampled_from(NUMBERS), thresholds, thresholds, st.booleans(), st.booleans()),
        st.builds(rules.InSet, st.just("berlin_category"),
                  st.lists(st.sampled_from(["MILD", "MODERATE", "SEVERE"]), min_size=1, unique=True).map(tuple),
                  st.sampled_from([{}, {"policy": rules.SettingRef("berlin_noninvasive_policy")},
                                   {"policy": "pragmatic"}])),
        st.builds(rules.Within, st.sampled_from(EVENTS), st.integers(0, 400), st.sampled_from(rules.PERIOD_UNITS),
                  st.sampled_from([rules.SettingRef("within_n_days_inclusive"), True, False]),
                  st.sampled_from(rules.ANCHORS)),
        st.builds(rules.Elapsed, st.sampled_from(TIMES), st.sampled_from(rules.COMPARISONS),
                  st.decimals(Decimal(0), Decimal(1000), places=2), st.sampled_from(rules.ANCHORS)),
    )


rule_trees = st.recursive(
    leaves(),
    lambda inner: st.one_of(
        st.builds(rules.AllOf, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(rules.AnyOf, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(rules.Not, inner),
        st.builds(rules.Join, st.sampled_from([rules.SettingRef("exclusion3_join"), "and", "or"]),
                  st.lists(inner, min_size=2, max_size=3).map(tuple),
                  st.one_of(st.none(), st.text(min_size=1, max_size=20).filter(str.strip))),
    ),
    max_leaves=8,
)


@st.composite
def protocols(draw: st.DrawFn) -> Protocol:
    def criteria(prefix: str, minimum: int) -> tuple[rules.Criterion, ...]:
        count = draw(st.integers(minimum, 4))
        return tuple(rules.Criterion(f"{prefix}{n}", n, draw(tricky_text.filter(str.strip)), draw(rule_trees),
                                     draw(st.sampled_from(["", "[S1]"])), draw(st.sampled_from(["", "note"])))
                     for n in range(1, count + 1))

    settings_ = Settings(exclusion3_join=draw(st.sampled_from(["and", "or"])),
                         within_n_days_inclusive=draw(st.booleans()),
                         bmi_rounding=draw(st.sampled_from(["none", "1dp"])),
                         berlin_noninvasive_policy=draw(st.sampled_from(["strict", "pragmatic"])))
    ident = dataclasses.replace(BASE.identification, brief_title=draw(tricky_text.filter(str.strip)),
                                acronym=draw(tricky_text), summary=draw(tricky_text))
    return dataclasses.replace(BASE, identification=ident, settings=settings_,
                               eligibility=Eligibility(criteria("I", 1), criteria("E", 0)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protocols())
def test_a_valid_protocol_written_as_yaml_loads_back_equal(protocol: Protocol) -> None:
    assert check_protocol(protocol) == []
    assert schema_errors(to_document(protocol)) == []
    assert load_protocol(dump_protocol(protocol)) == protocol


@settings(max_examples=30, deadline=None)
@given(protocols())
def test_writing_is_stable_after_one_round_trip(protocol: Protocol) -> None:
    text = dump_protocol(protocol)
    assert dump_protocol(load_protocol(text)) == text
