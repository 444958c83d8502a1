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
