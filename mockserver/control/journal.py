"""The request journal (`GET /__mock/requests`) and the one-line console log.

The gateway (gateway.py) records each request here. On the hot path that is one small tuple
appended to a list (and, with the console log on, to the next batch of lines); sizes are summed
a batch at a time, and names, redaction and JSON happen when someone reads the journal.

The journal is bounded twice: in entries (`--journal-size`) and in bytes (`--journal-bytes`):
a header value longer than MAX_VALUE is kept cut, with a marker saying how long it was, and the
oldest entries leave once the kept bytes pass the budget. Reading it therefore costs at most
that budget, however large the requests were.

Request bodies (but those of GET and HEAD) are read before the app, which ignores them (the POST
needs none), when they are announced and not over the body limit (middleware/limits.py refuses
those unread); they are replayed to the app, kept cut at MAX_BODY bytes, and shown redacted,
parsed when they are JSON. The answer therefore follows the whole body, as behind a proxy that
buffers requests (nginx does by default).

Tokens never leave the mock (redaction.py). Instead the journal names the fixture user a
request authenticated as, so a frontend test can still tell an admin's call from a member's,
and the operation it reached, the scenario rule that answered and the fault it sent; with
`--proxy`, what the upstream did (`proxy`) and the contract violations found (`violations`).
Requests to the mock's own endpoints (`/__mock/`, `/docs`, `/openapi.*`) are not journaled.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl

from starlette.types import Message, Receive

from mockserver.control.redaction import Redactor
from mockserver.middleware.limits import MAX_BODY_BYTES, replay
from mockserver.text import escape_controls

NOT_JOURNALED = ("/__mock", "/docs", "/openapi.")
MAX_VALUE = 1024  # bytes of one header value (or the path, or the query) kept in the journal
MAX_BODY = 16 * 1024  # bytes of a request body kept in the journal
DEFAULT_BYTES = 8 * 1024 * 1024
DROPPED = ("reset", "empty")  # faults after which the client got no status at all
NOTED_ENTRIES = ("proxy", "violations")  # notes shown as they are in a journal entry
TARGETS_KEPT = 1024  # console lines' paths and queries kept redacted...
TARGET_KEPT_SIZE = 512  # ...when they are this short (a few MiB at most, escapes included)
_MILLIS = tuple(f".{number:03d}" for number in range(1000))  # a line's clock: the milliseconds after the second
_TENTHS = tuple(f"{tenths // 10}.{tenths % 10}ms" for tenths in range(10_000))  # durations under a second
UNREAD = ("GET", "HEAD")  # bodies not waited for: the API ignores them, and a slow one would hold the answer

# (wall time, method, path, raw query, raw headers, status, seconds, body (cut), body size, notes)
Record = tuple[float, str, str, bytes, list[tuple[bytes, bytes]], int, float, bytes, int, dict[str, Any] | None]
_GONE: Record = (0.0, "", "", b"", [], 0, 0.0, b"", 0, None)  # in a chunk, where a record let go was


def _cut(value: bytes, limit: int = MAX_VALUE, size: int | None = None) -> bytes:
    size = len(value) if size is None else size
    if size <= limit:
        return value
    return value[:limit] + f"... (cut: {size:,} bytes in all)".encode("ascii")


def _cut_text(value: str) -> str:
    if len(value) <= MAX_VALUE:
        return value
    return value[:MAX_VALUE] + f"... (cut: {len(value):,} characters in all)"


def _cut_record(record: Record) -> Record:
    """The record with its over-long values cut."""
    started, method, path, query, headers, status, seconds, body, body_size, notes = record
    headers = [(_cut(name), _cut(value)) for name, value in headers]
    return started, method, _cut_text(path), _cut(query), headers, status, seconds, body, body_size, notes


def record_size(record: Record) -> int:
    """The bytes a kept record counts for: its path, query, header names and values and body, and
    100 for the rest."""
    size = len(record[2]) + len(record[3]) + len(record[7]) + 100
    for name, value in record[4]:
        size += len(name) + len(value)
    return size


def _over_long(record: Record) -> bool:
    """Whether a value of the record is over MAX_VALUE (and is to be kept cut)."""
    if len(record[2]) > MAX_VALUE or len(record[3]) > MAX_VALUE:
        return True
    return any(len(name) > MAX_VALUE or len(value) > MAX_VALUE for name, value in record[4])


class _Chunk:
    """Records taken in together, oldest first; those before `first` are no longer kept."""

    __slots__ = ("records", "sizes", "bytes", "first")

    def __init__(self, records: list[Record], size: int, sizes: list[int] | None = None) -> None:
        self.records = records
        self.sizes = sizes  # each record's bytes: summed once the chunk is cut into, not before
        self.bytes = size  # of the records still kept
        self.first = 0

    def __len__(self) -> int:
        """The records still kept."""
        return len(self.records) - self.first

    def drop_first(self) -> int:
        """Stop keeping the oldest record; the bytes it counted for."""
        if self.sizes is None:
            self.sizes = [record_size(record) for record in self.records]
        size = self.sizes[self.first]
        self.records[self.first] = _GONE  # its objects are freed now, not with the chunk
        self.first += 1
        self.bytes -= size
        return size


class Journal:
    """The last requests to the API, newest first when read: at most `size` of them and `max_bytes`.

    A request only appends its record to a list: every FOLD records (and before any read), the
    list is taken in as one chunk, its bytes summed in one loop, values over MAX_VALUE cut (rare:
    only a record over MAX_VALUE in all is looked at value by value), and the oldest chunks let go
    whole once the newer ones hold `size` records. Kept a record at a time, with its size and its
    bound checked on every request, the journal cost a page served from the cache 9,000 of its
    190,000 instructions (cachegrind) and 7 to 20 % of its throughput under load; taken in this
    way, 5,400. Up to FOLD records wait uncut (each within the protocol's head limit), and up to
    FOLD - 1 more than `size` may stay in memory, unseen, until their chunk goes."""

    FOLD = 64  # records taken in at once: the per-record cost falls little past this, and what waits stays small

    def __init__(self, size: int, identify: Callable[[list[tuple[bytes, bytes]], bytes], str | None],
                 redactor: Redactor | None = None, max_bytes: int = DEFAULT_BYTES,
                 operation_of: Callable[[str, str], str | None] | None = None) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._pending: list[Record] = []
        self._chunks: deque[_Chunk] = deque()  # oldest first
        self._kept = 0  # records in the chunks, the unseen ones included
        self.kept_bytes = 0  # their bytes
        self.identify = identify  # the fixture user's name a request authenticates as, or None
        self.redactor = redactor or Redactor()
        self.operation_of = operation_of or (lambda method, path: None)  # the operationId of a method and path

    def add(self, record: Record) -> None:
        """Keep a request's record (taken in with the next FOLD)."""
        pending = self._pending
        pending.append(record)
        if len(pending) >= self.FOLD:
            self._fold()

    def _fold(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        total, cut = 100 * len(batch), False
        for record in batch:  # record_size's sum, inline: this runs once a request
            size = len(record[2]) + len(record[3])
            for name, value in record[4]:
                size += len(name) + len(value)
            if size > MAX_VALUE and not cut:  # a value may be over MAX_VALUE only in a record over it
                cut = _over_long(record)
            total += size + len(record[7])
        if cut:
            batch = [_cut_record(record) if _over_long(record) else record for record in batch]
            sizes = [record_size(record) for record in batch]
            chunk = _Chunk(batch, sum(sizes), sizes)
        else:
            chunk = _Chunk(batch, total)
        chunks = self._chunks
        chunks.append(chunk)
        self._kept += len(batch)
        self.kept_bytes += chunk.bytes
        while len(chunks) > 1 and self._kept - len(chunks[0]) >= self.size:
            # the count: whole chunks, once the newer ones hold `size` records
            oldest = chunks.popleft()
            self._kept -= len(oldest)
            self.kept_bytes -= oldest.bytes
        while self.kept_bytes > self.max_bytes and self._kept > 1:  # bytes: record by record
            oldest = chunks[0]
            self.kept_bytes -= oldest.drop_first()
            self._kept -= 1
            if not oldest:
                chunks.popleft()

    def kept(self) -> list[Record]:
        """The records a read shows, oldest first."""
        self._fold()
        records = [record for chunk in self._chunks for record in chunk.records[chunk.first:]]
        return records[-self.size:] if self.size else []

    def clear(self) -> None:
        self._pending.clear()
        self._chunks.clear()
        self._kept = 0
        self.kept_bytes = 0

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        return self.select(None, limit)[1]

    def select(self, keep: Callable[[Record], bool] | None,
               limit: int | None = None) -> tuple[int, list[dict[str, Any]]]:
        """How many kept records `keep` accepts, and the newest `limit` of them as entries."""
        chosen = [record for record in reversed(self.kept()) if keep is None or keep(record)]
        return len(chosen), [self._entry(record) for record in chosen[:limit]]

    def user_of(self, record: Record) -> str | None:
        return self.identify(record[4], record[3])

    def operation(self, record: Record) -> str | None:
        return self.operation_of(record[1], record[2])

    def _entry(self, record: Record) -> dict[str, Any]:
        started, method, path, query, raw_headers, status, seconds, body, body_size, notes = record
        redactor = self.redactor
        headers: dict[str, str] = {}
        for name, value in raw_headers:
            key = name.decode("latin-1").lower()
            shown = redactor.header(key, value.decode("latin-1"))
            headers[key] = f"{headers[key]}, {shown}" if key in headers else shown
        query_text = redactor.query(query.decode("latin-1"))
        notes = notes or {}
        entry: dict[str, Any] = {
            "time": format_time(started),
            "method": method,
            "path": redactor.text(path),
            "query": query_text,
            "params": dict(parse_qsl(query_text, keep_blank_values=True)),
            "headers": headers,
            "body": redactor.body(body, headers.get("content-type", "")) if body_size else None,
            "body_size": body_size,
            "user": self.user_of(record),
            "operation": self.operation(record),
            "status": None if notes.get("fault") in DROPPED else status,
            "rule": notes.get("rule"),
            "fault": notes.get("fault"),
            "duration_ms": round(seconds * 1000, 3),
        }
        for key in NOTED_ENTRIES:  # what the proxy noted (proxy/relay.py): only on requests it handled
            if key in notes:
                entry[key] = notes[key]
        return entry


def format_time(started: float) -> str:
    """A wall time as the journal shows it: ISO 8601 in UTC, to the millisecond, with a Z."""
    return datetime.fromtimestamp(started, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


class AccessLog:
    """One concise line per request: time, method, status, path and query, duration.

    Everything from the request is redacted and has its control characters escaped: a `%0a`
    in a path cannot forge a second line, nor an escape sequence reach the terminal.

    Lines are written in batches: a request only keeps its record, and the lines of every request
    of the last FLUSH_SECONDS are formatted and written with one call (or sooner, MAX_PENDING at a
    time). A write and a flush per request cost the default command line a tenth of its speed;
    a developer still sees each line within a twentieth of a second."""

    COLOURS = {2: "32", 3: "36", 4: "33", 5: "31"}  # green, cyan, yellow, red
    FLUSH_SECONDS = 0.05
    MAX_PENDING = 128  # a batch formats in a fraction of a millisecond: no long pause of the event loop

    def __init__(self, stream: TextIO | None = None, colour: bool | None = None,
                 redactor: Redactor | None = None) -> None:
        self._stream = stream
        target = stream or sys.stdout
        if colour is None:
            colour = "NO_COLOR" not in os.environ and hasattr(target, "isatty") and target.isatty()
        self.colour = colour
        self.redactor = redactor or Redactor()
        self._pending: list[Record] = []
        self._scheduled: asyncio.TimerHandle | None = None
        self._second = (-1, "")  # the last whole second and its HH:MM:SS
        self._targets: dict[tuple[str, bytes], str] = {}  # (path, query): as the line shows them
        self._generation = self.redactor.generation  # of the tokens the shown targets hide
        self._methods: dict[str, str] = {}  # methods as lines show them

    def line(self, record: Record) -> str:
        """One request's line; its clock, target and method are made once per second, URL and
        method, its milliseconds and duration looked up (a batch formats hundreds of lines: each
        call, format and escape saved counts)."""
        started, method, path, query, _, status, seconds, _, _, notes = record
        second = int(started)
        if self._second[0] != second:
            self._second = (second, time.strftime("%H:%M:%S", time.localtime(started)))
        clock = self._second[1] + _MILLIS[int(started * 1000) % 1000]
        target = self._targets.get((path, query)) if self._generation == self.redactor.generation else None
        if target is None:
            target = self._target(path, query)
        shown_method = self._methods.get(method)
        if shown_method is None:
            shown_method = f"{escape_controls(method[:20]):<7}"
            if len(self._methods) < 64:  # the usual few methods: a client inventing new ones is not kept
                self._methods[method] = shown_method
        tenths = int(seconds * 10_000 + 0.5)
        duration = _TENTHS[tenths] if 0 <= tenths < len(_TENTHS) else f"{seconds * 1000:.1f}ms"
        shown = str(status)
        if notes:  # what a scenario did: the connection it dropped, the rule that answered
            shown = str(notes["fault"]) if notes.get("fault") in DROPPED else shown
            duration += f" (rule {notes['rule']})" if "rule" in notes else ""
            duration += " " + escape_controls(str(notes["console"])) if "console" in notes else ""
        if not self.colour:
            return f"{clock} {shown_method} {shown} {target} {duration}"
        colour = self.COLOURS.get(status // 100, "35") if shown == str(status) else "35"
        return (
            f"\x1b[2m{clock}\x1b[0m \x1b[1m{shown_method}\x1b[0m \x1b[{colour}m{shown}\x1b[0m "
            f"{target} \x1b[2m{duration}\x1b[0m"
        )

    def _target(self, path: str, query: bytes) -> str:
        """Path and query redacted and escaped, for a line whose URL is not kept (`line` looks first);
        kept for the URLs that repeat (most do), until the users' tokens change."""
        redactor = self.redactor
        if self._generation != redactor.generation:
            self._targets.clear()
            self._generation = redactor.generation
        target = redactor.text(_cut_text(path)) + ("?" + redactor.query(_cut(query).decode("latin-1"))
                                                   if query else "")
        target = escape_controls(target)
        if len(path) + len(query) <= TARGET_KEPT_SIZE:
            if len(self._targets) >= TARGETS_KEPT:
                self._targets.clear()
            self._targets[(path, query)] = target
        return target

    def write(self, record: Record) -> None:
        """Keep the record; its line goes out with the next batch."""
        pending = self._pending
        pending.append(record)
        if len(pending) >= self.MAX_PENDING:
            self.flush()
        elif self._scheduled is None:
            try:
                self._scheduled = asyncio.get_running_loop().call_later(self.FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no event loop (a direct call): write at once
                self.flush()

    def flush(self) -> None:
        """Write every pending line, in one call."""
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        records, self._pending = self._pending, []
        if not records:
            return
        stream = self._stream or sys.stdout
        try:
            stream.write("".join(self.line(record) + "\n" for record in records))
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stdout must not break the answer
            pass


async def read_body(receive: Receive, name: bytes, value: bytes) -> tuple[Receive, bytes, int]:
    """A request's announced body, read up to the body limit and replayed to the app: the receive
    to hand on, the body cut to MAX_BODY and its size. A declared size over the limit is not read
    (the body limit refuses it unread); nor is a body of size 0."""
    if name == b"content-length" and (not value.strip().isdigit() or not 0 < int(value) <= MAX_BODY_BYTES):
        return receive, b"", 0
    messages: list[Message] = []
    kept, size = bytearray(), 0
    while size <= MAX_BODY_BYTES:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # the client left: the app sees it too
        chunk = message.get("body", b"")
        size += len(chunk)
        if len(kept) < MAX_BODY:
            kept += chunk[: MAX_BODY - len(kept)]
        if not message.get("more_body", False):
            break
    return replay(messages, receive), _cut(bytes(kept), MAX_BODY, size), size
