"""The public study page served by the web app: every section of the seed registry record for each shipped
protocol, results "not yet posted" before the database lock and the registry results tables after it, a strict
content security policy, and a browser test (Playwright on Debian chromium) with screenshots under
``test-artifacts/``.

Source of the sections: the registry record of NCT04602104 as saved in ``/work/shared/seeds/`` (its headings
are read from the file, not typed here).
"""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from mexards.domain.identifier import UserId
from mexards.domain.role import Actor, Role
from mexards.protocol import list_builtin_protocols
from mexards.services import trial as trial_service
from tests.api.conftest import Session, open_session
from tests.api.scenario import Trial

SEED = Path("/work/shared/seeds/NCT04602104-MEXARDS.txt")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN = Actor(UserId("admin1"), Role.ADMINISTRATOR)


def seed_headings() -> list[str]:
    """The section headings of the seed record: a short title-case line followed by the registry's one-sentence
    explanation of the section, and the Inclusion/Exclusion Criteria sub-headings."""
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()]
    headings = []
    for line, following in itertools.pairwise(lines):
        titled = bool(line) and len(line) < 40 and not re.search(r"\d", line) and line.istitle()
        sentence = following.endswith(".") and len(following.split()) >= 6 and following[:1].isupper()
        if (titled and sentence) or re.fullmatch(r"(Inclusion|Exclusion) Criteria", line):
            headings.append(line)
    return headings


pytestmark = pytest.mark.skipif(not SEED.exists(), reason="the seed registry record is not present")


@pytest.fixture(scope="module")
def open_trial(built_trial: tuple[Path, Trial], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A copy of the built trial, recruiting (results not released)."""
    yield from open_session(built_trial, tmp_path_factory.mktemp("study-open") / "trial.sqlite")


@pytest.fixture(scope="module")
def locked_trial(built_trial: tuple[Path, Trial], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A copy of the built trial with recruitment closed and the database locked (results released)."""
    for session in open_session(built_trial, tmp_path_factory.mktemp("study-locked") / "trial.sqlite"):
        trial_service.change_trial_status(session.container.unit_of_work(), ADMIN, "close_recruitment")
        trial_service.lock_database(session.container.unit_of_work(), ADMIN)
        yield session


def test_the_seed_record_has_the_sections_of_a_registry_page() -> None:
    headings = seed_headings()
    assert len(headings) == len(set(headings)) >= 15
    assert headings[0] == "Study Results" and "Eligibility Criteria" in headings


@pytest.mark.parametrize("registry_id", list_builtin_protocols())
def test_the_page_of_each_shipped_protocol_is_public_and_has_every_seed_section(
    open_trial: Session, registry_id: str
) -> None:
    reply = open_trial.client.get(f"/study/{registry_id}")
    assert reply.status_code == 200, reply.text
    headings = set(re.findall(r"<h[23][^>]*>([^<]+?)\s*(?:<span|</h[23]>)", reply.text))
    assert set(seed_headings()) <= headings
    assert registry_id in reply.text


def test_before_the_lock_results_are_not_yet_posted_and_no_arm_result_appears(open_trial: Session) -> None:
    page = open_trial.client.get("/study/NCT04602104").text
    assert "Results not yet posted" in page
    assert "Participant flow" not in page and "Adverse events: participants affected" not in page


def test_after_the_lock_the_study_results_show_the_registry_results_by_group(locked_trial: Session) -> None:
    page = locked_trial.client.get("/study/NCT04602104").text
    assert "Results not yet posted" not in page
    for table in ("Participant flow: Overall Study", "Baseline characteristics",
                  "Dose-limiting toxicity incidence per dose level", "Adverse events: participants affected / at risk"):
        assert table in page
    assert "Phase 2: control group</th>" in page


def test_a_shipped_protocol_that_is_not_this_databases_trial_shows_no_results(locked_trial: Session) -> None:
    page = locked_trial.client.get("/study/NCT01902082").text
    assert "Results not yet posted" in page


def test_the_page_allows_its_own_inline_style_by_hash_and_nothing_else(open_trial: Session) -> None:
    reply = open_trial.client.get("/study/nct04313647")
    policy = reply.headers["Content-Security-Policy"]
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert "<script" not in reply.text


def test_the_index_links_every_shipped_protocol_and_an_unknown_id_is_not_found(open_trial: Session) -> None:
    index = open_trial.client.get("/study").text
    assert all(f'href="/study/{rid}"' in index for rid in list_builtin_protocols())
    assert open_trial.client.get("/study/NCT00000000").status_code == 404


# --- in a browser -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(session: Session) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(session.client.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _visit(browser: Any, url: str) -> tuple[Any, list[str]]:
    """A new page at ``url``, and the problems seen: console errors (a CSP violation is one) and failed
    responses (the browser's own favicon request aside: the page declares none)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda reply: problems.append(f"{reply.status} {reply.url}")
            if reply.status >= 400 and not reply.url.endswith("/favicon.ico") else None)
    page.goto(url)
    return page, problems


def test_in_a_browser_each_shipped_protocol_shows_every_seed_section(browser: Any, open_trial: Session) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(open_trial) as base:
        for registry_id in list_builtin_protocols():
            page, problems = _visit(browser, f"{base}/study/{registry_id}")
            for heading in seed_headings():
                assert page.get_by_role("heading", name=heading, exact=True).is_visible(), (registry_id, heading)
            assert page.get_by_text("Results not yet posted").is_visible()
            color = page.locator("h2").first.evaluate("e => getComputedStyle(e).color")
            assert color == "rgb(43, 87, 151)", "the inline style was blocked"
            assert not problems, problems
            page.screenshot(path=str(ARTIFACTS / f"study_page_{registry_id}.png"), full_page=True)
            page.context.close()


def test_in_a_browser_released_results_fill_the_study_results_section(browser: Any, locked_trial: Session) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(locked_trial) as base:
        page, problems = _visit(browser, f"{base}/study/NCT04602104")
        results = page.locator("#results")
        assert results.get_by_role("heading", name="Participant flow: Overall Study").is_visible()
        assert results.get_by_role("columnheader", name="Phase 2: hMSC-Exos dosage 2").first.is_visible()
        assert not problems, problems
        results.screenshot(path=str(ARTIFACTS / "study_page_NCT04602104_results.png"))
        page.context.close()
