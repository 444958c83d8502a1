"""Every command of ``mexards`` is documented in the README (the sqlite-utils ``test_docs`` idea)."""

from __future__ import annotations

from pathlib import Path

import typer

from mexards.cli.main import app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_starts_with_the_two_set_up_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_block and "make test" in first_block


def test_every_top_level_command_appears_in_the_readme() -> None:
    group = typer.main.get_command(app)
    names = sorted(group.commands)  # type: ignore[attr-defined]
    assert names, "the CLI has no commands"
    missing = [name for name in names if f"mexards {name}" not in README]
    assert not missing, missing
