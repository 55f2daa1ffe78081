"""The proxy as the operations' handlers: forward, judge, record, fall back; one handler per operation.

`Proxy.handlers()` has the shape of the API's handlers (operationId -> handler), so the app wires
it where the local ones go: routing (HEAD, 405 with `Allow`, 301, 404) and the scenario layer
(`Prefer`, `__` parameters, rules, latency) stay in front of it, and a forced answer or a rule's
answer is the mock's own, never forwarded. OPTIONS is forwarded too (`options()` wraps the local
one, which answers during a fallback).

For each forwarded exchange: the upstream's answer (forward.py), its verdict (validation.py) on
the answer as `Contract-Violations` and in the book, what it showed for the recording (record.py),
and notes for the journal (`proxy`, `violations`) and the console line. No answer from the upstream
is a 502 or 504 with a JSON body saying which and why, and `Proxy-Status` (RFC 9209), unless the
fixtures answer instead (fallback.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mockserver.api.endpoints import Handler
from mockserver.api.responses import json_response
from mockserver.data.records import RecordShape
from mockserver.notes import note
from mockserver.protocol import CONNECTION, Connection
from mockserver.proxy import STATUS_HEADER, VIOLATIONS_HEADER
from mockserver.proxy.fallback import Fallback
from mockserver.proxy.forward import (
    JUDGED_BYTES,
    Relayed,
    TimedOut,
    Unreachable,
    Upstream,
    UpstreamError,
    failure,
    request_headers,
)
from mockserver.proxy.record import Recorder, RecordError
from mockserver.proxy.validation import (
    Found,
    Judge,
    ProxyError,
    Unjudged,
    ViolationBook,
    console,
    load_judge,
    summary,
)
from mockserver.settings import Settings
from mockserver.spec.model import ApiModel, Operation

PROXY_NAME = "backup-mock"
STREAMED = "pending; a streamed answer is judged when it ends: GET /__mock/violations"


class Proxy:
    """Every API request to the upstream, judged, recorded, or answered locally while it is down."""

    def __init__(self, model: ApiModel, upstream: Upstream, judge: Judge, book: ViolationBook,
                 recorder: Recorder | None = None, fallback: Fallback | None = None,
                 local: dict[str, Handler] | None = None) -> None:
        self.model, self.upstream, self.judge, self.book = model, upstream, judge, book
        self.recorder, self.fallback = recorder, fallback
        self.local = local or {}  # the mock's own handlers, for the fallback

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """While the app serves: the recording written as it grows; after: written a last time, and the
        upstream's connections closed."""
        self.upstream.client()  # made now, not on the first request (its TLS context takes a while)
        task = asyncio.create_task(self.recorder.run()) if self.recorder is not None else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.upstream.aclose()
            if self.recorder is not None:
                try:
                    say(self.recorder.write())
                    say(f"replay it: python -m mockserver --fixtures {self.recorder.directory}  (its demo "
                        f"credentials: python -m mockserver credentials --fixtures {self.recorder.directory})")
                except (RecordError, OSError) as exc:
                    say(str(exc))

    def handlers(self) -> dict[str, Handler]:
        return {operation_id: self._handler(operation) for operation_id, operation in self.model.operations.items()}

    def _handler(self, operation: Operation) -> Handler:
        local = self.local.get(operation.operation_id)

        async def forward(request: Request) -> Response:
            return await self.relay(request, operation, local)

        return forward

    def options(self, local: Handler) -> Handler:
        """OPTIONS of one path: forwarded; answered by `local` (DRF's metadata) during a fallback."""

        async def forward_options(request: Request) -> Response:
            return await self.relay(request, None, local)

        return forward_options

    async def relay(self, request: Request, operation: Operation | None, local: Handler | None) -> Response:
        scope = request.scope
        body = await request.body() if _announces_body(scope["headers"]) else None
        try:
            relayed = await self.upstream.send(request.method, self.upstream.target(scope),
                                               request_headers(scope["headers"]), body)
        except UpstreamError as down:
            if self.fallback is not None and local is not None and isinstance(down, Unreachable | TimedOut):
                return await self.fallback.answer(local, request, down)
            return self._failed(scope, down)
        if self.fallback is not None:
            self.fallback.up()
        if relayed.body is None:
            return self._streamed(request, operation, relayed)
        found = self._judged(request, operation, relayed.status, relayed.headers, relayed.body)
        response = Response(relayed.body, relayed.status)  # Content-Length of the body, as the upstream's was
        own = response.raw_headers
        if request.method == "HEAD":  # the upstream's Content-Length (of the GET's body) is among its headers
            own = [(name, value) for name, value in own if name != b"content-length"]
        response.raw_headers = own + relayed.headers
        response.headers[VIOLATIONS_HEADER] = summary(found)
        return response

    def _judged(self, request: Request, operation: Operation | None, status: int, headers: list[tuple[bytes, bytes]],
                body: bytes) -> list[Found] | str:
        """Judge one exchange; tell the book, the recording, the journal and the console. What the kit
        could not judge is said (a string: why), never a 500."""
        scope = request.scope
        query = scope["query_string"].decode("latin-1")
        if self.recorder is not None and operation is not None and request.method != "HEAD":
            self.recorder.see(operation, request.path_params, status, body)
        try:
            found = self.judge.judge(request.method, scope["path"], query, status, headers, body)
        except Unjudged as exc:
            self.book.unjudged += 1
            note(scope, proxy={"outcome": "relayed", "unjudged": str(exc)}, console=f"(not judged: {exc})")
            return str(exc)
        self.book.add(request.method, scope["path"], query, status, found)
        notes: dict[str, Any] = {"proxy": {"outcome": "relayed"}, "violations": [item.as_json() for item in found]}
        if found:
            notes["console"] = console(found)
        note(scope, **notes)
        return found

    def _streamed(self, request: Request, operation: Operation | None, relayed: Relayed) -> Response:
        """Relay a body piece by piece as it comes; judge (and record) it once it has all passed."""
        assert relayed.stream is not None
        stream = relayed.stream
        scope = request.scope

        async def pieces() -> AsyncIterator[bytes]:
            kept = bytearray()
            complete = False
            try:
                async for piece in stream:
                    if len(kept) + len(piece) <= JUDGED_BYTES:
                        kept += piece
                    else:
                        kept = bytearray(b"")  # too large to judge: the body is not kept
                    yield piece
                complete = True
            except httpx.HTTPError as exc:
                down = failure(exc, self.upstream.timeout)
                note(scope, proxy={"outcome": "cut", "reason": down.reason},
                     console=f"(upstream stopped mid-answer: {down.reason})")
                connection = (scope.get("extensions") or {}).get(CONNECTION)
                if not isinstance(connection, Connection):
                    raise
                connection.close()  # a FIN before the end of a chunked body: the client sees it cut
            finally:
                await relayed.close()
            if complete:
                self._judged(request, operation, relayed.status, relayed.headers, bytes(kept))

        response = StreamingResponse(pieces(), relayed.status)
        response.raw_headers = [*response.raw_headers, *relayed.headers]
        response.headers[VIOLATIONS_HEADER] = STREAMED
        return response

    def _failed(self, scope: Any, down: UpstreamError) -> Response:
        outcome = {504: "gateway_timeout", 400: "unforwardable"}.get(down.status, "bad_gateway")
        note(scope, proxy={"outcome": outcome, "reason": down.reason}, console=f"(upstream: {down.reason})")
        body = {"detail": down.detail, "upstream": self.upstream.shown, "reason": down.reason}
        return json_response(body, down.status, {STATUS_HEADER: f"{PROXY_NAME}; error={down.error}"})


def build_proxy(settings: Settings, model: ApiModel, shape: RecordShape, local: dict[str, Handler]) -> Proxy:
    """The proxy the settings ask for; ProxyError or RecordError (one line) when it cannot run."""
    assert settings.proxy_url is not None
    if settings.dynamic:
        raise ProxyError("--dynamic answers every request from generated data: it cannot go with --proxy "
                         "(ask for generated data per request with 'Prefer: dynamic=true')")
    try:
        upstream = Upstream(settings.proxy_url, model, settings.proxy_timeout)
    except ValueError as exc:
        raise ProxyError(f"--proxy: {exc}") from None
    judge = load_judge(settings.spec_path)
    recorder = Recorder(settings.record_dir, model, shape, upstream.shown) if settings.record_dir else None
    fallback = Fallback(upstream.shown, say) if settings.proxy_fallback else None
    return Proxy(model, upstream, judge, ViolationBook(), recorder, fallback, local)


def _announces_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"transfer-encoding" or name == b"content-length" and value.strip() not in (b"", b"0"):
            return True
    return False


def say(text: str) -> None:
    """One line on the console (the proxy's own news: an outage, a recording written)."""
    print(f"backup-mock: {text}", flush=True)

