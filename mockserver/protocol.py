"""uvicorn's HTTP protocol, with the answer to an unparsable request in JSON like every other.

uvicorn answers a request its parser refuses (a method llhttp does not know, raw non-ASCII
bytes in the request line, a NUL in a header) with a plain-text 400 before the app sees it.
This subclass sends `{"detail": "Malformed request."}` instead (Connection: close, as before).
"""

from __future__ import annotations

import json

from .errors import BAD_REQUEST

try:  # uvicorn[standard]: httptools, what "auto" picks
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - plain uvicorn: h11
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]
    STATUS_LINE = None

_BODY = json.dumps({"detail": BAD_REQUEST}, separators=(",", ":")).encode()


class JsonErrorsProtocol(_Base):  # type: ignore[misc, valid-type]
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
