"""The screening log's counts for the CONSORT enrolment box (CONSORT 2010 item 13a)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
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


def _natural(text: str) -> tuple[str | int, ...]:
    """Sort key reading digit runs as numbers: E2 before E10."""
    return tuple(int(part) if index % 2 else part.casefold() for index, part in enumerate(re.split(r"(\d+)", text)))


def criterion_order(protocol: Protocol, criterion_ids: Iterable[str]) -> tuple[str, ...]:
    """``criterion_ids`` (each once) in the protocol's order: inclusion then exclusion criteria as the protocol
    lists them, which for a registry protocol is its numbering (I1..I5, then E1..E21). An id the protocol does
    not list (a log written under another protocol version) comes after them, in natural order (E2 before
    E10)."""
    position = {criterion.id: index for index, criterion in enumerate(protocol.eligibility.all())}
    unlisted = len(position)
    return tuple(sorted(set(criterion_ids),
                        key=lambda cid: (position.get(cid, unlisted), _natural(cid), cid)))


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
        exclusion_reasons=MappingProxyType({cid: reasons[cid] for cid in criterion_order(protocol, reasons)}),
        criterion_text=MappingProxyType(texts), eligible_not_enrolled=MappingProxyType(dict(not_enrolled)),
        enrolled=enrolled,
    )  # fmt: skip
