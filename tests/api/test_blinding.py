"""The blinding sweep (``edc-and-standards.md`` BLD-2, BLD-6, RND-6; ICH E6(R3) 4.1.2): after Phase 2
randomizations and one emergency unblinding, every blinded role fetches every API endpoint, every page, every
export and a set of error paths, and no response contains a Phase 2 arm code or label, a Phase 2 arm's
product, an arm field name, the quarter-MTD dose, or (in anything about a Phase 2 participant) the MTD dose.

DSMB members are blinded at the participant level too: they sweep every participant-level endpoint and page;
only the arm-level aggregates (CONSORT counts by arm, the closed-session result tables) may name arms for
them, and those name no participant.

The MTD itself is a Phase 1 result (open label, shown on the escalation board with the Phase 1 dose levels),
so the MTD dose may appear where Phase 1 is shown; it must never be attached to a Phase 2 participant. The
quarter-MTD dose (4 x 10^8 particles here, no Phase 1 level) must appear nowhere for a blinded user. Unblinded
roles see the same arms, which shows that the search would find them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mexards.domain.role import Role
from mexards.protocol import builtin_protocol
from mexards.web.render import particles
from tests.api.conftest import Session
from tests.api.scenario import OTHER_SITE, PASSWORD, PROTOCOL_ID, SITE, USERS
from tests.web.conftest import Browser

PROTOCOL = builtin_protocol(PROTOCOL_ID)
PHASE2_ARMS = [PROTOCOL.arm(code) for code in PROTOCOL.phase2.arms]  # type: ignore[union-attr]
BLINDED = sorted(u for u, spec in USERS.items() if spec.role.is_blinded)
UNBLINDED = sorted(u for u, spec in USERS.items() if not spec.role.is_blinded)


def renderings(dose: int) -> set[str]:
    """Patterns for every way a dose may be written: digits (plain or grouped), scientific notation
    (``4e8``, ``4.0e+08``, ``4*10^8``) and the UI's form; never inside a longer number or a hex id."""
    digits = str(dose)
    exponent = len(digits) - 1
    mantissa = digits.rstrip("0")
    head = re.escape(mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else ""))
    edge_before, edge_after = r"(?<![0-9A-Za-z.,])", r"(?![0-9A-Za-z])"
    scientific = rf"{head}(?:\.0+)?\s*(?:[eE]\+?0?{exponent}|\*\s*10\^{exponent})"
    return {
        edge_before + re.escape(digits) + edge_after,
        edge_before + re.escape(f"{dose:,}") + edge_after,
        edge_before + scientific + edge_after,
        re.escape(particles(dose).removesuffix(" particles")),
    }


