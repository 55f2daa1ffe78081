"""uvicorn's HTTP protocol, with two things the mock needs that uvicorn does not do.

- JSON for unparsable requests: uvicorn answers a request its parser refuses (a method llhttp
  does not know, raw non-ASCII bytes in the request line, a NUL in a header) with a plain-text
  400 before the app sees it. This protocol sends `{"detail": "Malformed request."}` instead
  (Connection: close, as before).
- A deadline for request headers: uvicorn only times out idle keep-alive connections, so a
  client that connects and never finishes its headers (slowloris) holds a connection forever.
  Here the headers of each request must be complete within `header_timeout` seconds of the
  connection (first request) or of the request's first byte (later ones); otherwise the
  connection is closed without an answer, as nginx's `client_header_timeout` does. The body
  is not timed: BodyLimitMiddleware bounds it, and the app only waits for what was announced.
"""

from __future__ import annotations

import json
from asyncio import TimerHandle
from typing import Any

from mockserver.api.errors import BAD_REQUEST
from mockserver.settings import DEFAULT_HEADER_TIMEOUT

try:  # uvicorn[standard]: httptools, what "auto" picks
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - plain uvicorn: h11
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]
    STATUS_LINE = None  # type: ignore[assignment]

_BODY = json.dumps({"detail": BAD_REQUEST}, separators=(",", ":")).encode()


class JsonErrorsProtocol(_Base):
    header_timeout: float = DEFAULT_HEADER_TIMEOUT  # 0: no deadline (set by protocol_class)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: TimerHandle | None = None
        self._in_headers = False
        self._timed = STATUS_LINE is not None and self.header_timeout > 0  # the callbacks are httptools'

    def send_400_response(self, msg: str) -> None:
        if STATUS_LINE is None:  # pragma: no cover - h11
            return super().send_400_response(msg)
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"content-type: application/json\r\n",
                        b"content-length: " + str(len(_BODY)).encode("ascii") + b"\r\n",
                        b"connection: close\r\n", b"\r\n", _BODY])
        self.transport.write(b"".join(content))
        self.transport.close()

    # -- the header deadline ----------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self._timed:
            self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # a request began in this data but its headers are not all there yet: start its clock
        if self._timed and self._in_headers and self._header_deadline is None:
            self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol_class(header_timeout: float = DEFAULT_HEADER_TIMEOUT) -> type[JsonErrorsProtocol]:
    """The protocol for uvicorn's `http=`, with this header deadline (0 turns it off)."""
    return type("MockHttpProtocol", (JsonErrorsProtocol,), {"header_timeout": header_timeout})
