"""Forwarding: one API request to the implementation behind the mock, and its answer back unchanged.

The mock's prefix is mapped onto the upstream URL's path: with `--proxy http://host:9000/v1`,
`/v1/organizations/...` and `/organizations/...` both go to `http://host:9000/v1/organizations/...`.
A URL without a path gets the path of the spec's first server (`/v1`), as the contract kit's
`--base-url` does; a URL ending in `/` (`http://host:9000/`) means the upstream's root. The rest
of the path and the query go as received (percent-encoding kept; bytes a URL cannot hold, and
`.` or `..` path segments, which a URL would resolve, percent-encoded; the mock's `__` choices were
taken out before), and so does the body.

Request headers pass as received, credentials included (nothing here logs them), but the
hop-by-hop ones (and those `Connection` names), `Host` (the upstream's own), `Content-Length`
(recomputed) and `Accept-Encoding` (httpx asks for gzip or deflate, which it decodes); `Prefer`
loses the preferences the mock consumed (code, example, dynamic, delay, fault) and goes only if
others remain. The answer's status, headers and body come back as the upstream sent them, but
the hop-by-hop headers, `Content-Length` and `Content-Encoding` (the body is relayed decoded),
`Date` (the mock's server sets its own), and `Access-Control-*` and `Vary: Origin` (the browser
talks to the mock, whose `--cors-origin` policy answers it and adds them).

A body announced by `Content-Length` up to JUDGED_BYTES is read whole, so that it is judged
before the answer leaves (validation.py); any other body (chunked, or larger) is relayed piece by
piece as it arrives.

One httpx.AsyncClient per app, made when the app starts and closed with it: pooled keep-alive
connections; `--proxy-timeout` on connecting, on each read and write and on waiting for a
pooled connection; no redirects followed (a 301 is the API's answer to relay); no cookie jar
(one client's cookies must never ride on another's requests) and no environment (no `.netrc`
credentials, no proxy variables). A refused or broken connection raises Unreachable (502), a
timeout TimedOut (504), a request httpx refuses to send (a header value it finds malformed)
Unforwardable (400).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import quote, urlsplit

import httpx
from starlette.types import Scope

from mockserver.api.errors import BAD_REQUEST
from mockserver.api.routing import path_pattern
from mockserver.frontend.choices import NAMES
from mockserver.frontend.latency import format_duration
from mockserver.spec.model import ApiModel

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "trailers",
                        "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"})
REQUEST_DROPPED = HOP_BY_HOP | {"host", "content-length", "accept-encoding", "expect"}
ANSWER_DROPPED = HOP_BY_HOP | {"content-length", "content-encoding", "date"}
ACCEPT_ENCODING = (b"accept-encoding", b"gzip, deflate")
JUDGED_BYTES = 8 * 1024 * 1024  # an announced body up to this is read whole and judged before it leaves
MAX_CONNECTIONS, KEPT_ALIVE = 100, 20


class UpstreamError(Exception):
    """The upstream gave no answer: `status` is what the client gets, `error` the Proxy-Status error
    (RFC 9209), `reason` a short text."""

    status = 502
    detail = "Bad Gateway"

    def __init__(self, error: str, reason: str) -> None:
        reason = "".join(char if " " <= char <= "~" else "?" for char in reason)  # it goes into headers
        super().__init__(reason)
        self.error = error
        self.reason = reason


class Unreachable(UpstreamError):
    """Refused, reset or closed before an answer: 502."""


class Unforwardable(UpstreamError):
    """A request the HTTP client refuses to send (a header value it finds malformed): 400, as a parser's."""

    status = 400
    detail = BAD_REQUEST


class TimedOut(UpstreamError):
    """No connection or no next piece of the answer within --proxy-timeout: 504."""

    status = 504
    detail = "Gateway Timeout"


@dataclass
class Relayed:
    """The upstream's answer: its body read whole (`body`), or still to come (`stream`)."""

    status: int
    headers: list[tuple[bytes, bytes]]  # as the client gets them (lower-case names)
    body: bytes | None
    stream: AsyncIterator[bytes] | None
    close: Callable[[], Awaitable[None]]


def upstream_base(url: str, model: ApiModel) -> tuple[str, str]:
    """`scheme://host[:port]` and the path the mock's prefixes map onto (see the docstring)."""
    parts = urlsplit(url)
    path = model.api_prefix if parts.path == "" else parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}", path


def check_url(text: str) -> str:
    """The --proxy URL, or ValueError saying what is wrong with it."""
    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not carry credentials: the requests bring their own")
    if parts.query or parts.fragment:
        raise ValueError(f"{text!r} has a query or a fragment; give the base URL only")
    return text.strip()


def _reason(exc: BaseException) -> str:
    """What went wrong in a few words: the operating system's error under httpx's, when there is one."""
    found: BaseException | None = exc
    while found is not None:
        if isinstance(found, ConnectionRefusedError):
            return "connection refused"
        if isinstance(found, socket.gaierror):
            return "host name not found"
        if isinstance(found, OSError) and found.errno is not None:
            return os.strerror(found.errno).lower()
        found = found.__cause__ or found.__context__
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def failure(exc: httpx.HTTPError, timeout: float) -> UpstreamError:
    """The upstream failure an httpx error means."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return TimedOut("connection_timeout", f"no connection within {format_duration(timeout)}")
    if isinstance(exc, httpx.TimeoutException):
        return TimedOut("http_response_timeout", f"no answer within {format_duration(timeout)}")
    if isinstance(exc, httpx.LocalProtocolError):
        return Unforwardable("http_request_error", f"the request cannot be forwarded ({_reason(exc)})")
    if isinstance(exc, httpx.ConnectError):
        return Unreachable("connection_refused", _reason(exc))
    if isinstance(exc, httpx.RemoteProtocolError):
        return Unreachable("http_protocol_error", f"the connection ended without a whole answer ({_reason(exc)})")
    return Unreachable("proxy_internal_error" if not isinstance(exc, httpx.TransportError)
                       else "connection_terminated", _reason(exc))


def _prefer(value: bytes) -> bytes | None:
    """Prefer without the mock's own preferences; None when nothing else is left."""
    kept = []
    for item in value.decode("latin-1").split(","):
        name = item.split(";")[0].split("=")[0].strip().lower()
        if name and name not in NAMES:
            kept.append(item.strip())
    return ", ".join(kept).encode("latin-1") if kept else None


