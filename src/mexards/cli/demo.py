"""``mexards demo``: the main job a new user runs first."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)


def demo() -> None:
    """Run the in-silico demonstration (grows as the system grows)."""
    typer.echo("mexards demo: nothing to run yet")
