"""``/docs``: Swagger UI served from the package (no external network), started by a script file (no inline
script, so the content security policy holds)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mexards API</title>
<link rel="stylesheet" href="/docs/static/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-init.js"></script></body></html>"""


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(_PAGE)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC)
