"""Load benchmark (``python -m benchmarks load``): ``mexards serve`` under 50 virtual users on SQLite and
PostgreSQL, three scenarios; see ``benchmarks/load/__main__.py`` (``python -m benchmarks.load --help``)."""

from __future__ import annotations

from benchmarks.load.__main__ import main as load_main


def main() -> None:
    load_main([])
