"""Security headers on every response: a content security policy without inline scripts, no framing, no
content sniffing, no referrer, and no caching of pages that carry trial data (OWASP Secure Headers
Project)."""

from __future__ import annotations

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
"""Swagger UI (``/docs`` only) sets inline styles; scripts stay restricted to our own files."""


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        docs = request.url.path.startswith("/docs")
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.url.path.startswith(("/static", "/docs/static")):
            headers.setdefault("Cache-Control", "no-store")
        return response
