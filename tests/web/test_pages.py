"""Every page renders for every role (or refuses with the right status), in the user's site scope."""

from __future__ import annotations

import pytest

from tests.api.scenario import SITE, USERS
from tests.web.conftest import Site

PAGES = [
    "/",
    "/participants",
    "/participants?q=S01-01",
    "/screening",
    "/escalation",
    "/safety",
    "/randomization",
    "/pharmacy",
    "/queries",
    "/audit",
    "/reports",
    "/admin/users",
    "/reports/participants.csv",
    "/reports/screening-log.csv",
    "/reports/adverse-events.csv",
    "/reports/audit.csv",
]


def participant_pages(site: Site) -> list[str]:
    first = site.trial.phase2[SITE][0]
    return [
        f"/participants/{first}",
        f"/participants/{site.trial.phase1[0]}",
        f"/participants/{first}/randomize",
        f"/participants/{first}/crf/blood_gas/d1",
        f"/participants/{first}/adverse-events/new",
    ]


@pytest.mark.parametrize("user_id", sorted(USERS))
def test_every_page_renders_or_is_refused_cleanly_for_every_user(site: Site, user_id: str) -> None:
    browser = site.browser(user_id)
    for url in PAGES + participant_pages(site):
        reply = browser.get(url)
        assert reply.status_code in (200, 403, 404), f"{url}: {reply.status_code} {reply.text[:300]}"
        if reply.headers["content-type"].startswith("text/html"):
            assert "<title>" in reply.text
            assert "Content-Security-Policy" in reply.headers
