"""Web sessions: login and logout, the session cookie, CSRF protection, inactivity expiry, redirects to the
login page, and lockout messages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from mexards.services.account import AccountPolicy
from tests.api.scenario import PASSWORD
from tests.web.conftest import CSRF, Browser, Site


def test_a_page_without_a_session_sends_the_user_to_the_login_page_and_back(site: Site) -> None:
    client = TestClient(site.session.client.app)
    reply = client.get("/escalation", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/login?next=/escalation"
    page = client.get("/login?next=/escalation")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/login",
        data={"user_id": "pi1", "password": PASSWORD, "csrf_token": token, "next": "/escalation"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/escalation"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def test_the_login_form_refuses_a_foreign_next_address(site: Site) -> None:
    client = TestClient(site.session.client.app)
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/login",
        data={"user_id": "pi1", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/"


def test_a_login_post_without_the_forms_token_is_refused(site: Site) -> None:
    client = TestClient(site.session.client.app)
    reply = client.post("/login", data={"user_id": "pi1", "password": PASSWORD, "csrf_token": "guess"})
    assert reply.status_code == 403


def test_a_wrong_password_shows_the_form_again_with_the_reason(site: Site) -> None:
    client = TestClient(site.session.client.app)
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    reply = client.post("/login", data={"user_id": "pi1", "password": "nope", "csrf_token": token})
    assert reply.status_code == 401
    assert "invalid user id or password" in reply.text and 'value="pi1"' in reply.text


def test_a_state_changing_request_without_the_sessions_csrf_token_is_refused(fresh_site: Site) -> None:
    browser = fresh_site.browser("coord1")
    pid = fresh_site.trial.consented
    forged = browser.client.post(
        f"/participants/{pid}/enrol", data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403
    missing = browser.client.post(f"/participants/{pid}/enrol", follow_redirects=False)
    assert missing.status_code == 403
    assert "enrolled" not in browser.get(f"/participants/{pid}").text.split('id="state">')[1][:20]
    by_header = browser.client.post(
        f"/participants/{pid}/enrol", headers={"X-CSRF-Token": browser.csrf}, follow_redirects=False
    )
    assert by_header.status_code == 303


def test_logging_out_ends_the_session(fresh_site: Site) -> None:
    browser = fresh_site.browser("mon1")
    assert browser.post("/logout").status_code == 303
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_session_ends_after_the_inactivity_limit(fresh_site: Site) -> None:
    browser = fresh_site.browser("coord1")
    assert browser.get("/").status_code == 200
    fresh_site.session.container.clock.advance(minutes=AccountPolicy().web_idle_minutes + 1)  # type: ignore[attr-defined]
    reply = browser.get("/participants", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"].startswith("/login")


def test_an_htmx_request_without_a_session_is_redirected_with_a_header(site: Site) -> None:
    client = TestClient(site.session.client.app)
    reply = client.get("/participants?q=S0", headers={"HX-Request": "true"}, follow_redirects=False)
    assert reply.status_code == 204 and reply.headers["hx-redirect"].startswith("/login")


def test_an_error_in_an_htmx_request_comes_back_as_a_fragment_for_the_message_area(site: Site) -> None:
    browser = site.browser("coord1")
    reply = browser.client.post(
        f"/participants/{site.trial.phase1[0]}/enrol",
        headers={"X-CSRF-Token": browser.csrf, "HX-Request": "true"},
    )
    assert reply.status_code == 409
    assert reply.headers["hx-retarget"] == "#messages"
    assert "<html" not in reply.text and "cannot enrol" in reply.text


def test_every_login_is_in_the_access_log(site: Site) -> None:
    Browser(TestClient(site.session.client.app), "dsmb1")
    events = site.session.get("admin1", "/api/access-log?user_id=dsmb1").json()["items"]
    assert events[0]["kind"] == "login"
