"""Refuse request bodies larger than the limit before reading them.

The API never needs a body (POST ignores it), so a declared Content-Length above the limit
is answered 413 at once, without reading a byte of it. The limit is Django's default
DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB), the size the real service refuses as too big.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ErrorCatalog
from .responses import error_response

MAX_BODY_BYTES = 2_621_440  # the spec's PayloadTooLarge example names the same number


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, catalog: ErrorCatalog, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.error = catalog.error("payload_too_large")
        self.error.headers["Connection"] = "close"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                    await error_response(self.error)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
