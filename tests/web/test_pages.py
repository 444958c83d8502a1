"""Every page renders for every role, or refuses with 403 where the role may not see it (404 for another
site's participant), always as a full page with the security headers."""

from __future__ import annotations

import pytest

from mexards.domain.role import Role
from tests.api.scenario import OTHER_SITE, SITE, USERS
from tests.web.conftest import Site

R = Role
EVERYONE = frozenset(Role)
RESTRICTED = {
    "/screening": frozenset({R.PRINCIPAL_INVESTIGATOR, R.INVESTIGATOR, R.COORDINATOR}),
    "/pharmacy": frozenset({R.PHARMACIST, R.UNBLINDED_STATISTICIAN}),
    "/reports/results-by-arm": frozenset({R.DSMB_MEMBER}),  # before lock: the DSMB's closed session only
    "/admin/users": frozenset({R.ADMINISTRATOR}),
    "/audit": frozenset(
        {
            R.ADMINISTRATOR,
            R.MONITOR,
            R.PRINCIPAL_INVESTIGATOR,
            R.INVESTIGATOR,
            R.STATISTICIAN,
            R.UNBLINDED_STATISTICIAN,
        }
    ),
    "/reports/audit.csv": frozenset(
        {
            R.ADMINISTRATOR,
            R.MONITOR,
            R.PRINCIPAL_INVESTIGATOR,
            R.INVESTIGATOR,
            R.STATISTICIAN,
            R.UNBLINDED_STATISTICIAN,
        }
    ),
    "/safety": EVERYONE - {R.PHARMACIST},
    "/reports/adverse-events.csv": EVERYONE - {R.PHARMACIST},
}
OPEN = [
    "/",
    "/participants",
    "/participants?q=S01-01&state=dosing",
    "/escalation",
    "/randomization",
    "/queries",
    "/reports",
    "/reports/participants.csv",
    "/reports/screening-log.csv",
]


def expected(url: str, user_id: str) -> int:
    return 200 if USERS[user_id].role in RESTRICTED.get(url, EVERYONE) else 403


@pytest.mark.parametrize("user_id", sorted(USERS))
def test_every_page_renders_or_is_refused_as_the_role_allows(site: Site, user_id: str) -> None:
    browser = site.browser(user_id)
    for url in OPEN + list(RESTRICTED):
        reply = browser.get(url)
        assert reply.status_code == expected(url, user_id), f"{url}: {reply.status_code} {reply.text[:300]}"
        assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
        if reply.headers["content-type"].startswith("text/html"):
            assert "<title>" in reply.text and "</html>" in reply.text


@pytest.mark.parametrize("user_id", sorted(USERS))
def test_a_participants_pages_are_shown_at_their_site_only(site: Site, user_id: str) -> None:
    spec = USERS[user_id]
    browser = site.browser(user_id)
    for pid in (site.trial.phase2[SITE][0], site.trial.phase2[OTHER_SITE][0]):
        home = pid.split("-")[0]
        sees = spec.role.is_trial_wide or home in spec.sites
        for url in (f"/participants/{pid}", f"/participants/{pid}/crf/blood_gas/d1"):
            reply = browser.get(url)
            assert reply.status_code == (200 if sees else 404), f"{user_id} {url}: {reply.status_code}"
