"""The request journal (`GET /__mock/requests`) and the one-line console log.

One pure ASGI middleware does both, and is left out of the app when both are off. On the
hot path it only appends a small tuple to a bounded deque (and, with the console log on,
writes one line); names, redaction and JSON happen when someone reads the journal.

Tokens never leave the mock: `Authorization` keeps only its keyword (`Token <redacted>`),
the `token` header and other credential headers become `<redacted>`, and so do query
parameters named like credentials. Instead the journal names the fixture user a request
authenticated as, so a frontend test can still tell an admin's call from a member's.
Requests to the mock's own endpoints (`/__mock/`, `/docs`, `/openapi.*`) are not journaled.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({b"authorization", b"proxy-authorization", b"token", b"cookie", b"x-api-key", b"api-key"})
SECRET_PARAMS = frozenset({"token", "access_token", "api_key", "apikey", "key", "password", "auth"})
NOT_JOURNALED = ("/__mock", "/docs", "/openapi.")

# (wall time, method, path, raw query, raw headers, status, seconds)
Record = tuple[float, str, str, bytes, list[tuple[bytes, bytes]], int, float]


def redact_header(name: bytes, value: bytes) -> str:
    text = value.decode("latin-1")
    if name not in SECRET_HEADERS:
        return text
    if name in (b"authorization", b"proxy-authorization"):
        keyword, _, rest = text.strip().partition(" ")
        return f"{keyword} {REDACTED}" if rest else REDACTED
    return REDACTED


def redact_query(raw: bytes) -> str:
    if not raw:
        return ""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    if not any(name.lower() in SECRET_PARAMS for name, _ in pairs):
        return raw.decode("latin-1")
    return urlencode([(name, REDACTED if name.lower() in SECRET_PARAMS else value) for name, value in pairs])


class Journal:
    """The last `size` requests to the API, newest first when read."""

    def __init__(self, size: int, identify: Callable[[list[tuple[bytes, bytes]], bytes], str | None]) -> None:
        self.size = size
        self.records: deque[Record] = deque(maxlen=size)
        self.identify = identify  # the fixture user's name a request authenticates as, or None

    def clear(self) -> None:
        self.records.clear()

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        newest_first = list(reversed(self.records))
        return [self._entry(record) for record in newest_first[:limit]]

    def _entry(self, record: Record) -> dict[str, Any]:
        started, method, path, query, raw_headers, status, seconds = record
        headers: dict[str, str] = {}
        for name, value in raw_headers:
            key = name.decode("latin-1").lower()
            shown = redact_header(name.lower(), value)
            headers[key] = f"{headers[key]}, {shown}" if key in headers else shown
        query_text = redact_query(query)
        user = self.identify(raw_headers, query)
        return {
            "time": datetime.fromtimestamp(started, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "method": method,
            "path": path,
            "query": query_text,
            "params": dict(parse_qsl(query_text, keep_blank_values=True)),
            "headers": headers,
            "user": user,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
        }


class AccessLog:
    """One concise line per request: time, method, status, path and query, duration."""

    COLOURS = {2: "32", 3: "36", 4: "33", 5: "31"}  # green, cyan, yellow, red

    def __init__(self, stream: TextIO | None = None, colour: bool | None = None) -> None:
        self._stream = stream
        target = stream or sys.stdout
        if colour is None:
            colour = "NO_COLOR" not in os.environ and hasattr(target, "isatty") and target.isatty()
        self.colour = colour

    def line(self, record: Record) -> str:
        started, method, path, query, _, status, seconds = record
        clock = time.strftime("%H:%M:%S", time.localtime(started)) + f".{int(started * 1000) % 1000:03d}"
        target = path + ("?" + redact_query(query) if query else "")
        duration = f"{seconds * 1000:.1f}ms"
        if not self.colour:
            return f"{clock} {method:<7} {status} {target} {duration}"
        colour = self.COLOURS.get(status // 100, "35")
        return (
            f"\x1b[2m{clock}\x1b[0m \x1b[1m{method:<7}\x1b[0m \x1b[{colour}m{status}\x1b[0m "
            f"{target} \x1b[2m{duration}\x1b[0m"
        )

    def write(self, record: Record) -> None:
        stream = self._stream or sys.stdout
        try:
            stream.write(self.line(record) + "\n")
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stdout must not break the answer
            pass


class JournalMiddleware:
    """Times each HTTP request, then journals it (API paths) and logs it (when asked)."""

    def __init__(self, app: ASGIApp, journal: Journal | None, log: AccessLog | None) -> None:
        self.app = app
        self.journal = journal
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, clock = time.time(), time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_and_see(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_see)
        finally:
            path = scope["path"]
            record = (started, scope["method"], path, scope["query_string"], scope["headers"], status,
                      time.perf_counter() - clock)
            if self.journal is not None and not path.startswith(NOT_JOURNALED):
                self.journal.records.append(record)
            if self.log is not None:
                self.log.write(record)
