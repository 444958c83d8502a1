"""Accounts and sessions through the API: tokens, lockout, throttling, expiry, password policy, role changes,
the access log and the audit of account changes (``edc-and-standards.md`` SYS-3, AUD-4; 21 CFR 11.300)."""

from __future__ import annotations

from mexards.api.throttle import LoginThrottle
from mexards.services.account import AccountPolicy
from tests.api.conftest import Session
from tests.api.scenario import PASSWORD


def login(session: Session, user_id: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return session.client.post("/api/auth/token", json={"user_id": user_id, "password": password})


def test_a_token_identifies_the_user_with_role_sites_and_blinding(shared: Session) -> None:
    reply = login(shared, "coord1")
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "bearer"
    me = shared.client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me == body["user"]
    assert (me["role"], me["site_ids"], me["blinded"]) == ("coordinator", ["S01"], True)
    assert shared.get("pharm1", "/api/auth/me").json()["blinded"] is False


def test_a_wrong_password_and_an_unknown_user_get_the_same_problem(shared: Session) -> None:
    wrong, unknown = login(shared, "mon1", "not the password"), login(shared, "nobody", "not the password")
    for reply in (wrong, unknown):
        assert reply.status_code == 401
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.headers["www-authenticate"] == "Bearer"
        assert reply.json()["detail"] == "invalid user id or password"


def test_a_missing_or_forged_token_is_refused(shared: Session) -> None:
    assert shared.client.get("/api/participants").status_code == 401
    forged = shared.client.get("/api/participants", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401


def test_five_failed_logins_lock_the_account_until_an_administrator_unlocks_it_with_a_reason(
    fresh: Session,
) -> None:
    for _ in range(AccountPolicy().max_failed_logins):
        assert login(fresh, "coord2", "Wrong-Horse-00!").status_code == 401
    locked = login(fresh, "coord2")
    assert locked.status_code == 401 and "locked" in locked.json()["detail"]
    refused = fresh.post("admin1", "/api/users/coord2/unlock", {"reason": ""})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    assert (
        fresh.post("admin1", "/api/users/coord2/unlock", {"reason": "identity checked by phone"}).status_code
        == 200
    )
    assert login(fresh, "coord2").status_code == 200
    kinds = [
        e["kind"] for e in fresh.get("admin1", "/api/access-log?user_id=coord2&limit=20").json()["items"]
    ]
    assert kinds[:3] == ["login", "account_unlocked", "login_failed"]
    assert kinds.count("account_locked") == 1


def test_logins_from_one_client_are_throttled(fresh: Session) -> None:
    fresh.container.throttle = LoginThrottle(attempts=3, window_seconds=60)
    statuses = [login(fresh, "mon1", "Wrong-Horse-00!").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = login(fresh, "mon1")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


def test_an_api_token_expires_after_its_lifetime(fresh: Session) -> None:
    headers = fresh.headers("stat1")
    assert fresh.client.get("/api/auth/me", headers=headers).status_code == 200
    fresh.container.clock.advance(hours=AccountPolicy().api_token_hours, minutes=1)  # type: ignore[attr-defined]
    expired = fresh.client.get("/api/auth/me", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_logging_out_revokes_the_token(fresh: Session) -> None:
    headers = fresh.headers("mon1")
    assert fresh.client.delete("/api/auth/token", headers=headers).status_code == 204
    assert fresh.client.get("/api/auth/me", headers=headers).status_code == 401


def test_the_password_policy_names_the_field_and_the_rule(shared: Session) -> None:
    short = shared.post(
        "admin1",
        "/api/users",
        {
            "user_id": "newbie",
            "display_name": "New",
            "role": "monitor",
            "site_ids": ["S01"],
            "password": "short",
        },
    )
    assert short.status_code == 422
    assert short.json()["errors"] == [{"field": "password", "rule": "must have at least 12 characters"}]
    own = shared.post(
        "admin1",
        "/api/users",
        {
            "user_id": "newbie",
            "display_name": "New",
            "role": "monitor",
            "site_ids": ["S01"],
            "password": "newbie-password-1",
        },
    )
    assert own.json()["errors"][0]["rule"] == "must not contain the user id"
    no_site = shared.post(
        "admin1",
        "/api/users",
        {"user_id": "newbie", "display_name": "New", "role": "monitor", "site_ids": [], "password": PASSWORD},
    )
    assert no_site.json()["errors"][0]["field"] == "site_ids"


def test_a_role_change_needs_a_reason_ends_the_users_sessions_and_is_audited(fresh: Session) -> None:
    headers = fresh.headers("mon1")
    change = fresh.client.patch(
        "/api/users/mon1",
        json={"reason": "moved to data management", "role": "statistician", "site_ids": []},
        headers=fresh.headers("admin1"),
    )
    assert change.status_code == 200 and change.json()["role"] == "statistician"
    assert fresh.client.get("/api/auth/me", headers=headers).status_code == 401
    entries = fresh.get("admin1", "/api/audit?entity=app_user&entity_id=mon1").json()["items"]
    update = next(e for e in entries if e["action"] == "update")
    assert update["actor_id"] == "admin1" and update["reason"] == "moved to data management"
    assert update["changes"]["role"] == ["monitor", "statistician"]
    assert not any("password" in key for e in entries for key in e["changes"])


def test_a_deactivated_user_cannot_log_in(fresh: Session) -> None:
    assert (
        fresh.client.patch(
            "/api/users/coord2",
            json={"reason": "left the trial", "active": False},
            headers=fresh.headers("admin1"),
        ).status_code
        == 200
    )
    reply = login(fresh, "coord2")
    assert reply.status_code == 401 and reply.json()["detail"] == "account deactivated"


def test_an_administrator_may_not_lock_themselves_out(fresh: Session) -> None:
    reply = fresh.client.patch(
        "/api/users/admin1", json={"reason": "oops", "active": False}, headers=fresh.headers("admin1")
    )
    assert reply.status_code == 409


def test_signing_needs_the_password_again_and_a_wrong_one_counts_towards_the_lockout(fresh: Session) -> None:
    declaration = fresh.trial.declaration_id
    wrong = fresh.post(
        "pi2", f"/api/mtd-declarations/{declaration}/approval", {"password": "Wrong-Horse-00!"}
    )
    assert wrong.status_code == 401 and "re-authentication failed" in wrong.json()["detail"]
    kinds = [e["kind"] for e in fresh.get("admin1", "/api/access-log?user_id=pi2").json()["items"]]
    assert "reauthentication_failed" in kinds


def test_changing_ones_own_password_needs_the_current_one(fresh: Session) -> None:
    refused = fresh.post(
        "coord1",
        "/api/auth/password",
        {"current_password": "Wrong-Horse-00!", "new_password": "Another-Horse-43!"},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "current_password"
    assert (
        fresh.post(
            "coord1",
            "/api/auth/password",
            {"current_password": PASSWORD, "new_password": "Another-Horse-43!"},
        ).status_code
        == 204
    )
    assert login(fresh, "coord1").status_code == 401
    assert login(fresh, "coord1", "Another-Horse-43!").status_code == 200


def test_account_changes_and_logins_leave_the_audit_trail_intact(fresh: Session) -> None:
    from mexards import bootstrap

    fresh.post("admin1", "/api/users", {"user_id": "nurse9", "display_name": "Nurse", "role": "coordinator",
                                        "site_ids": ["S01"], "password": PASSWORD})
    fresh.client.patch("/api/users/nurse9", json={"reason": "second site", "site_ids": ["S01", "S02"]},
                       headers=fresh.headers("admin1"))
    login(fresh, "nurse9", "Wrong-Horse-00!")
    login(fresh, "nurse9")
    database = bootstrap.open_database(fresh.container.settings.database_url, upgrade=False)
    try:
        assert bootstrap.audit_problems(database) == []
    finally:
        database.dispose()


def test_one_user_id_tried_from_many_addresses_is_throttled(fresh: Session) -> None:
    """Spreading guesses for one account over many workstations does not escape the throttle (OWASP
    Authentication Cheat Sheet: limit attempts per account as well as per source)."""
    from fastapi.testclient import TestClient

    fresh.container.throttle = LoginThrottle(attempts=3, window_seconds=60)
    app = fresh.client.app
    statuses = []
    for n in range(4):
        with TestClient(app, client=(f"10.0.0.{n + 1}", 50000)) as client:
            body = {"user_id": "mon1", "password": "Wrong-Horse-00!"}
            statuses.append(client.post("/api/auth/token", json=body).status_code)
    assert statuses == [401, 401, 401, 429]
    with TestClient(app, client=("10.0.0.9", 50000)) as client:
        assert client.post("/api/auth/token", json={"user_id": "stat1", "password": PASSWORD}).status_code == 200
