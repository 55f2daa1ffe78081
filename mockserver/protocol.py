"""uvicorn's HTTP protocol, with the limits the mock needs that uvicorn does not have.

- JSON for unparsable requests: uvicorn answers a request its parser refuses (a method llhttp
  does not know, raw non-ASCII bytes in the request line, a NUL in a header) with a plain-text
  400 before the app sees it. This protocol sends `{"detail": "Malformed request."}` instead.
- A bounded request head: uvicorn accepts any number of headers of any size (a 10 MB header
  is kept whole, in the journal too). Here a head larger than `max_head_bytes`, or with more
  than `max_headers` fields, is answered 431 with a JSON body and the connection closed, as
  soon as the limit is passed (at most one read past it is ever buffered).
- A deadline for request heads: a client that connects and never finishes its headers
  (slowloris) would hold a connection forever. The headers of each request must be complete
  within `header_timeout` seconds of the connection (first request) or of the request's first
  byte (later ones); otherwise the connection is closed without an answer, as nginx's
  `client_header_timeout` does.
- A deadline for request bodies: a request that announces a body must deliver all of it within
  `body_timeout` seconds of its head; otherwise it is answered 408 (JSON) if nothing was
  answered yet, and its connection closed, as nginx's `client_body_timeout` does.
Each error answer carries `Connection: close`.

- The connection, for the app: every request's scope carries `Connection` under
  `scope["extensions"][CONNECTION]`, so `Prefer: fault=reset|empty` (frontend/faults.py) can
  drop it. ASGI has no message for "close without an answer": an app that raises or returns
  without answering gets uvicorn's plain-text 500, and one that raises after
  `http.response.start` gets a closed connection after a partial answer (a FIN, not a reset).
  uvicorn keeps its transport to itself, so the protocol, which owns it, hands it out.
"""

from __future__ import annotations

import json
import socket
import struct
from asyncio import TimerHandle
from typing import Any

from mockserver.api.errors import BAD_REQUEST

try:  # uvicorn[standard]: httptools, what "auto" picks
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - plain uvicorn: h11
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]
    STATUS_LINE = None  # type: ignore[assignment]

DEFAULT_HEADER_TIMEOUT = 10.0  # seconds for a request's head
DEFAULT_BODY_TIMEOUT = 30.0  # seconds for a request's body, once its head is in
DEFAULT_MAX_HEAD_BYTES = 32 * 1024  # nginx's large_client_header_buffers (4 x 8k) is of this order
DEFAULT_MAX_HEADERS = 100  # Apache's LimitRequestFields
HEAD_TOO_LARGE = "Request header fields too large: at most {bytes:,} bytes and {fields} fields."
BODY_TOO_SLOW = "Request body not received in time."
_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}
CONNECTION = "mockserver.connection"  # the scope extension holding the request's Connection
_LINGER_ZERO = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST and drops unsent data


class Connection:
    """The TCP connection of the requests on it, as the app may end it: reset or closed, without an
    answer. One per connection, not per request: an object per request that held its cycle, put in
    that cycle's scope, made a reference cycle per request, and the garbage collector's passes over
    them cost more than the rest of this protocol together."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: MockHttpProtocol) -> None:
        self._protocol = protocol

    @property
    def closed(self) -> bool:
        return self._protocol.transport.is_closing()

    def reset(self) -> None:
        """RST, as WireMock's CONNECTION_RESET_BY_PEER: SO_LINGER 0, then close (the client reads ECONNRESET)."""
        transport = self._protocol.transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
            except OSError:  # pragma: no cover - a socket without SO_LINGER still gets closed
                pass
        self._finish()
        transport.abort()

    def close(self) -> None:
        """FIN without a byte (WireMock's EMPTY_RESPONSE; the client reads end of stream)."""
        self._finish()
        self._protocol.transport.close()

    def _finish(self) -> None:
        # uvicorn ignores what the apps send from now on, and sends no 500 of its own when they
        # return: for every request of the connection not yet answered (pipelined ones included)
        for cycle in self._protocol.unanswered:
            cycle.disconnected = True
            cycle.message_event.set()


def _json(detail: str) -> bytes:
    return json.dumps({"detail": detail}, separators=(",", ":")).encode()


