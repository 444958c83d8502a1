"""Command-line entrypoint (Typer). Thin: parse, call one use case, translate errors."""
