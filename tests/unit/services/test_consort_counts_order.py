"""The CONSORT counts list exclusion reasons in the protocol's order (CONSORT 2010 item 13a; registry numbering
I1..I5 then E1..E21), not lexically (E1, E10, E2)."""

from __future__ import annotations

from mexards.domain.identifier import ParticipantId
from mexards.services import participant
from mexards.services.read_model import consort_counts
from tests.unit.services.conftest import COORDINATOR, PROTOCOL, SITE, STATISTICIAN, TrialSteps, eligible_record

FAILING_RECORDS = (
    eligible_record(date_of_birth="1940-01-01", **{"treatment.dialysis": True}),
    eligible_record(**{"treatment.dialysis": True, "infection.hiv": True, "history.epilepsy": True}),
    eligible_record(**{"anthropometry.weight_kg": 160, "history.malignancy": True, "treatment.ecmo": True}),
    eligible_record(date_of_birth="2015-01-01", **{"infection.syphilis": True}),
)


def test_exclusion_reasons_follow_the_protocols_criterion_order(steps: TrialSteps) -> None:
    failing: set[str] = set()
    for number, record in enumerate(FAILING_RECORDS):
        entry = participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, ParticipantId(f"P8{number:02d}"), SITE,
                                           record)
        failing |= {c.criterion_id for c in entry.failing}
    reasons = consort_counts(steps.uow, STATISTICIAN).exclusion_reasons
    protocol_order = [c.id for c in PROTOCOL.eligibility.all() if c.id in failing]
    assert list(reasons) == protocol_order
    assert len(protocol_order) >= 3 and protocol_order != sorted(protocol_order), protocol_order
