"""Faults on demand (`fault=reset|empty|malformed|slow-body`), below Starlette's Response, as WireMock models them.

- `reset` (WireMock's CONNECTION_RESET_BY_PEER): the connection is reset with SO_LINGER 0, so the
  client reads ECONNRESET and no byte of an answer.
- `empty` (EMPTY_RESPONSE): the connection is closed (FIN) without a byte.
- `malformed`: a well-framed 200 whose JSON body is cut in half (`Content-Length` tells the truth
  about the cut body), so the client's JSON parser fails, not its HTTP stack. WireMock's
  MALFORMED_RESPONSE_CHUNK breaks the HTTP framing instead; a frontend sees that as a network error,
  which `reset` and `empty` already give.
- `slow-body` (WireMock's chunked dribble delay): the status and headers at once, with the real
  `Content-Length`, then the body in pieces spread evenly over the delay.

Why the transport: ASGI has no message for "close without answering". Raising before
`http.response.start` makes uvicorn answer its own plain-text 500; raising after it makes uvicorn
close the connection with FIN after a partial answer, never RST. uvicorn puts its transport
nowhere public, so the mock's HTTP protocol (protocol.py), which owns it, gives each request a
`Connection` in `scope["extensions"]`. Under another server (or Starlette's TestClient) there is
none, and `reset`/`empty` are answered 501 with a JSON body saying so.
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockserver.api.examples import Canned
from mockserver.api.responses import JSON, json_response
from mockserver.protocol import CONNECTION, Connection

PIECE_INTERVAL = 0.1  # seconds between two pieces of a trickled body
NO_CONNECTION = ("fault={fault} needs the mock's own HTTP server (python -m mockserver): "
                 "this server gives the app no way to drop a connection.")


def connection_of(scope: Scope) -> Connection | None:
    found = (scope.get("extensions") or {}).get(CONNECTION)
    return found if isinstance(found, Connection) else None


class Dropped(Response):
    """No answer at all: the connection reset or closed."""

    def __init__(self, fault: str) -> None:
        super().__init__(b"", status_code=200)
        self.fault = fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = connection_of(scope)
        if connection is None:
            await json_response({"detail": NO_CONNECTION.format(fault=self.fault)}, 501)(scope, receive, send)
        elif self.fault == "reset":
            connection.reset()
        else:
            connection.close()


def malformed(answer: Canned) -> Response:
    """The answer with its body cut in half: valid HTTP, broken JSON."""
    body = answer.body[: len(answer.body) // 2]
    return Response(body, status_code=answer.status, headers=dict(answer.headers), media_type=JSON)


class Trickled(Response):
    """`inner`'s status and headers at once, its body in pieces over `seconds`."""

    def __init__(self, inner: Response, seconds: float) -> None:
        super().__init__(b"", status_code=inner.status_code)
        self.inner = inner
        self.seconds = seconds
        self.raw_headers = inner.raw_headers

    def pieces(self) -> list[bytes]:
        body = bytes(self.inner.body)
        count = max(1, min(len(body), round(self.seconds / PIECE_INTERVAL)))
        size = -(-len(body) // count) if body else 0
        return [body[start:start + size] for start in range(0, len(body), size)] if body else [b""]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        pieces = self.pieces()
        interval = self.seconds / len(pieces)
        connection = connection_of(scope)
        for index, piece in enumerate(pieces):
            await asyncio.sleep(interval)
            if connection is not None and connection.closed:
                return  # the client gave up: nothing more to trickle
            await send({"type": "http.response.body", "body": piece, "more_body": index < len(pieces) - 1})
