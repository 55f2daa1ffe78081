"""The request journal (`GET /__mock/requests`) and the one-line console log.

One pure ASGI middleware does both, and is left out of the app when both are off. On the
hot path it only appends a small tuple to a bounded deque (and, with the console log on,
writes one line); names, redaction and JSON happen when someone reads the journal.

The journal is bounded twice: in entries (`--journal-size`) and in bytes (`--journal-bytes`):
a header value longer than MAX_VALUE is kept cut, with a marker saying how long it was, and the
oldest entries leave once the kept bytes pass the budget. Reading it therefore costs at most
that budget, however large the requests were.

Tokens never leave the mock (redaction.py). Instead the journal names the fixture user a
request authenticated as, so a frontend test can still tell an admin's call from a member's.
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
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.control.redaction import Redactor
from mockserver.text import escape_controls

NOT_JOURNALED = ("/__mock", "/docs", "/openapi.")
MAX_VALUE = 1024  # bytes of one header value (or the path, or the query) kept in the journal
DEFAULT_BYTES = 8 * 1024 * 1024

# (wall time, method, path, raw query, raw headers, status, seconds)
Record = tuple[float, str, str, bytes, list[tuple[bytes, bytes]], int, float]


def _cut(value: bytes) -> bytes:
    if len(value) <= MAX_VALUE:
        return value
    return value[:MAX_VALUE] + f"... (cut: {len(value):,} bytes in all)".encode("ascii")


def _cut_text(value: str) -> str:
    if len(value) <= MAX_VALUE:
        return value
    return value[:MAX_VALUE] + f"... (cut: {len(value):,} characters in all)"


def bounded(record: Record) -> tuple[Record, int]:
    """The record with over-long values cut, and the bytes it keeps."""
    started, method, path, query, headers, status, seconds = record
    size = len(path) + len(query)
    for name, value in headers:
        size += len(name) + len(value)
    if size <= MAX_VALUE * 4 and len(path) <= MAX_VALUE and len(query) <= MAX_VALUE:
        return record, size + 100
    headers = [(_cut(name), _cut(value)) for name, value in headers]
    path, query = _cut_text(path), _cut(query)
    size = len(path) + len(query) + sum(len(name) + len(value) for name, value in headers)
    return (started, method, path, query, headers, status, seconds), size + 100


class Journal:
    """The last requests to the API, newest first when read: at most `size` of them and `max_bytes`."""

    def __init__(self, size: int, identify: Callable[[list[tuple[bytes, bytes]], bytes], str | None],
                 redactor: Redactor | None = None, max_bytes: int = DEFAULT_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.records: deque[tuple[Record, int]] = deque()
        self.kept_bytes = 0
        self.identify = identify  # the fixture user's name a request authenticates as, or None
        self.redactor = redactor or Redactor()

    def add(self, record: Record) -> None:
        kept, size = bounded(record)
        records = self.records
        records.append((kept, size))
        self.kept_bytes += size
        while len(records) > self.size or (self.kept_bytes > self.max_bytes and len(records) > 1):
            self.kept_bytes -= records.popleft()[1]

    def clear(self) -> None:
        self.records.clear()
        self.kept_bytes = 0

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        newest_first = [record for record, _ in reversed(self.records)]
        return [self._entry(record) for record in newest_first[:limit]]

    def _entry(self, record: Record) -> dict[str, Any]:
        started, method, path, query, raw_headers, status, seconds = record
        redactor = self.redactor
        headers: dict[str, str] = {}
        for name, value in raw_headers:
            key = name.decode("latin-1").lower()
            shown = redactor.header(key, value.decode("latin-1"))
            headers[key] = f"{headers[key]}, {shown}" if key in headers else shown
        query_text = redactor.query(query.decode("latin-1"))
        user = self.identify(raw_headers, query)
        return {
            "time": datetime.fromtimestamp(started, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "method": method,
            "path": redactor.text(path),
            "query": query_text,
            "params": dict(parse_qsl(query_text, keep_blank_values=True)),
            "headers": headers,
            "user": user,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
        }


class AccessLog:
    """One concise line per request: time, method, status, path and query, duration.

    Everything from the request is redacted and has its control characters escaped: a `%0a`
    in a path cannot forge a second line, nor an escape sequence reach the terminal."""

    COLOURS = {2: "32", 3: "36", 4: "33", 5: "31"}  # green, cyan, yellow, red

    def __init__(self, stream: TextIO | None = None, colour: bool | None = None,
                 redactor: Redactor | None = None) -> None:
        self._stream = stream
        target = stream or sys.stdout
        if colour is None:
            colour = "NO_COLOR" not in os.environ and hasattr(target, "isatty") and target.isatty()
        self.colour = colour
        self.redactor = redactor or Redactor()

    def line(self, record: Record) -> str:
        started, method, path, query, _, status, seconds = record
        clock = time.strftime("%H:%M:%S", time.localtime(started)) + f".{int(started * 1000) % 1000:03d}"
        redactor = self.redactor
        target = redactor.text(_cut_text(path)) + ("?" + redactor.query(_cut(query).decode("latin-1")) if query else "")
        target = escape_controls(target)
        method = escape_controls(method[:20])
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
                self.journal.add(record)
            if self.log is not None:
                self.log.write(record)
