"""Security checks not covered by ``tests/api`` and ``tests/web`` (issue 8, item 4), on a real ``mexards
serve`` where it matters (its log is what an operator keeps):

- no password, token, password hash or secret key ever reaches the server log, and neither does an arm, an arm
  label or an arm's dose, after logins, password changes, randomization, the pharmacist's and the unblinded
  statistician's views, an emergency unblinding and a run of refused requests;
- security headers on every kind of response of the real server (errors, pages, static files, the docs);
- stored passwords are Argon2id with RFC 9106's second recommended parameters (m = 64 MiB, t = 3, p = 4),
  salted, upgraded at the next login when weaker, and never written to the audit trail;
- a web login always issues a new session (no fixation), and one user's CSRF token is refused in another's.

Sources: OWASP Logging, Password Storage, Session Management and CSRF Prevention cheat sheets; RFC 9106
section 4; OWASP Secure Headers Project; 21 CFR 11.300 (controls for identification codes and passwords);
BLD-6 (no text names an arm).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from benchmarks.load.client import Client
from benchmarks.load.server import Server
from fastapi.testclient import TestClient

from mexards.protocol.catalog import builtin_protocol
from tests.api.conftest import Session
from tests.api.scenario import OTHER_SITE, PASSWORD, PHASE2_ARM_CODES, PROTOCOL_ID, SITE, Trial, copy_database

ARGON2 = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{32,}$")
NEW_PASSWORD = "Fresh-Passphrase-For-Logs-91"


@dataclass
class Served:
    server: Server
    database: Path
    log: Path
    trial: Trial
    secret_key: str
    tokens: list[str]
    hashes: list[str]


def arm_words() -> list[str]:
    """Every arm code and label of the protocol, and the Phase 2 arms' codes."""
    protocol = builtin_protocol(PROTOCOL_ID)
    return sorted(
        {*PHASE2_ARM_CODES, *(arm.id for arm in protocol.arms), *(arm.label for arm in protocol.arms)}
    )