class MockHttpProtocol(_Base):
    header_timeout: float = DEFAULT_HEADER_TIMEOUT  # 0: no deadline (set by protocol_class)
    body_timeout: float = DEFAULT_BODY_TIMEOUT  # 0: no deadline
    max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES
    max_headers: int = DEFAULT_MAX_HEADERS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: TimerHandle | None = None
        self._body_deadline: TimerHandle | None = None
        self._in_headers = False
        self._reading_head = True  # between two requests' bodies: what arrives is a head
        self._head_bytes = 0
        self._refusing = False  # a head over the limits: the parser's later callbacks are ignored
        self._httptools = STATUS_LINE is not None  # the callbacks below are httptools'
        self._timed = self._httptools and self.header_timeout > 0
        self._connection = Connection(self)
        self.unanswered: list[Any] = []  # cycles of this connection not known to be answered (oldest first)

    # -- JSON errors ----------------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        if not self._httptools:  # pragma: no cover - h11
            return super().send_400_response(msg)
        if self._refusing:
            self._refuse(431, self._too_large())
        else:
            self._refuse(400, BAD_REQUEST)

    def _too_large(self) -> str:
        return HEAD_TOO_LARGE.format(bytes=self.max_head_bytes, fields=self.max_headers)

    def _refuse(self, status: int, detail: str, current: bool = False) -> None:
        """Answer `status` with a JSON body and close; no answer when one is under way, or when
        `current` (the refusal is about the request in the cycle) and it was already answered."""
        if self.transport.is_closing():
            return
        cycle = getattr(self, "cycle", None)
        if cycle is None or (not cycle.response_started if current else
                             cycle.response_complete or not cycle.response_started):
            body = _json(detail)
            content = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
            for name, value in self.server_state.default_headers:
                content.extend([name, b": ", value, b"\r\n"])
            content.extend([b"content-type: application/json\r\n",
                            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                            b"connection: close\r\n", b"\r\n", body])
            self.transport.write(b"".join(content))
            if cycle is not None and not cycle.response_complete:
                cycle.response_complete = True  # the app's answer, if any, goes nowhere
        self.transport.close()

    # -- the head: its size, its field count and its deadline -------------------------------------

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self._timed:
            self._arm_header()

    def data_received(self, data: bytes) -> None:
        if not self._httptools:  # pragma: no cover - h11
            return super().data_received(data)
        counting = self._reading_head
        if counting:
            self._head_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if (counting and self._reading_head and self._head_bytes > self.max_head_bytes) or self._refusing:
            self._refuse(431, self._too_large())
            return
        # a request began in this data but its headers are not all there yet: start its clock
        if self._timed and self._in_headers and self._header_deadline is None:
            self._arm_header()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True

    # The fields are counted once the head is complete (uvicorn's `headers` list), not one by one:
    # a callback per header would cost every request, and the head's byte limit already bounds
    # what a client can make the parser hold before then.

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._reading_head = False
        self._head_bytes = 0
        self._disarm_header()
        if len(self.headers) > self.max_headers:
            self._refusing = True
        if self._refusing:
            return  # refused by data_received once the parser hands back
        previous = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not previous and cycle.scope is self.scope:  # not an upgrade: a request for the app
            if previous is None or previous.response_complete:  # the ones before were all answered
                self.unanswered.clear()
            self.unanswered.append(cycle)
            scope: dict[str, Any] = self.scope  # type: ignore[assignment]  # ASGI types extensions' values as dicts
            extensions = scope.get("extensions")
            if extensions is None:
                scope["extensions"] = {CONNECTION: self._connection}
            else:  # pragma: no cover - a uvicorn that gives http scopes extensions of its own
                extensions[CONNECTION] = self._connection
        if self.body_timeout > 0 and self._announces_body():
            self._body_deadline = self.loop.call_later(self.body_timeout, self._body_too_slow)

    def on_body(self, body: bytes) -> None:
        if not self._refusing:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm_body()
        self._reading_head = True
        if not self._refusing:
            super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header()
        self._disarm_body()
        super().connection_lost(exc)

    def _announces_body(self) -> bool:
        for name, value in self.headers:
            if name == b"content-length" and value.strip() not in (b"0", b""):
                return True
            if name == b"transfer-encoding":
                return True
        return False

    def _arm_header(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _disarm_body(self) -> None:
        if self._body_deadline is not None:
            self._body_deadline.cancel()
            self._body_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _body_too_slow(self) -> None:
        self._body_deadline = None
        self._refuse(408, BODY_TOO_SLOW, current=True)
        cycle = getattr(self, "cycle", None)
        if cycle is not None:  # the app, if it waits for the body, sees the client gone
            cycle.disconnected = True
            cycle.message_event.set()


def protocol_class(header_timeout: float = DEFAULT_HEADER_TIMEOUT, body_timeout: float = DEFAULT_BODY_TIMEOUT,
                   max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES,
                   max_headers: int = DEFAULT_MAX_HEADERS) -> type[MockHttpProtocol]:
    """The protocol for uvicorn's `http=`, with these limits (a timeout of 0 turns it off)."""
    return type("MockHttpProtocol", (MockHttpProtocol,), {
        "header_timeout": header_timeout, "body_timeout": body_timeout,
        "max_head_bytes": max_head_bytes, "max_headers": max_headers})
