"""Load benchmark (``python -m benchmarks load``): ``mexards serve`` under 50 virtual users on SQLite and
PostgreSQL, three scenarios, as a closed loop (capacity) and open loop at 300 requests/s (latency at the
issue's target rate); see ``benchmarks/load/__main__.py`` (``python -m benchmarks.load --help``)."""

from __future__ import annotations

from benchmarks.load.__main__ import main as load_main


def main() -> None:
    load_main(["--rate", "0,300"])
