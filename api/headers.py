"""Security headers on every HTTP response, API and web page alike; over-long URLs refused.

A query string over ``MAX_QUERY_STRING_BYTES`` is answered 414 before any route parses it
(no parameter needs more: ``q`` is at most 500 characters). ``api.server`` raises h11's
buffer to ``MAX_REQUEST_HEAD_BYTES`` so such a request reaches this check at all.

The web page has no inline script or style (see api/templates), so its policy allows only
the site's own files: a link planted in crawled content cannot run script, load from
elsewhere or be framed. FastAPI's /docs and /redoc pages are the exception: they start the
Swagger UI / ReDoc bundles (served by this server, see api/app.py) with an inline script, so
they get a policy that allows inline script and still nothing from another host.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_QUERY_STRING_BYTES = 16 * 1024
MAX_REQUEST_HEAD_BYTES = 4 * 1024 * 1024

STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    """ASGI middleware adding the headers above unless a route already set them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = (DOCS_CSP if scope.get("path") in DOCS_PATHS else STRICT_CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in ((b"content-security-policy", csp), *COMMON_HEADERS):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        if len(scope.get("query_string", b"")) > MAX_QUERY_STRING_BYTES:
            await _too_long(send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


async def _too_long(send: Send) -> None:
    body = json.dumps({
        "detail": f"URI too long: the query string may be at most {MAX_QUERY_STRING_BYTES} bytes",
        "errors": [],
    }).encode()
    await send({"type": "http.response.start", "status": 414, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
    ]})
    await send({"type": "http.response.body", "body": body})