def forbidden_everywhere(mtd_particles: int) -> set[str]:
    """Patterns that must not appear in anything a blinded user gets."""
    words = {arm.id for arm in PHASE2_ARMS} | {arm.label for arm in PHASE2_ARMS}
    words |= {PROTOCOL.intervention(arm.interventions[0]).name for arm in PHASE2_ARMS}
    words |= {"arm_code", "arm_label", "daily_dose_particles", "by_arm", "used_by_arm"}
    return {re.escape(w) for w in words} | renderings(mtd_particles // 4)


def phase2_urls(session: Session) -> list[str]:
    urls = []
    for pid in session.trial.phase2[SITE] + session.trial.phase2[OTHER_SITE]:
        urls += [
            f"/api/participants/{pid}",
            f"/api/participants/{pid}/administrations",
            f"/api/participants/{pid}/visits",
            f"/api/participants/{pid}/crfs",
            f"/api/participants/{pid}/crfs/blood_gas/d1",
            f"/participants/{pid}",
            f"/participants/{pid}/randomize",
            f"/participants/{pid}/crf/blood_gas/d1",
            f"/api/adverse-events?participant_id={pid}",
        ]
    return urls


GENERAL_URLS = [
    "/api/auth/me",
    "/api/access-log",
    "/api/users",
    "/api/trial",
    "/api/screening-log",
    "/api/participants?limit=500",
    "/api/participants?q=S01",
    "/api/escalation",
    "/api/cohorts",
    "/api/dlt-adjudications",
    "/api/mtd-declarations",
    "/api/allocation-list/status",
    "/api/kits",
    "/api/forms",
    "/api/adverse-events",
    "/api/sae-reports/overdue",
    "/api/queries",
    "/api/notifications",
    "/api/unblindings",
    "/api/audit?limit=500",
    "/api/reports/consort",
    "/api/reports/results-by-arm",
    "/api/reports/participants.csv",
    "/api/reports/screening-log.csv",
    "/api/reports/adverse-events.csv",
    "/api/reports/audit.csv",
    "/",
    "/participants",
    "/participants?q=S0",
    "/escalation",
    "/safety",
    "/randomization",
    "/pharmacy",
    "/queries",
    "/audit",
    "/reports",
    "/reports/results-by-arm",
    "/admin/users",
    "/reports/participants.csv",
    "/reports/screening-log.csv",
    "/reports/adverse-events.csv",
    "/reports/audit.csv",
    "/api/audit?unblinded=true",
    "/api/participants/NOT-THERE",
    "/participants/NOT-THERE",
    "/api/openapi-does-not-exist",
]
ESCALATION_URLS = ("/api/escalation", "/api/cohorts", "/api/mtd-declarations", "/escalation", "/")
AGGREGATE_URLS = (
    "/api/reports/consort",
    "/api/reports/results-by-arm",
    "/reports",
    "/reports/results-by-arm",
)
"""Arm-level aggregates: a role that sees unblinded aggregates (the DSMB) may find arms there only."""
"""Where Phase 1 (open label) is shown: the MTD dose may appear there as a Phase 1 dose level."""


def error_paths(session: Session) -> list[tuple[str, str, object]]:
    randomized = session.trial.phase2[SITE][0]
    return [
        ("GET", f"/api/participants/{randomized}/allocation", None),
        ("POST", f"/api/participants/{randomized}/randomization", {}),
        (
            "POST",
            f"/api/participants/{session.trial.enrolled_unrandomized[SITE]}/randomization",
            {"stratification": {"berlin_severity": "UNHEARD_OF"}},
        ),
        (
            "POST",
            f"/api/participants/{randomized}/emergency-unblinding",
            {"reason": "test", "password": "wrong!"},
        ),
        ("POST", f"/api/participants/{randomized}/administrations", {"study_day": 1}),
        ("POST", f"/api/participants/{randomized}/administrations", {"study_day": 9}),
        ("POST", "/api/allocation-list", {"slots_per_stratum": 3}),
        ("POST", "/api/allocation-list/verification", None),
        ("PUT", f"/api/participants/{randomized}/crfs/blood_gas/d1", {"values": {"pao2_mmhg": "9999"}}),
    ]


@pytest.fixture(scope="module")
def unblinded_once(shared: Session) -> Iterator[Session]:
    """One legitimate emergency unblinding (inv1, participant 2 of site S01) before the sweep."""
    target = shared.trial.phase2[SITE][1]
    reply = shared.post(
        "inv1",
        f"/api/participants/{target}/emergency-unblinding",
        {"reason": "anaphylaxis: treatment depends on the product", "password": PASSWORD},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["arm_code"] in {arm.id for arm in PHASE2_ARMS}
    yield shared


def _leaks(text: str, patterns: set[str]) -> list[str]:
    return sorted({m.group(0) for p in patterns for m in [re.search(p, text)] if m})


@pytest.mark.parametrize("user_id", BLINDED)
def test_a_blinded_user_sees_no_arm_no_phase2_dose_and_no_kit_to_arm_mapping_anywhere(
    unblinded_once: Session, user_id: str
) -> None:
    session = unblinded_once
    browser = Browser(session.client.__class__(session.client.app), user_id)
    everywhere = forbidden_everywhere(session.trial.mtd_particles)
    mtd = renderings(session.trial.mtd_particles)
    fetched = 0
    aggregates = USERS[user_id].role.sees_unblinded_aggregates
    for url in GENERAL_URLS + phase2_urls(session):
        reply = session.get(user_id, url) if url.startswith("/api") else browser.get(url)
        assert reply.status_code < 500, f"{url}: {reply.status_code}"
        fetched += 1
        if aggregates and url in AGGREGATE_URLS:
            continue
        leaks = _leaks(reply.text, everywhere)
        if url in phase2_urls(session):
            leaks += _leaks(reply.text, mtd)
        assert not leaks, f"{user_id} {url} shows {leaks}"
    for method, url, body in error_paths(session):
        reply = session.call(user_id, method, url, body)
        assert reply.status_code < 500, f"{method} {url}: {reply.status_code} {reply.text}"
        assert not _leaks(reply.text, everywhere | mtd), f"{user_id} {method} {url}: {reply.text}"
    assert fetched > 90


def test_the_dsmbs_aggregates_name_the_arms_but_no_participant_and_are_audited(
    unblinded_once: Session,
) -> None:
    session = unblinded_once
    labels = {arm.label for arm in PHASE2_ARMS}
    report = session.get("dsmb1", "/api/reports/results-by-arm")
    assert report.status_code == 200 and report.json()["closed_session"] and not report.json()["locked"]
    assert labels <= {g["title"] for g in report.json()["groups"]}
    consort = session.get("dsmb1", "/api/reports/consort").json()
    assert set(consort["by_arm"]) <= {arm.id for arm in PHASE2_ARMS} and sum(consort["by_arm"].values()) > 0
    page = Browser(session.client.__class__(session.client.app), "dsmb1").get("/reports/results-by-arm")
    assert page.status_code == 200 and any(label in page.text for label in labels)
    everyone = session.trial.phase1 + session.trial.phase2[SITE] + session.trial.phase2[OTHER_SITE]
    for text in (report.text, page.text, str(consort)):
        assert not [pid for pid in everyone if re.search(rf"(?<![\w-]){re.escape(pid)}(?![\w-])", text)]
    trail = session.get("admin1", "/api/audit?actor_id=dsmb1&limit=500").json()["items"]
    assert {"closed_session_report", "data_export"} <= {e["entity"] for e in trail}
    assert session.get("ustat1", "/api/reports/results-by-arm").status_code == 403


def test_blinded_lists_of_participants_carry_no_dose_for_phase2_participants(unblinded_once: Session) -> None:
    rows = unblinded_once.get("stat1", "/api/participants?limit=500").json()["items"]
    phase2 = [row for row in rows if row["phase"] == 2]
    assert phase2 and all(row["dose_level"] is None and row["treatment"] == "study drug" for row in phase2)
    assert all(set(row) == set(phase2[0]) for row in rows)
    assert not any("arm" in key for key in phase2[0])


@pytest.mark.parametrize("user_id", UNBLINDED)
def test_unblinded_roles_see_the_arms_so_the_search_would_find_them(
    unblinded_once: Session, user_id: str
) -> None:
    reply = unblinded_once.get(user_id, "/api/kits?limit=100")
    assert reply.status_code == 200
    labels = {arm.label for arm in PHASE2_ARMS}
    assert labels & {row["arm_label"] for row in reply.json()["items"]}
    page = Browser(unblinded_once.client.__class__(unblinded_once.client.app), user_id).get("/participants")
    assert any(label in page.text for label in labels)


def test_the_emergency_unblinding_reveals_one_participant_only_and_is_recorded_without_the_arm(
    unblinded_once: Session,
) -> None:
    session = unblinded_once
    target = session.trial.phase2[SITE][1]
    records = session.get("pi1", "/api/unblindings").json()
    assert [r["participant_id"] for r in records] == [target]
    detail = session.get("inv1", f"/api/participants/{target}").json()
    assert detail["unblinded"] is True and "arm_code" not in detail
    others = [
        row
        for row in session.get("inv1", "/api/participants?limit=500").json()["items"]
        if row["participant_id"] != target
    ]
    assert not any(row["unblinded"] for row in others)
    notices = session.get("pi1", "/api/notifications").text
    assert not _leaks(notices, forbidden_everywhere(session.trial.mtd_particles))
    assert re.search(r"unblind", notices, re.IGNORECASE)


def test_every_blinded_role_is_covered() -> None:
    assert {USERS[u].role for u in BLINDED} == {r for r in Role if r.is_blinded}
