"""Refuse request bodies larger than the limit before reading them.

The API never needs a body (POST ignores it), so a declared Content-Length above the limit
is answered 413 at once, without reading a byte of it. A chunked body declares no size: it
is read up to the limit (kept, and replayed to the app) and answered 413 beyond it. The limit
is Django's default DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB), the size the real service refuses.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.api.errors import ErrorCatalog
from mockserver.api.responses import error_response

MAX_BODY_BYTES = 2_621_440  # the spec's PayloadTooLarge example names the same number


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, catalog: ErrorCatalog, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.error = catalog.error("payload_too_large")
        self.error.headers["Connection"] = "close"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            chunked = False
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                    await error_response(self.error)(scope, receive, send)
                    return
                if name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:  # no declared size: read at most the limit, refuse beyond it
                messages = await self._read_at_most(receive)
                if messages is None:
                    await error_response(self.error)(scope, receive, send)
                    return
                receive = _replay(messages, receive)
        await self.app(scope, receive, send)

    async def _read_at_most(self, receive: Receive) -> list[Message] | None:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # the client left: let the app see it
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(reversed(messages))

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
