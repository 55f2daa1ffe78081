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

Three costs of uvicorn's protocol are cut, for every request (bench/README.md, issue 14):

- One write per answer: uvicorn writes a response's head and its body with two
  `transport.write` calls, and uvloop sends each at once: two system calls, two TCP segments
  and two wake-ups of the client for an answer of 2 KB. Here the cycles write through `Writes`,
  which holds a head back until the body's first bytes and sends both in one call. A head whose
  body does not follow at once (a trickled body, a file read in a thread, a HEAD) leaves at the
  end of the event loop's iteration, before any later write or close of the connection.
- One keep-alive timer per connection: uvicorn arms a timer when each response ends and cancels
  it when the next request's first bytes arrive, a timer made and cancelled per request. Here a
  connection notes when it went idle, and its one timer, when it fires, closes it only if it has
  been idle for the whole `timeout_keep_alive` (else it waits for the rest): the same deadline,
  counted from the end of the last response as uvicorn counts it.
- Whole answers: the mock's own JSON answers (status, headers and body known at once) are
  written by `Connection.respond`, the same bytes uvicorn's `send` writes for the two ASGI
  messages, without the messages, their awaits and two regular expressions per header field.
  Only for the connection's own `send`: a middleware that wraps `send` (to watch the answers)
  gets the ASGI messages as before.
