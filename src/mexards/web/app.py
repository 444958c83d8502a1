"""Installs the web UI on the application: static files from the package, the pages, HTML error pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from mexards.web import (
    admin,
    audit,
    crf,
    dashboard,
    escalation,
    participant,
    query,
    randomization,
    report,
    safety,
    screening,
    session,
    study_page,
    treatment,
)
from mexards.web.render import STATIC, html_error

ROUTERS = tuple(
    module.router
    for module in (
        session,
        dashboard,
        participant,
        screening,
        treatment,
        crf,
        safety,
        randomization,
        escalation,
        query,
        audit,
        report,
        admin,
        study_page,
    )
)
"""Every page router."""


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.state.html_errors = html_error
