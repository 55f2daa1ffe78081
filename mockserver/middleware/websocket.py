"""A WebSocket upgrade is refused in JSON, like every other answer of the mock.

The API has no WebSocket endpoint. uvicorn would refuse an upgrade with a bare 403 and no
body; here the refusal is 403 with `{"detail": ...}` (through the ASGI "websocket.http.response"
extension, which uvicorn's WebSocket protocols offer), or a plain close where it is missing.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.data.jsonvalues import dumps

NO_WEBSOCKETS = "WebSocket connections are not accepted: the Backup API is plain HTTP."


class RefuseWebSockets:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        await receive()  # websocket.connect
        if "websocket.http.response" in (scope.get("extensions") or {}):
            body = dumps({"detail": NO_WEBSOCKETS})
            await send({"type": "websocket.http.response.start", "status": 403,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})
