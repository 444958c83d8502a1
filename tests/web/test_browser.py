"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser) against a live server on a
copy of the built trial (Phase 2 recruiting).

A coordinator logs in, screens an eligible and an ineligible patient (the live eligibility panel shows each
criterion), records consent, enrols and randomizes the eligible one, records the first dose and an adverse
event (relatedness "not assessed": the form offers no relatedness to a coordinator); an investigator assesses
its relatedness; the pharmacist sees the arm of the new kit; screenshots of the dashboard and the escalation
board are saved under ``test-artifacts/``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from mexards.clinical.patient import flatten
from tests.api.conftest import open_session
from tests.api.scenario import PASSWORD, Trial, eligible_record, ineligible_record

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARM_LABELS = ("Phase 2: hMSC-Exos dosage 1", "Phase 2: hMSC-Exos dosage 2", "Phase 2: control group")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed (CI installs it)"
)
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(built_trial: tuple[Path, Trial], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for session in open_session(built_trial, tmp_path_factory.mktemp("browser") / "trial.sqlite"):
        port = _free_port()
        config = uvicorn.Config(
            session.client.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        live = uvicorn.Server(config)
        thread = threading.Thread(target=live.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not live.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.started, "the server did not start"
        yield f"http://127.0.0.1:{port}"
        live.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def log_in(browser: Any, base: str, user_id: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login")
    page.get_by_label("User id").fill(user_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    return page


def local(moment: datetime) -> str:
    """A ``datetime-local`` value (the forms read it as UTC), to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def a_second_later() -> datetime:
    """Now, at least one whole second after the step just recorded (form times have whole seconds)."""
    time.sleep(1.05)
    return datetime.now(UTC)


def fill_screening(page: Any, participant_id: str, record: dict[str, Any]) -> None:
    """Type a screening record into the screening form, field by field, as a coordinator would."""
    page.get_by_label("Participant id").fill(participant_id)
    for path, value in flatten(record).items():
        if path.endswith((".occurred", ".date")):
            head, part = path.rsplit(".", 1)
            selector = f"#f-{head.replace('.', '-')}-{part}"
        else:
            selector = f"#f-{path.replace('.', '-')}"
        field = page.locator(selector)
        if field.count() == 0:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        tag = field.evaluate("element => element.tagName")
        kind = field.get_attribute("type")
        if tag == "SELECT":
            field.select_option(text)
        elif kind == "datetime-local":
            field.fill(local(datetime.fromisoformat(text)))
        else:
            field.fill(text)


def test_a_coordinator_screens_enrols_randomizes_and_doses_and_the_pharmacist_sees_the_arm(
    server: str, browser: Any
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = log_in(browser, server, "coord1")
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert page.get_by_role("heading", name="Enrolment").is_visible()

    # an ineligible patient: the live panel lists the failing criteria before anything is recorded
    page.get_by_role("link", name="Screen a patient").click()
    fill_screening(page, "S01-B01", ineligible_record())
    sync_api.expect(page.locator("#verdict")).to_have_text("INELIGIBLE")
    assert "outside 18 to 70" in page.locator("#eligibility").inner_text()
    page.get_by_role("button", name="Screen").click()
    page.wait_for_url(f"{server}/participants/S01-B01*")
    assert "ineligible" in page.locator("#state").inner_text()
    assert "I2:" in page.content()

    # an eligible patient, then consent, enrolment, randomization (with confirmation) and the first dose
    page.get_by_role("link", name="Screen a patient").click()
    fill_screening(page, "S01-B02", eligible_record())
    sync_api.expect(page.locator("#verdict")).to_have_text("ELIGIBLE")
    page.get_by_role("button", name="Screen").click()
    page.wait_for_url(f"{server}/participants/S01-B02*")
    assert page.locator("#state").inner_text() == "eligible"
    page.get_by_label("Consent form version").fill("v2.0")
    page.get_by_label("Signed at (UTC)").fill(local(a_second_later()))
    page.get_by_role("button", name="Record consent").click()
    page.get_by_role("button", name="Enrol").click()
    assert page.locator("#state").inner_text() == "enrolled"
    page.get_by_role("link", name="Randomize…").click()
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Randomize").click()
    page.wait_for_url(f"{server}/participants/S01-B02*")
    kit = page.locator("#kit").inner_text()
    assert page.locator("#arm").count() == 0
    assert "study drug" in page.content()
    page.get_by_label("Started at (UTC)").fill(local(a_second_later()))
    page.get_by_label("Volume (mL)").fill("3")
    page.get_by_label("Nebuliser").fill("Aerogen Solo")
    page.get_by_label("SpO2 before (%)").fill("93")
    page.get_by_label("SpO2 after (%)").fill("94")
    page.get_by_label("Tolerance").select_option("tolerated")
    page.get_by_role("button", name="Record dose").click()
    assert "Dose of day 1 recorded" in page.locator("#messages").inner_text()
    assert "kit " + kit in page.content()
    for label in ARM_LABELS:
        assert label not in page.content()

    # an adverse event, recorded by the coordinator: relatedness is left to an investigator
    page.get_by_role("link", name="Record an adverse event").click()
    assert page.get_by_label("Relatedness to study product").count() == 0
    page.get_by_label("Term (CTCAE v5)").fill("Cough")
    page.get_by_label("CTCAE grade").select_option("1")
    page.get_by_label("Onset (UTC)").fill(local(datetime.now(UTC)))
    page.get_by_label("Site aware at (UTC; starts the SAE clock)").fill(local(datetime.now(UTC)))
    page.get_by_label("Expectedness").select_option("expected")
    page.get_by_role("button", name="Record adverse event").click()
    assert "Adverse event recorded" in page.locator("#messages").inner_text()
    cell = page.locator("td[id^='relatedness-']", has_text="Not assessed")
    assert cell.count() == 1 and "Cough" in page.content()

    # the site's investigator assesses the relatedness of the recorded event
    investigator = log_in(browser, server, "inv1")
    investigator.goto(f"{server}/participants/S01-B02")
    investigator.get_by_label("Assess relatedness (Cough)").select_option("unlikely")
    investigator.get_by_role("button", name="Assess").click()
    assert "Relatedness assessed" in investigator.locator("#messages").inner_text()
    assessed = investigator.locator("td[id^='relatedness-']").first.inner_text()
    assert assessed.strip().lower().startswith("unlikely")

    # the pharmacist sees the kit's arm
    pharmacist = log_in(browser, server, "pharm1")
    pharmacist.get_by_role("link", name="Pharmacy").click()
    row = pharmacist.locator("tr", has=pharmacist.locator("td.kit", has_text=kit))
    assert row.locator("td.arm").inner_text() in ARM_LABELS

    # the escalation board, as the principal investigator sees it
    chief = log_in(browser, server, "pi1")
    chief.get_by_role("link", name="Escalation", exact=True).click()
    assert "Decision table of the design" in chief.content()
    assert "the MTD is dose 3" in chief.locator("#reason").inner_text()
    chief.screenshot(path=str(ARTIFACTS / "escalation-board.png"), full_page=True)
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 0


def test_the_pages_load_nothing_from_another_origin_and_break_no_content_security_rule(
    server: str, browser: Any
) -> None:
    page = log_in(browser, server, "coord1")
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    for url in ("/", "/participants", "/escalation", "/safety", "/queries", "/reports", "/docs"):
        page.goto(f"{server}{url}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{server}/screening")
    page.get_by_label("Participant id").fill("S01-LIVE")
    page.locator("#f-anthropometry-weight_kg").fill("75")
    page.locator("#f-anthropometry-weight_kg").press("Tab")
    sync_api.expect(page.locator("#eligibility")).not_to_contain_text("Enter the screening data")
    page.goto(f"{server}/participants")
    page.get_by_label("Search by participant id").fill("S01-00")
    sync_api.expect(page.locator("#results caption")).to_have_text(re.compile(r"^\s*9 participant"))
    foreign = [url for url in requested if not url.startswith(server) and not url.startswith("data:")]
    assert not foreign
    assert not problems
    assert page.locator("#results tbody tr").count() == 9
