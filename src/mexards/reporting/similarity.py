"""Related trials: a small, transparent similarity score between two protocols, with a reason per point.

The public registry page lists "related clinical trials" by study characteristics. Here the score is a sum of
points, each with a sentence saying why (weights chosen so that the condition studied counts most, then how
the product is given and what it is, then the design and the phase):

- condition: +3 when the trials share a condition (names compared case- and space-insensitively);
- route: +2 when an investigational product of each is given by the same route (CDISC route term, e.g.
  RESPIRATORY (INHALATION));
- product type: +1 for the same source (e.g. mesenchymal stromal/stem cells) and +1 for the same form
  (extracellular vesicles/exosomes, or whole cells), read from the product names by :data:`PRODUCT_WORDS`;
- design: +1 each for the same allocation, intervention model and masking (only when both state it);
- phase: +1 for the same registry phase, +0.5 when the phases overlap (``PHASE1`` and ``PHASE1/PHASE2``).

Ranking is by score, highest first, then by registry id, so it is deterministic; trials scoring 0 are left
out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mexards.protocol.model import Protocol
from mexards.reporting.terminology import route_term

CONDITION_POINTS = 3.0
ROUTE_POINTS = 2.0
PRODUCT_POINTS = 1.0
DESIGN_POINTS = 1.0
SAME_PHASE_POINTS = 1.0
OVERLAPPING_PHASE_POINTS = 0.5

PRODUCT_WORDS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "source": (("mesenchymal stromal/stem cells", ("mesenchymal", "msc")),),
    "form": (("extracellular vesicles (exosomes)", ("exosome", "exos", "extracellular vesicle", "vesicle")),
             ("whole cells", ("cells", "mscs"))),
}
"""Product aspect -> (category, words that mark it); the first matching category of each aspect wins."""


@dataclass(frozen=True)
class MatchReason:
    """One reason two trials are related, with the points it adds."""

    aspect: str
    points: float
    text: str


@dataclass(frozen=True)
class RelatedTrial:
    """A related trial: its registry id and title, total score and the reasons."""

    registry_id: str
    title: str
    score: float
    reasons: tuple[MatchReason, ...]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _investigational(protocol: Protocol) -> list[str]:
    return [f"{i.name} {i.product}".lower() for i in protocol.interventions if i.dose.placebo is None]


def _routes(protocol: Protocol) -> set[str]:
    return {route_term(i.route)[0] for i in protocol.interventions if i.dose.placebo is None}


def product_categories(protocol: Protocol) -> dict[str, set[str]]:
    """Aspect -> the categories of ``protocol``'s investigational products (see :data:`PRODUCT_WORDS`)."""
    found: dict[str, set[str]] = {aspect: set() for aspect in PRODUCT_WORDS}
    for text in _investigational(protocol):
        for aspect, categories in PRODUCT_WORDS.items():
            for category, words in categories:
                if any(word in text for word in words):
                    found[aspect].add(category)
                    break
    return found


def _phase_parts(phase: str) -> set[str]:
    return set(phase.split("/"))


def similarity(subject: Protocol, other: Protocol) -> tuple[float, tuple[MatchReason, ...]]:
    """The score of ``other`` as a trial related to ``subject`` and the reasons behind it."""
    reasons: list[MatchReason] = []
    conditions = {_norm(c): c for c in subject.conditions}
    shared = [conditions[_norm(c)] for c in other.conditions if _norm(c) in conditions]
    if shared:
        reasons.append(MatchReason("condition", CONDITION_POINTS, f"Same condition: {', '.join(shared)}"))
    routes = sorted(_routes(subject) & _routes(other))
    if routes:
        text = f"Same route of administration: {', '.join(routes)}"
        reasons.append(MatchReason("route", ROUTE_POINTS, text))
    mine, theirs = product_categories(subject), product_categories(other)
    for aspect in PRODUCT_WORDS:
        common = sorted(mine[aspect] & theirs[aspect])
        if common:
            reasons.append(MatchReason(f"product {aspect}", PRODUCT_POINTS,
                                       f"Same product {aspect}: {', '.join(common)}"))
    for label, left, right in (
        ("allocation", subject.identification.design.allocation, other.identification.design.allocation),
        ("intervention model", subject.identification.design.model, other.identification.design.model),
        ("masking", subject.identification.design.masking, other.identification.design.masking),
    ):
        if left and left == right:
            reasons.append(MatchReason(label, DESIGN_POINTS, f"Same {label}: {left}"))
    mine_phase, their_phase = subject.identification.phase, other.identification.phase
    if mine_phase == their_phase:
        reasons.append(MatchReason("phase", SAME_PHASE_POINTS, f"Same phase: {mine_phase}"))
    elif _phase_parts(mine_phase) & _phase_parts(their_phase):
        reasons.append(MatchReason("phase", OVERLAPPING_PHASE_POINTS,
                                   f"Overlapping phases: {mine_phase} and {their_phase}"))
    return sum(r.points for r in reasons), tuple(reasons)


def related_trials(subject: Protocol, candidates: Iterable[Protocol]) -> list[RelatedTrial]:
    """The candidates related to ``subject`` (itself excluded), best first, ties by registry id."""
    related = []
    for other in candidates:
        if other.registry_id == subject.registry_id:
            continue
        score, reasons = similarity(subject, other)
        if score > 0:
            related.append(RelatedTrial(other.registry_id, other.identification.brief_title, score, reasons))
    return sorted(related, key=lambda r: (-r.score, r.registry_id))
