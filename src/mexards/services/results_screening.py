"""The screening log's counts for the CONSORT enrolment box (CONSORT 2010 item 13a)."""

from __future__ import annotations

from collections import Counter
from types import MappingProxyType

from mexards.domain.identifier import SiteId
from mexards.domain.participant import Participant
from mexards.protocol.model import Protocol
from mexards.services.port import UnitOfWork
from mexards.services.results_model import ScreeningSummary

_NOT_ENROLLED = {
    "eligible": "Eligible, consent not obtained",
    "consented": "Consented, not enrolled",
    "withdrawn": "Withdrew before enrolment",
    "died": "Died before enrolment",
    "screened": "Screening not finished",
}


def screening_summary(u: UnitOfWork, protocol: Protocol, sites: frozenset[SiteId] | None,
                      participants: list[Participant]) -> ScreeningSummary:
    log = u.screening_log.list(site_ids=sites)
    state = {p.participant_id: p for p in participants}
    reasons = Counter(c.criterion_id for entry in log for c in entry.failing)
    texts: dict[str, str] = {}
    for criterion_id in reasons:
        try:
            texts[criterion_id] = " ".join(protocol.criterion(criterion_id).text.split())
        except KeyError:
            texts[criterion_id] = criterion_id
    eligible = [e for e in log if e.verdict == "ELIGIBLE"]
    not_enrolled: Counter[str] = Counter()
    enrolled = 0
    for entry in eligible:
        person = state.get(entry.participant_id)
        if person is not None and person.enrolled_at is not None:
            enrolled += 1
        else:
            key = person.state.value if person is not None else "screened"
            not_enrolled[_NOT_ENROLLED.get(key, f"Not enrolled ({key.replace('_', ' ')})")] += 1
    return ScreeningSummary(
        assessed=len(log), ineligible=sum(1 for e in log if e.verdict == "INELIGIBLE"),
        incomplete=sum(1 for e in log if e.verdict == "INCOMPLETE"), eligible=len(eligible),
        exclusion_reasons=MappingProxyType(dict(sorted(reasons.items()))),
        criterion_text=MappingProxyType(texts), eligible_not_enrolled=MappingProxyType(dict(not_enrolled)),
        enrolled=enrolled,
    )  # fmt: skip
