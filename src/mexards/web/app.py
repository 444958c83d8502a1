"""Installs the web UI on the application: static files from the package, the pages, HTML error pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from mexards.web import dashboard, session
from mexards.web.render import STATIC, html_error

ROUTERS = (session.router, dashboard.router)
"""Every page router."""


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.state.html_errors = html_error