"""

from __future__ import annotations

import json
import socket
import struct
import weakref
from asyncio import AbstractEventLoop, TimerHandle
from typing import Any

from mockserver.api.errors import BAD_REQUEST

try:  # uvicorn[standard]: httptools, what "auto" picks
    from uvicorn.protocols.http.httptools_impl import HEADER_RE, HEADER_VALUE_RE, STATUS_LINE, RequestResponseCycle
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - plain uvicorn: h11
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]
    STATUS_LINE = HEADER_RE = HEADER_VALUE_RE = RequestResponseCycle = None  # type: ignore[assignment,misc]
_SEND = RequestResponseCycle.send if RequestResponseCycle is not None else None  # what respond() stands in for

DEFAULT_HEADER_TIMEOUT = 10.0  # seconds for a request's head
DEFAULT_BODY_TIMEOUT = 30.0  # seconds for a request's body, once its head is in
DEFAULT_MAX_HEAD_BYTES = 32 * 1024  # nginx's large_client_header_buffers (4 x 8k) is of this order
DEFAULT_MAX_HEADERS = 100  # Apache's LimitRequestFields
HEAD_TOO_LARGE = "Request header fields too large: at most {bytes:,} bytes and {fields} fields."
BODY_TOO_SLOW = "Request body not received in time."
_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}
CONNECTION = "mockserver.connection"  # the scope extension holding the request's Connection
_TIMER_SLACK = 0.001  # seconds: a keep-alive timer this close to its deadline closes (timers count in ms)
_LINGER_ZERO = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST and drops unsent data
_CHECKED_KEPT = 1024  # header fields known to be valid (see Connection.respond)
_LEFT_TO_SEND = (b"transfer-encoding", b"connection")  # fields `send` acts on: `respond` leaves them to it


class Connection:
    """The TCP connection of the requests on it, as the app may end it (reset or closed, without an
    answer) or answer on it in one write (`respond`). One per connection, not per request: an object
    per request that held its cycle, put in that cycle's scope, made a reference cycle per request,
    and the garbage collector's passes over them cost more than the rest of this protocol together."""

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

    def respond(self, send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
        """Answer the request whose ASGI `send` this is whole, in one write, as that `send` would for an
        `http.response.start` with these headers and a `Content-Length` of the body, then the body:
        the same bytes, without two ASGI messages, two awaits and a check of every field by two
        regular expressions per request (a field already checked is remembered). False when this
        is not the plain case, and nothing was sent: the caller sends the ASGI messages instead.
        Not the plain case: `send` is not this connection's own (a middleware wraps it, and must see
        the messages), an answer began, the client left, writing is paused, uvicorn logs access
        itself, or a field other than `Content-Length` that `send` reads (`Transfer-Encoding`,
        `Connection`) or that it would refuse, and no `Content-Length` of the body (once)."""
        writes = self._protocol._writes
        cycle: Any = getattr(send, "__self__", None)
        if (writes is None or _SEND is None or getattr(send, "__func__", None) is not _SEND
                or cycle.transport is not writes or cycle.response_started or cycle.response_complete
                or cycle.disconnected or cycle.flow.write_paused or cycle.access_log):
            return False
        content = [STATUS_LINE[status]]
        for name, value in cycle.default_headers:
            content += (name, b": ", value, b"\r\n")
        length = b"%d" % len(body)
        sized = False  # a Content-Length of the body was given (without one, `send` would chunk it)
        checked = _CHECKED
        for field in headers:
            name, value = field
            if name == b"content-length":
                if value != length or sized:
                    return False
                sized = True
            elif field not in checked:
                if (name in _LEFT_TO_SEND or name != name.lower()
                        or HEADER_RE.search(name) or HEADER_VALUE_RE.search(value)):
                    return False
                if len(checked) >= _CHECKED_KEPT:
                    checked.clear()
                checked.add(field)
            content += (name, b": ", value, b"\r\n")
        if not sized:
            return False
        keep_alive = cycle.keep_alive
        if not keep_alive:
            content.append(b"connection: close\r\n")
        content.append(b"\r\n")
        if cycle.scope["method"] != "HEAD":
            content.append(body)
        cycle.response_started = cycle.response_complete = True
        cycle.waiting_for_100_continue = False
        writes.whole(b"".join(content))
        cycle.message_event.set()
        if not keep_alive:
            writes.close()
        cycle.on_response()
        return True

    def _finish(self) -> None:
        # uvicorn ignores what the apps send from now on, and sends no 500 of its own when they
        # return: for every request of the connection not yet answered (pipelined ones included)
        for cycle in self._protocol.unanswered:
            cycle.disconnected = True
            cycle.message_event.set()


class _Flusher:
    """The heads held back in one event loop: sent at the end of its iteration (one callback for
    all the connections that held one in it, not one per request)."""

    __slots__ = ("loop", "held", "scheduled", "__weakref__")

    def __init__(self, loop: AbstractEventLoop) -> None:
        self.loop = loop
        self.held: list[Writes] = []
        self.scheduled = False

    def hold(self, writes: Writes) -> None:
        self.held.append(writes)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        held, self.held = self.held, []
        for writes in held:
            writes.flush()


_CHECKED: set[tuple[bytes, bytes]] = set()  # header fields respond() found valid (bounded)

_FLUSHERS: weakref.WeakKeyDictionary[AbstractEventLoop, _Flusher] = weakref.WeakKeyDictionary()


def _flusher(loop: AbstractEventLoop) -> _Flusher:
    found = _FLUSHERS.get(loop)
    if found is None:
        found = _FLUSHERS[loop] = _Flusher(loop)
    return found


class Writes:
    """The transport as a connection's request cycles see it: writes pass through, but the first
    of a response (its head) is held until the next (its body), and both leave in one call."""

    __slots__ = ("transport", "flusher", "held", "head_next")

    def __init__(self, transport: Any, flusher: _Flusher) -> None:
        self.transport = transport
        self.flusher = flusher
        self.held: bytes | None = None
        self.head_next = False  # set when a cycle starts: its first write is its head

    def write(self, data: bytes) -> None:
        held = self.held
        if held is not None:
            self.held = None
            self.transport.writelines((held, data))
        elif self.head_next:
            self.head_next = False
            self.held = data
            self.flusher.hold(self)
        else:
            self.transport.write(data)

    def whole(self, data: bytes) -> None:
        """A whole answer, head and body: not held (after a head still held, if any, in the same call)."""
        self.head_next = False
        self.write(data)

    def flush(self) -> None:
        held = self.held
        if held is not None:
            self.held = None
            if not self.transport.is_closing():
                self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self.held = None
        self.transport.abort()

    def is_closing(self) -> bool:
        return bool(self.transport.is_closing())

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.transport.get_extra_info(name, default)


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
        self._reading_head = True  # between two requests' bodies: what arrives is a head
        self._headed: object = None  # the scope (uvicorn's, made as a request begins) whose head is complete
        self._head_bytes = 0
        self._refusing = False  # a head over the limits: the parser's later callbacks are ignored
        self._httptools = STATUS_LINE is not None  # the callbacks below are httptools'
        self._timed = self._httptools and self.header_timeout > 0
        self._connection = Connection(self)
        self._writes: Writes | None = None  # the cycles' transport, once connected
        self._idle_since: float | None = None  # loop time the last response ended, None while a request is under way
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
        if self._writes is not None:
            self._writes.flush()  # what went before leaves first
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
        self.transport.close()  # after the flush above

    # -- the head: its size, its field count and its deadline -------------------------------------

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._writes = Writes(transport, _flusher(self.loop))
        if self._timed:
            self._arm_header()

    # -- one write per answer, one keep-alive timer per connection (see the module's docstring) -----

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        writes = self._writes
        if writes is not None:
            cycle.transport = writes
            writes.head_next = True
        super()._start_asgi_task(cycle, app)

    def on_response_complete(self) -> None:
        # uvicorn's, but for the keep-alive timer: made once, see _keep_alive_expired
        if not self._httptools:  # pragma: no cover - h11 has its own
            return super().on_response_complete()
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self._keep_alive_expired)

    def _unset_keepalive_if_required(self) -> None:
        # uvicorn calls this as a request's bytes arrive: the connection is busy, its timer stays
        if not self._httptools:  # pragma: no cover - h11's timer is made per request
            return super()._unset_keepalive_if_required()
        self._idle_since = None

    def _keep_alive_expired(self) -> None:
        """Close the connection if it has been idle for `timeout_keep_alive`; if it went idle again
        since, wait for the rest; if a request is under way, its response's end arms the timer."""
        self.timeout_keep_alive_task = None
        idle_since = self._idle_since
        if idle_since is None or self.transport.is_closing():
            return
        left = idle_since + self.timeout_keep_alive - self.loop.time()
        if left > _TIMER_SLACK:
            self.timeout_keep_alive_task = self.loop.call_later(left, self._keep_alive_expired)
        else:
            self.timeout_keep_alive_handler()

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
        if self._reading_head:
            # a request began in this data (uvicorn made its scope) but its head is not all there: its clock
            if self._timed and self._header_deadline is None and self.scope is not self._headed:
                self._arm_header()
        elif self.body_timeout > 0 and self._body_deadline is None:
            cycle = self.cycle
            if cycle is not None and cycle.scope is self.scope:  # a request's body is still to come: its clock
                self._body_deadline = self.loop.call_later(self.body_timeout, self._body_too_slow)

    # No callback of the parser is added for these clocks (uvicorn's per header, or per message begin):
    # each would cost every request. The fields are counted once the head is complete (uvicorn's
    # `headers` list), and the head's byte limit bounds what a client can make the parser hold
    # before then; whether a head or a body is under way is read once the parser hands back.

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._head_bytes = 0
        self._headed = self.scope
        if self._header_deadline is not None:
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

    def on_body(self, body: bytes) -> None:
        if not self._refusing:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._body_deadline is not None:
            self._disarm_body()
        self._reading_head = True
        if not self._refusing:
            super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header()
        self._disarm_body()
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        if self._writes is not None:
            self._writes.held = None  # nowhere to send it now
        super().connection_lost(exc)

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
            self._close()

    def shutdown(self) -> None:
        if self._writes is not None:
            self._writes.flush()  # uvicorn may close the transport itself: what was answered leaves first
        super().shutdown()

    def _close(self) -> None:
        """Close after what the cycles wrote (a head held back included)."""
        if self._writes is not None:
            self._writes.close()
        else:
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
