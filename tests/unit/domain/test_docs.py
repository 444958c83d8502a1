"""docs/domain.md lists exactly the participant transitions that the code allows."""

from __future__ import annotations

import re
from pathlib import Path

from mexards.domain.participant import TRANSITIONS, ParticipantAction, ParticipantState

DOC = Path(__file__).resolve().parents[3] / "docs" / "domain.md"


def test_the_documented_transition_table_matches_the_code() -> None:
    documented: dict[tuple[ParticipantState, ParticipantAction], ParticipantState] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\| `(\w+)` \| (.+) \|", line)
        if not match or match.group(1) not in {s.value for s in ParticipantState}:
            continue
        state = ParticipantState(match.group(1))
        for item in match.group(2).split(";"):
            if "→" in item:
                action, target = (part.strip() for part in item.split("→"))
                documented[(state, ParticipantAction(action))] = ParticipantState(target)
    assert documented == dict(TRANSITIONS)
