"""The public study pages: ``/study`` lists the shipped protocols, ``/study/{registry id}`` shows one as its
registry record does (:func:`mexards.reporting.page.render_study_page`), with related trials among the shipped
protocols and, for the trial run in this database, its Study Results once released (database locked,
:func:`mexards.reporting.page.posted_results`). No login: the page holds only what a public registry shows.

The page is the same self-contained file ``mexards export page`` writes, so its inline style is allowed by its
SHA-256 hash in the content security policy (CSP Level 3 hash sources), and nothing else may load.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from mexards.api.deps import ContainerDep
from mexards.protocol.catalog import builtin_protocol, list_builtin_protocols

if TYPE_CHECKING:
    from mexards.reporting.page import StudyResults

router = APIRouter(include_in_schema=False)

_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
NONE = "'none'"


def _policy(page: str) -> str:
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                      for s in _STYLE.findall(page))
    return (f"default-src 'none'; style-src {hashes or NONE}; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _page(text: str) -> HTMLResponse:
    return HTMLResponse(text, headers={"Content-Security-Policy": _policy(text)})


@router.get("/study")
def study_index() -> HTMLResponse:
    items = "".join(
        f'<li><a href="/study/{html.escape(rid)}">{html.escape(builtin_protocol(rid).identification.brief_title)}'
        f"</a> ({html.escape(rid)})</li>" for rid in list_builtin_protocols())
    return _page("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Studies</title></head>"
                 f"<body><h1>Studies</h1><ul>{items}</ul></body></html>")


@router.get("/study/{registry_id}")
def study(registry_id: str, container: ContainerDep) -> HTMLResponse:
    from mexards.reporting.page import posted_results, render_study_page  # on first use, not at start-up

    protocol = builtin_protocol(registry_id)
    results: StudyResults | None = posted_results(container.unit_of_work(), protocol)
    candidates = [builtin_protocol(other) for other in list_builtin_protocols()]
    return _page(render_study_page(protocol, candidates, results))
