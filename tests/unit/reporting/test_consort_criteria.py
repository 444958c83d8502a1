"""The CONSORT enrolment box lists failed eligibility criteria in the protocol's order (registry numbering I1..I5
then E1..E21, not E1, E10, E2) and shortens a long criterion's text, never its count."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

import pytest

from mexards.protocol import builtin_protocol
from mexards.protocol.catalog import list_builtin_protocols
from mexards.protocol.criterion import Criterion
from mexards.protocol.model import Protocol
from mexards.reporting.consort import CHARS, ConsortFlow, consort_flow, consort_svg, layout
from mexards.reporting.registry_results import participant_flow_module
from mexards.reporting.result_table import analyse
from mexards.services.results import analysis_dataset
from mexards.services.results_screening import criterion_order
from tests.unit.services.conftest import PROTOCOL, STATISTICIAN, UNBLINDED_STATISTICIAN
from tests.unit.services.test_results import SimulatedTrial, simulate_trial

REGISTRY_NUMBERING = [f"I{i}" for i in range(1, 6)] + [f"E{i}" for i in range(1, 22)]
"""NCT04602104 on ClinicalTrials.gov: 5 inclusion and 21 exclusion criteria."""
SCREEN_FAILURES = ["I2", "I3", "I4", "E2", "E7", "E10"]
"""What the NCT04602104 example patients MX-002..MX-006 fail (MX-002: I2, E7, E10; MX-003: E2; MX-005: I3;
MX-006: I4), in protocol order; lexically it would be E10, E2, E7, I2, I3, I4."""
COUNT = re.compile(r"\(n=\d+\)$")


@pytest.fixture(scope="module")
def sim() -> SimulatedTrial:
    return simulate_trial(phase2_size=3, seed=8)


def _criterion_items(flow: ConsortFlow) -> list[str]:
    """The criterion entries of the drawn 'Excluded' box, each with its continuation lines joined."""
    boxes, _, _, _ = layout(flow)
    (excluded,) = [b for b in boxes if b.lines[0].startswith("Excluded (n=")]
    start = excluded.lines.index("  criteria failed (a patient may fail several):") + 1
    items: list[str] = []
    for line in excluded.lines[start:]:
        if line.startswith("- "):
            items.append(line[2:])
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
        else:
            break
    return items


def test_the_registry_protocol_orders_its_26_criteria_by_registry_numbering() -> None:
    protocol = builtin_protocol("NCT04602104")
    assert criterion_order(protocol, sorted(REGISTRY_NUMBERING)) == tuple(REGISTRY_NUMBERING)
    assert criterion_order(protocol, ["E12", "E2", "E10", "I5", "E1", "I1", "E2"]) == ("I1", "I5", "E1", "E2",
                                                                                       "E10", "E12")


@pytest.mark.parametrize("registry_id", list_builtin_protocols())
def test_every_built_in_protocol_keeps_the_order_it_lists_its_criteria_in(registry_id: str) -> None:
    protocol = builtin_protocol(registry_id)
    listed = [c.id for c in protocol.eligibility.all()]
    assert criterion_order(protocol, reversed(listed)) == tuple(listed)


def _renumbered(protocol: Protocol) -> Protocol:
    """The protocol with its criteria renamed INC-n / EXC-n (lexically EXC-1 < EXC-10 < EXC-2 < INC-1)."""

    def rename(prefix: str, criteria: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        return tuple(dataclasses.replace(c, id=f"{prefix}-{i}") for i, c in enumerate(criteria, start=1))
    eligibility = dataclasses.replace(protocol.eligibility, inclusion=rename("INC", protocol.eligibility.inclusion),
                                      exclusion=rename("EXC", protocol.eligibility.exclusion))
    return dataclasses.replace(protocol, eligibility=eligibility)


def test_a_protocol_with_other_criterion_ids_keeps_its_own_order() -> None:
    protocol = _renumbered(builtin_protocol("NCT04602104"))
    ids = [c.id for c in protocol.eligibility.all()]
    assert len(ids) == 26 and ids[:6] == ["INC-1", "INC-2", "INC-3", "INC-4", "INC-5", "EXC-1"]
    assert criterion_order(protocol, sorted(ids)) == tuple(ids)


def test_ids_the_protocol_does_not_list_come_last_in_natural_order() -> None:
    protocol = builtin_protocol("NCT01902082")  # I1..I5, E1..E6
    assert criterion_order(protocol, ["X10", "E10", "E2", "X2", "I5", "E1", "E7"]) == (
        "I5", "E1", "E2", "E7", "E10", "X2", "X10")


def test_the_screening_counts_and_the_flow_follow_the_protocol_order(sim: SimulatedTrial) -> None:
    dataset = analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL)
    assert list(dataset.screening.exclusion_reasons) == SCREEN_FAILURES
    flow = consort_flow(dataset)
    assert [reason.split(":")[0] for reason, _ in flow.criterion_failures] == SCREEN_FAILURES
    items = _criterion_items(flow)
    assert [item.split(":")[0] for item in items] == SCREEN_FAILURES
    assert all(item.endswith("(n=1)") for item in items)


def test_a_long_criterion_is_shortened_in_the_box_but_keeps_its_count(sim: SimulatedTrial) -> None:
    flow = consort_flow(analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL))
    items = dict(item.split(":", 1) for item in _criterion_items(flow))
    i3 = " ".join(PROTOCOL.criterion("I3").text.split())
    assert len(i3) > 2 * (CHARS + 12)  # too long for the box: it must be shortened
    assert items["I3"].endswith("... (n=1)") and i3 not in items["I3"]
    e10 = " ".join(PROTOCOL.criterion("E10").text.split())
    assert items["E10"] == f" {e10} (n=1)"  # short enough: whole
    svg_text = " ".join(t.text or "" for t in ET.fromstring(consort_svg(flow)).iter("{http://www.w3.org/2000/svg}text"))
    assert "... (n=1)" in svg_text


def test_all_26_criteria_with_two_digit_counts_are_drawn_in_order_with_every_count(sim: SimulatedTrial) -> None:
    flow = consort_flow(analysis_dataset(sim.uow, STATISTICIAN, PROTOCOL))
    protocol = builtin_protocol("NCT04602104")
    failures = tuple((f"{c.id}: {' '.join(c.text.split())}", 10 + i)
                     for i, c in enumerate(protocol.eligibility.all()))
    items = _criterion_items(dataclasses.replace(flow, criterion_failures=failures))
    assert [item.split(":")[0] for item in items] == REGISTRY_NUMBERING
    assert [COUNT.findall(item) for item in items] == [[f"(n={10 + i})"] for i in range(26)]
    boxes, _, _, _ = layout(dataclasses.replace(flow, criterion_failures=failures))
    (excluded,) = [b for b in boxes if b.lines[0].startswith("Excluded (n=")]
    assert max(len(line) for line in excluded.lines) <= CHARS + 14
    e13 = dict(item.split(":", 1) for item in items)["E13"]  # 429 characters in the registry
    assert e13.endswith("... (n=27)") and len(e13) <= 2 * (CHARS + 12)


def test_the_registry_participant_flow_lists_the_criteria_in_the_same_order(sim: SimulatedTrial) -> None:
    dataset = analysis_dataset(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, by_arm=True)
    details = participant_flow_module(analyse(dataset), consort_flow(dataset))["preAssignmentDetails"]
    positions = [details.index(f"{cid}: ") for cid in SCREEN_FAILURES]
    assert positions == sorted(positions)
