"""A WebSocket upgrade is refused in JSON, like every other answer of the mock.

The API has no WebSocket endpoint. uvicorn would refuse an upgrade with a bare 403 and no
body; here the refusal is 403 with `{"detail": ...}` (through the ASGI "websocket.http.response"
extension, which uvicorn's WebSocket protocols offer), or a plain close where it is missing.
"""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from mockserver.data.jsonvalues import dumps

NO_WEBSOCKETS = "WebSocket connections are not accepted: the Backup API is plain HTTP."


async def refuse_websocket(scope: Scope, receive: Receive, send: Send) -> None:
    """Refuse a WebSocket connection: 403 with a JSON body where the server can send one."""
    await receive()  # websocket.connect
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = dumps({"detail": NO_WEBSOCKETS})
        await send({"type": "websocket.http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})
