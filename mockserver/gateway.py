"""The mock's front door: one ASGI layer that does what a stack of six middlewares did.

Every request passes here first, and most are API requests that need little of it, so the
work of the layers is done in one pass over the headers and one function call each, in the
order the layers had: the request journal and console line around everything; a WebSocket
upgrade refused in JSON; `--allowed-hosts`; the control plane's guard for `/__mock/*` (which
never gets CORS); CORS for a request with an `Origin` (Starlette's middleware, refusals in
JSON), `Vary: Origin` for the others; the body limit (413 before reading a declared body over
it, a chunked body read up to it); then the API's routes directly (a spec path matched by one
regular expression), everything else through Starlette (the mock's own endpoints, docs, the
404 and the trailing-slash 301). An exception still answers DRF's JSON 500.

Most requests are API calls with no Origin, no body and no host list: for them none of the
layers has anything to do, and `_api` sends the endpoint's JSON bytes itself (status for the
journal and `Vary: Origin` known without wrapping `send`), which measured 3 µs of the 21 such a
request cost (bench/app_cost.py --stack); under the mock's own HTTP protocol it hands them to
the connection whole (protocol.Connection.respond: one call instead of two ASGI messages).

Why by hand: each Starlette middleware is a coroutine call and a wrapped `send` per request,
and the mock had six plus Starlette's own three around its routes; fused, a request costs a
third less of the mock's own time (bench/app_cost.py), which is most of what separates it from
a bare Starlette app under load.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.api.errors import SERVER_ERROR, ErrorCatalog
from mockserver.api.responses import JsonBody, error_response, json_response
from mockserver.api.routing import ApiRoute
from mockserver.control.guard import PREFIX, ControlGuard
from mockserver.control.journal import NOT_JOURNALED, UNREAD, AccessLog, Journal, read_body
from mockserver.middleware.cors import JsonCORSMiddleware
from mockserver.middleware.hosts import disallowed_host
from mockserver.middleware.limits import MAX_BODY_BYTES, read_at_most, replay
from mockserver.middleware.websocket import refuse_websocket
from mockserver.notes import NOTES
from mockserver.protocol import CONNECTION

_VARY = (b"vary", b"Origin")
_NONE: dict[str, Any] = {}
PATHS_KEPT = 4096  # API paths whose match is remembered...
PATH_KEPT_SIZE = 256  # ...when they are this short (a few MiB at most)
_wall, _clock = time.time, time.perf_counter


class Seen:
    """What the journal records of an answer: its status (500 if the app raised first) and the body read."""

    __slots__ = ("status", "body", "size", "started")

    def __init__(self) -> None:
        self.status, self.body, self.size, self.started = 500, b"", 0, False


def _watching(send: Send, seen: Seen, vary: bool) -> Send:
    """The one wrapper of `send`: the status for the journal, `Vary: Origin`, and that an answer began."""

    async def respond(message: Message) -> None:
        if message["type"] == "http.response.start":
            seen.status = message["status"]
            seen.started = True
            if vary:
                message["headers"] = [*message.get("headers", ()), _VARY]
        await send(message)

    return respond


class ApiRoutes:
    """The API's routes as one regular expression: which route a path names, and its parameters."""

    def __init__(self, routes: Sequence[ApiRoute]) -> None:
        self.routes = list(routes)
        parts = []
        # the name of each route's group: the route, its parameters' names and their groups' numbers
        self._found: dict[str, tuple[ApiRoute, tuple[str, ...], tuple[int, ...]]] = {}
        index = 1
        for number, route in enumerate(self.routes):
            parts.append(f"(?P<r{number}>{route.regex.pattern})")
            count = route.regex.groups
            self._found[f"r{number}"] = (route, tuple(route.names), tuple(range(index + 1, index + 1 + count)))
            index += 1 + count
        self._regex = re.compile("|".join(parts)) if parts else None
        self._known: dict[str, tuple[ApiRoute, dict[str, str]]] = {}  # paths matched before (bounded)

    def match(self, path: str) -> tuple[ApiRoute, dict[str, str]] | None:
        """The route of an API path and its parameters (a fresh dict: the request's own)."""
        known = self._known.get(path)
        if known is not None:  # the paths of a client's calls repeat: no regular expression
            return known[0], known[1].copy()
        if self._regex is None:
            return None
        found = self._regex.fullmatch(path)
        if found is None:
            return None
        route, names, groups = self._found[found.lastgroup]  # type: ignore[index]
        if len(groups) > 1:
            params = dict(zip(names, found.group(*groups), strict=True))
        else:
            params = {names[0]: found.group(groups[0])} if groups else {}
        if len(path) <= PATH_KEPT_SIZE:
            if len(self._known) >= PATHS_KEPT:
                self._known.clear()
            self._known[path] = (route, params.copy())
        return route, params