@pytest.fixture(scope="module")
def served(built_trial: tuple[Path, Trial], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``mexards serve`` on a copy of the built trial, put through logins, password changes, randomization,
    unblinded views, an emergency unblinding and refused requests; stopped before the tests read its log."""
    source, trial = built_trial
    folder = tmp_path_factory.mktemp("served")
    database, log = folder / "trial.sqlite", folder / "server.log"
    copy_database(source, database)
    secret_key = secrets.token_urlsafe(40)
    server = Server(f"sqlite:///{database}", log, environment={"MEXARDS_SECRET_KEY": secret_key})
    tokens: list[str] = []
    with server:
        users = {
            u: Client(server.port, address=f"10.9.0.{n}")
            for n, u in enumerate(["admin1", "coord1", "pharm1", "ustat1", "inv1", "coord2"], start=1)
        }
        for user_id, client in users.items():
            assert client.login(user_id, PASSWORD).ok
            tokens.append(str(client.token))
        admin, coord, pharm, ustat, inv, coord2 = users.values()
        assert admin.request(
            "POST",
            "/api/users",
            {
                "user_id": "nurse9",
                "display_name": "Nurse Nine",
                "role": "coordinator",
                "site_ids": [SITE],
                "password": NEW_PASSWORD,
            },
        ).ok
        pid = trial.enrolled_unrandomized[SITE]
        assert coord.request("POST", f"/api/participants/{pid}/randomization", {}).ok
        assert pharm.request("GET", f"/api/participants/{pid}/allocation").ok
        assert pharm.request("GET", "/api/kits").ok
        assert ustat.request("GET", "/api/allocation-list/status").ok
        unblinded = inv.request(
            "POST",
            f"/api/participants/{trial.phase2[SITE][0]}/emergency-unblinding",
            {"reason": "anaphylaxis, treatment depends on the arm", "password": PASSWORD},
        )
        assert unblinded.ok, unblinded.body
        assert coord2.request("GET", f"/api/participants/{pid}").status == 404  # another site's participant
        assert coord.request("GET", f"/api/participants/{trial.phase2[OTHER_SITE][0]}/allocation").status in (
            403,
            404,
        )
        assert Client(server.port).login("coord1", "Wrong-Password-123").status == 401
        assert coord.request(
            "POST", "/api/auth/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD + "x"}
        ).ok
        assert (
            coord.request(
                "PUT", f"/api/participants/{pid}/crfs/blood_gas/s1", {"values": {"pao2_mmhg": "-5"}}
            ).status
            == 422
        )
    with sqlite3.connect(database) as conn:
        hashes = [row[0] for row in conn.execute("SELECT password_hash FROM user_credential")]
    yield Served(server, database, log, trial, secret_key, tokens, hashes)


def test_the_server_log_holds_no_password_token_hash_or_secret_key(served: Served) -> None:
    text = served.log.read_text(errors="replace")
    assert "POST /api/auth/token" in text  # the log was written while the requests ran
    for secret in [PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", served.secret_key, *served.tokens]:
        assert secret not in text
    assert "$argon2" not in text
    for password_hash in served.hashes:
        assert password_hash.split("$")[-1] not in text


def test_the_server_log_names_no_arm_label_or_arm_dose(served: Served) -> None:
    text = served.log.read_text(errors="replace")
    for word in arm_words():
        assert word not in text, word
    mtd = str(served.trial.mtd_particles)
    assert mtd not in text and str(served.trial.mtd_particles // 4) not in text


def test_stored_passwords_are_argon2id_with_rfc9106_parameters_salted_and_upgraded_at_login(
    served: Served,
) -> None:
    with sqlite3.connect(served.database) as conn:
        rows = dict(conn.execute("SELECT user_id, password_hash FROM user_credential").fetchall())
    for user_id in ("nurse9", "admin1", "pharm1"):  # created by the server, or weaker and upgraded at login
        match = ARGON2.match(rows[user_id])
        assert match is not None, user_id
        memory_kib, time_cost, parallelism = (int(g) for g in match.groups())
        assert (memory_kib, time_cost, parallelism) >= (65536, 3, 4), user_id  # RFC 9106 4, second option
    assert ARGON2.match(rows["coord2"]) is not None
    assert len(set(rows.values())) == len(rows)  # one salt per password: equal passwords, different hashes
    with sqlite3.connect(served.database) as conn:
        leaked = conn.execute("SELECT count(*) FROM audit_log WHERE changes LIKE '%argon2%'").fetchone()[0]
    assert leaked == 0


RESPONSES = [
    ("GET", "/api/participants", 401),
    ("GET", "/api/does-not-exist", 404),
    ("POST", "/api/auth/token", 422),
    ("GET", "/api/health", 200),
    ("GET", "/login", 200),
    ("GET", "/docs", 200),
    ("GET", "/openapi.json", 200),
]


def test_every_kind_of_response_of_the_real_server_carries_the_security_headers(
    built_trial: tuple[Path, Trial], tmp_path: Path
) -> None:
    copy_database(built_trial[0], tmp_path / "trial.sqlite")
    with Server(f"sqlite:///{tmp_path / 'trial.sqlite'}", tmp_path / "server.log") as server:
        client = Client(server.port)
        static = re.search(r'src="(/static/[^"]+)"', client.request("GET", "/login").body)
        checks = [*RESPONSES, ("GET", static.group(1) if static else "/static/htmx.min.js", 200)]
        for method, path, status in checks:
            reply = client.request(method, path, {} if method == "POST" else None)
            assert reply.status == status, (path, reply.status)
            headers = reply.headers
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
            assert "script-src 'self'" in headers["content-security-policy"], path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["x-frame-options"] == "DENY", path
            assert headers["referrer-policy"] == "no-referrer", path
            assert not re.search(r"\d+\.\d+", headers.get("server", "")), headers.get("server")  # no version
            if path.startswith("/api/") and status == 200:
                assert headers["cache-control"] == "no-store", path


def test_a_web_login_issues_a_new_session_whatever_cookie_the_browser_brought(api: Session) -> None:
    attacker = TestClient(api.client.app)
    page = attacker.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    attacker.post(
        "/login",
        data={"user_id": "coord2", "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    planted = attacker.cookies.get("mexards_session")
    assert planted
    victim = TestClient(api.client.app, cookies={"mexards_session": planted})
    page = victim.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    reply = victim.post(
        "/login",
        data={"user_id": "coord1", "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    issued = reply.cookies.get("mexards_session")
    assert issued and issued != planted
    # the planted session is still the attacker's own, not raised to the victim's account
    mine = TestClient(api.client.app, cookies={"mexards_session": planted}).get("/")
    assert "coord1" not in mine.text


def test_one_users_csrf_token_is_refused_in_another_users_session(api: Session) -> None:
    sessions = {}
    for user_id in ("coord1", "inv1"):
        client = TestClient(api.client.app)
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post(
            "/login",
            data={"user_id": user_id, "password": PASSWORD, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
        sessions[user_id] = (client, csrf)
    coord, _ = sessions["coord1"]
    _, inv_csrf = sessions["inv1"]
    pid = api.trial.consented
    reply = coord.post(f"/participants/{pid}/enrol", data={"csrf_token": inv_csrf}, follow_redirects=False)
    assert reply.status_code == 403
    assert api.get("coord1", f"/api/participants/{pid}").json()["state"] != "enrolled"


# --- defects found by these checks and since fixed (regression tests) ------------------------------------


def test_a_database_error_during_a_save_keeps_the_rows_values_out_of_the_log(
    built_trial: tuple[Path, Trial], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.api.scenario import app_for

    path = tmp_path / "trial.sqlite"
    copy_database(built_trial[0], path)
    with sqlite3.connect(path) as conn:  # a fault injected behind the application: the insert fails
        conn.execute(
            "CREATE TRIGGER injected_fault BEFORE INSERT ON crf_record "
            "BEGIN SELECT * FROM table_that_is_not_there; END"
        )
    app, _container = app_for(path)
    marker = "Ventilation-Mode-Marker-4711"
    with TestClient(app, raise_server_exceptions=False) as client:
        token = client.post("/api/auth/token", json={"user_id": "coord1", "password": PASSWORD}).json()
        body = {
            "values": {
                "measured_at": "2025-03-01T07:00:00+00:00",
                "support": "invasive",
                "pao2_mmhg": "80",
                "fio2_fraction": "0.5",
                "ventilation_mode": marker,
            }
        }
        pid = built_trial[1].phase2[SITE][0]
        reply = client.put(
            f"/api/participants/{pid}/crfs/blood_gas/f1",
            json=body,
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
    assert reply.status_code == 500 and marker not in reply.text
    logged = "\n".join(caplog.text.splitlines())
    assert "table_that_is_not_there" in logged  # the failure was logged
    assert marker not in logged
