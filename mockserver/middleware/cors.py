"""CORS at the cost of a header scan for the requests that are not cross-origin; never on /__mock.

Starlette's CORSMiddleware handles every request: it parses the headers and wraps `send`
to add `Vary: Origin` even when there is no Origin header, which is about a third of the
app's own time on a detail request. Here a request without Origin only gets `Vary: Origin`
appended to its answer (the same header Starlette adds); one with Origin goes through
Starlette's middleware, preflight included, except that a refused preflight is answered in
JSON (`{"detail": "Disallowed CORS origin"}`) like every other answer. The mock's control
plane (/__mock/*) gets no CORS headers at all: no web page may read or drive it.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.api.responses import json_response
from mockserver.control.guard import PREFIX

_VARY = (b"vary", b"Origin")


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with its refusals as JSON."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        detail = bytes(response.body).decode("utf-8", "replace")
        headers = {key: value for key, value in response.headers.items()
                   if key.lower() not in ("content-length", "content-type")}
        return json_response({"detail": detail}, response.status_code, headers)


class CrossOriginOnly:
    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.app = app
        self.cors = JsonCORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PREFIX):
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
