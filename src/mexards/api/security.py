"""Security headers on every response: a content security policy without inline scripts, no framing, no
content sniffing, no referrer, and no caching of pages that carry trial data (OWASP Secure Headers
Project)."""

from __future__ import annotations

import json
from typing import Any

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
"""Swagger UI (``/docs`` only) sets inline styles; scripts stay restricted to our own files."""


_COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """Add the headers to every HTTP response that does not set them itself (a plain ASGI middleware: it only
    touches the response start message, so it costs next to nothing per request)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = DOCS_CONTENT_SECURITY_POLICY if path.startswith("/docs") else CONTENT_SECURITY_POLICY
        added = [(b"content-security-policy", policy.encode()), *_COMMON_HEADERS]
        if not path.startswith(("/static", "/docs/static")):
            added.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in added if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_BODY_BYTES = 10 * 1024 * 1024
"""Largest request body accepted (10 MiB): far above any form or CRF, small enough that no body exhausts memory."""


class BodySizeLimit:
    """Refuse a request body over :data:`MAX_BODY_BYTES` with 413 before reading it (declared length) or as soon
    as the streamed body passes the limit."""

    def __init__(self, app: Any, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps({
            "type": "about:blank", "title": "Request body too large", "status": 413,
            "detail": f"the request body exceeds {self.limit} bytes",
            "errors": [{"field": "body", "rule": f"must be at most {self.limit} bytes"}],
        }).encode()  # fmt: skip
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
