"""Translate mexards errors into ``field: rule`` lines on stderr and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from mexards.domain.errors import MexardsError, ValidationError, ValidationErrors

EXIT_INVALID = 2


@contextmanager
def reported_errors() -> Iterator[None]:
    """Run a command body; a ``MexardsError`` becomes readable lines on stderr and exit code 2."""
    try:
        yield
    except ValidationErrors as exc:
        for err in exc.errors:
            print(f"{err.field}: {err.rule}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    except ValidationError as exc:
        print(f"{exc.field}: {exc.rule}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
    except MexardsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_INVALID) from None
