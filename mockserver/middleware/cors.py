"""CORS at the cost of a header scan for the requests that are not cross-origin.

Starlette's CORSMiddleware handles every request: it parses the headers and wraps `send`
to add `Vary: Origin` even when there is no Origin header, which is about a third of the
app's own time on a detail request. Here a request without Origin only gets `Vary: Origin`
appended to its answer (the same header Starlette adds); one with Origin goes through
Starlette's middleware unchanged, preflight included.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_VARY = (b"vary", b"Origin")


class CrossOriginOnly:
    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, _ in scope["headers"]:
            if name == b"origin":
                await self.cors(scope, receive, send)
                return

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), _VARY]
            await send(message)

        await self.app(scope, receive, send_with_vary)
