"""The server starts without the numerical stack: importing the application and ``create_app()`` load neither
pandas, scipy nor matplotlib (each uvicorn worker, restart and test server would pay seconds for them). The first
request that computes something (the public study page with its results, a decision table, the result tables)
imports what it needs then.

Each check runs in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

HEAVY = ("pandas", "scipy", "matplotlib")


def heavy_loaded(code: str, cwd: Path) -> list[list[str]]:
    """Run ``code`` in a fresh interpreter; each ``report()`` it calls returns the heavy modules loaded so far."""
    program = "import json, sys\n"
    program += f"def report():\n    print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    program += textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("[")]


def test_importing_the_application_loads_no_heavy_module(tmp_path: Path) -> None:
    assert heavy_loaded("import mexards.api.app\nreport()\n", tmp_path) == [[]]


def test_the_pure_packages_load_their_heavy_modules_on_first_use(tmp_path: Path) -> None:
    steps = heavy_loaded(
        """
        import mexards.analysis, mexards.dosefinding, mexards.reporting
        from mexards.dosefinding import Cohort, Decision, Design
        report()
        from mexards.dosefinding import BOIN
        report()
        """,
        tmp_path,
    )
    assert steps == [[], ["scipy"]]


def test_create_app_and_light_requests_load_no_heavy_module_until_a_results_page(tmp_path: Path) -> None:
    steps = heavy_loaded(
        f"""
        import warnings
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        from fastapi.testclient import TestClient
        from mexards.api.app import create_app
        from mexards.config import Settings

        app = create_app(Settings(environment="test", database_url={f"sqlite:///{tmp_path / 'trial.sqlite'}"!r}))
        report()
        with TestClient(app) as client:
            assert client.get("/api/health").status_code == 200
            assert client.get("/openapi.json").status_code == 200
            assert client.get("/study").status_code == 200
            assert client.post("/api/auth/token", json={{"user_id": "nobody", "password": "x"}}).status_code == 401
            report()
            page = client.get("/study/NCT04602104")
            assert page.status_code == 200 and "NCT04602104" in page.text, page.text
            report()
        """,
        tmp_path,
    )
    assert steps[:2] == [[], []]
    assert "scipy" in steps[2]
    assert "matplotlib" not in steps[2]


def test_start_up_prepares_every_route_and_writes_nothing(tmp_path: Path) -> None:
    """FastAPI prepares an included router's request handling when it first matches a request (0.2 s for this
    application, with every request that arrives meanwhile queued behind it). The start-up routes one request
    that matches nothing, so every router is prepared before the server answers; it is not a user's request
    and leaves no trace in the audit trail."""
    import warnings

    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, func, select

    from mexards.api.app import create_app
    from mexards.config import Settings
    from mexards.persistence.audit import AuditRow

    url = f"sqlite:///{tmp_path / 'trial.sqlite'}"
    app = create_app(Settings(environment="test", database_url=url))
    included = [route for route in app.router.routes if hasattr(route, "effective_candidates")]
    assert included, "this FastAPI has no lazily prepared routers: the warm-up can go"
    assert all(route._effective_candidates_version is None for route in included)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with TestClient(app):
            assert all(route._effective_candidates_version is not None for route in included)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditRow)) == 0
    engine.dispose()