class Gateway:
    def __init__(self, app: ASGIApp, routes: Sequence[ApiRoute], *, journal: Journal | None, log: AccessLog | None,
                 guard: ControlGuard, cors_options: dict[str, Any], catalog: ErrorCatalog,
                 allowed_hosts: tuple[str, ...] = ("*",), max_body: int = MAX_BODY_BYTES,
                 starlette: Callable[[], Any] | None = None) -> None:
        self.app = app  # Starlette's stack: the mock's own endpoints, 404, 301, lifespan
        self.api = ApiRoutes(routes)
        self.journal = journal
        self.log = log
        self.guard = guard
        self.cors = JsonCORSMiddleware(self._after_cors, **cors_options)
        self.too_large = catalog.error("payload_too_large")
        self.too_large.headers["Connection"] = "close"
        self.allowed_hosts = allowed_hosts if allowed_hosts != ("*",) else None
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                await refuse_websocket(scope, receive, send)
            else:
                await self.app(scope, receive, send)  # lifespan
            return
        origin = length = chunked = host = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = value
            elif name == b"host":
                host = value
        started, clock = _wall(), _clock()
        path, method = scope["path"], scope["method"]
        control = path.startswith(PREFIX)
        journal = self.journal if not path.startswith(NOT_JOURNALED) else None
        if origin is None and length is None and chunked is None and self.allowed_hosts is None and not control:
            found = self.api.match(path)
            if found is not None:  # most requests: an API call with nothing for the layers to do
                await self._api(scope, receive, send, found, journal, started, clock)
                return
        seen = Seen()
        # Starlette's CORS would add Vary; a request with Origin gets its own
        respond = _watching(send, seen, vary=origin is None and not control)
        try:
            await self._answer(scope, receive, respond, origin, length, chunked, host, control,
                               seen if journal is not None and method not in UNREAD else None)
        except Exception:
            if not seen.started:
                await json_response({"detail": SERVER_ERROR}, 500)(scope, receive, send)
            raise
        finally:
            self._record(journal, scope, started, clock, seen.status, seen.body, seen.size)

    def _record(self, journal: Journal | None, scope: Scope, started: float, clock: float, status: int,
                body: bytes, size: int) -> None:
        """The request's record, for the journal and the console line."""
        if journal is not None or self.log is not None:
            record = (started, scope["method"], scope["path"], scope["query_string"], scope["headers"], status,
                      _clock() - clock, body, size, scope.get(NOTES))
            if journal is not None:
                journal.add(record)
            if self.log is not None:
                self.log.write(record)

    async def _api(self, scope: Scope, receive: Receive, send: Send, found: tuple[ApiRoute, dict[str, str]],
                   journal: Journal | None, started: float, clock: float) -> None:
        """An API request without Origin, body or host list: the endpoint's Response is sent from here,
        so the status is known and `Vary: Origin` added without wrapping `send`. A Response that sends
        itself differently (a fault, a trickled body) still gets the wrapper."""
        route, params = found
        scope["path_params"] = params
        endpoint = scope["endpoint"] = route.endpoint
        status, began = 500, False
        try:
            response = await endpoint.dispatch(Request(scope, receive))
            if type(response) is JsonBody:
                status = response.status_code
                began = True
                headers = [*response.raw_headers, _VARY]
                connection = (scope.get("extensions") or _NONE).get(CONNECTION)
                if connection is None or not connection.respond(send, status, headers, response.body):
                    await send({"type": "http.response.start", "status": status, "headers": headers})
                    await send({"type": "http.response.body", "body": response.body})
            else:
                seen = Seen()
                try:
                    await response(scope, receive, _watching(send, seen, vary=True))
                finally:
                    status, began = seen.status, seen.started
        except Exception:
            if not began:
                await json_response({"detail": SERVER_ERROR}, 500)(scope, receive, send)
            raise
        finally:
            self._record(journal, scope, started, clock, status, b"", 0)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, origin: bytes | None, length: bytes | None,
                      chunked: bytes | None, host: bytes | None, control: bool, keep_body: Seen | None) -> None:
        """Everything after the journal: hosts, guard, CORS, body limit, then the routes."""
        if self.allowed_hosts is not None:
            refusal = disallowed_host(host, self.allowed_hosts)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        if control:
            refused = self.guard.refusal(scope)
            if refused is not None:
                await json_response({"detail": refused[1]}, refused[0])(scope, receive, send)
                return
            body = await self._body(scope, receive, send, length, chunked, keep_body)
            if body is not None:
                await self.app(scope, body, send)
            return
        if origin is not None:
            scope["mockserver.body"] = (length, chunked, keep_body)
            await self.cors(scope, receive, send)
            return
        if length is not None or chunked is not None:
            body = await self._body(scope, receive, send, length, chunked, keep_body)
            if body is None:
                return
            receive = body
        await self._route(scope, receive, send)

    async def _after_cors(self, scope: Scope, receive: Receive, send: Send) -> None:
        length, chunked, keep_body = scope.pop("mockserver.body", (None, None, None))
        received = await self._body(scope, receive, send, length, chunked, keep_body)
        if received is not None:
            await self._route(scope, received, send)

    async def _body(self, scope: Scope, receive: Receive, send: Send, length: bytes | None, chunked: bytes | None,
                    keep_body: Seen | None) -> Receive | None:
        """The body limit (413, refused unread when declared over it), and the body the journal keeps;
        the receive to hand on, or None when the request was answered here."""
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await error_response(self.too_large)(scope, receive, send)
            return None
        if chunked is not None and b"chunked" in chunked.lower():
            messages = await read_at_most(receive, self.max_body)
            if messages is None:
                await error_response(self.too_large)(scope, receive, send)
                return None
            receive = replay(messages, receive)
            if keep_body is None:
                return receive
        if keep_body is not None and (length is not None or chunked is not None):
            receive, keep_body.body, keep_body.size = await read_body(
                receive, b"content-length" if chunked is None else b"transfer-encoding", length or b"")
        return receive

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.api.match(scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        route, params = found
        scope["path_params"] = params
        scope["endpoint"] = route.endpoint
        await route.endpoint(scope, receive, send)