def request_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The client's headers as the upstream gets them (see the docstring)."""
    named = {part.strip().lower().encode("latin-1")
             for name, value in raw if name == b"connection" for part in value.decode("latin-1").split(",")}
    kept: list[tuple[bytes, bytes]] = []
    for name, value in raw:
        lowered = name.decode("latin-1").lower()
        if lowered in REQUEST_DROPPED or name in named:
            continue
        value = value.strip(b" \t")  # optional whitespace around a value is not part of it (RFC 9110)
        if lowered == "prefer":
            left = _prefer(value)
            if left is not None:
                kept.append((name, left))
            continue
        kept.append((name, value))
    kept.append(ACCEPT_ENCODING)
    return kept


def answer_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The upstream's headers as the client gets them (see the docstring)."""
    named = {part.strip().lower().encode("latin-1")
             for name, value in raw if name.lower() == b"connection" for part in value.decode("latin-1").split(",")}
    kept = []
    for name, value in raw:
        lowered = name.lower()
        text = lowered.decode("latin-1")
        if text in ANSWER_DROPPED or lowered in named or text.startswith("access-control-"):
            continue
        if lowered == b"vary":  # the mock's CORS layer adds `Vary: Origin` itself
            value = b", ".join(part.strip() for part in value.split(b",") if part.strip().lower() != b"origin")
            if not value:
                continue
        kept.append((lowered, value))
    return kept


def _no_cookies() -> httpx.Cookies:
    return httpx.Cookies(CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))


class Upstream:
    """The implementation behind the mock: where each request goes, and the client that takes it."""

    def __init__(self, url: str, model: ApiModel, timeout: float) -> None:
        self.url = check_url(url)
        self.origin, self.base = upstream_base(self.url, model)
        self.shown = self.origin + self.base  # the upstream as messages name it (no credentials: refused)
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self.prefixes = sorted((prefix for prefix in model.prefixes if prefix), key=len, reverse=True)
        self.paths = [path_pattern(path) for path in dict.fromkeys(op.path for op in model.operations.values())]

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout), follow_redirects=False, trust_env=False,
                cookies=_no_cookies(), limits=httpx.Limits(max_connections=MAX_CONNECTIONS,
                                                           max_keepalive_connections=KEPT_ALIVE))
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def target(self, scope: Scope) -> httpx.URL:
        """The upstream URL of a request to the mock: its spec path under the upstream's base, the
        rest of the path as the client encoded it."""
        path: str = scope["path"]
        raw: bytes = scope.get("raw_path") or quote(path).encode("ascii")
        for prefix in self.prefixes:
            rest = path[len(prefix):]
            if path.startswith(prefix + "/") and any(pattern.fullmatch(rest) for pattern in self.paths):
                encoded = prefix.encode("utf-8")
                raw = raw[len(encoded):] if raw.startswith(encoded + b"/") else quote(rest).encode("ascii")
                break
        raw = _DOT_SEGMENT.sub(lambda found: found.group().replace(b".", b"%2E"), _escaped(raw))
        url = httpx.URL(self.origin + self.base + raw.decode("ascii"))
        query: bytes = scope["query_string"]
        return url.copy_with(query=_escaped(query)) if query else url

    async def send(self, method: str, url: httpx.URL, headers: list[tuple[bytes, bytes]],
                   body: bytes | None) -> Relayed:
        """The upstream's answer; UpstreamError when there is none."""
        request = httpx.Request(method, url, headers=headers, content=body or None)
        try:
            response = await self.client().send(request, stream=True)
        except httpx.HTTPError as exc:
            raise failure(exc, self.timeout) from None
        headers_out = answer_headers(list(response.headers.raw))
        length = response.headers.get("content-length", "")
        whole = method == "HEAD" or response.status_code in (204, 304) or (
            length.isdigit() and int(length) <= JUDGED_BYTES)
        if not whole:
            return Relayed(response.status_code, headers_out, None, response.aiter_bytes(), response.aclose)
        try:
            body_in = await response.aread()
        except httpx.HTTPError as exc:
            raise failure(exc, self.timeout) from None
        finally:
            await response.aclose()
        if method == "HEAD" and length.isdigit():
            headers_out.append((b"content-length", length.encode("ascii")))
        return Relayed(response.status_code, headers_out, body_in, None, response.aclose)


_UNSAFE = re.compile(rb"[^\x21-\x7e]")
_DOT_SEGMENT = re.compile(rb"(?<=/)\.\.?(?=/|$)")  # `/../` would be resolved by the URL: sent as `/%2E%2E/`


def _escaped(raw: bytes) -> bytes:
    """Bytes a URL cannot hold as they are (controls, spaces, non-ASCII) percent-encoded; the rest kept."""
    return _UNSAFE.sub(lambda found: b"%%%02X" % found.group()[0], raw)
