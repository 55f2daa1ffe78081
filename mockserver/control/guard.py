"""Only the developer drives the control plane: not another machine, not a web page.

`/__mock/*` changes what the mock serves (reset, scenarios) and shows what it received (the
journal), so a page open in the developer's browser must not reach it. Unless the mock runs
with `--control-from-anywhere`, a control request is refused with 403 when:
- its TCP peer is not on this machine (uvicorn runs without proxy headers: `X-Forwarded-For`
  changes nothing);
- its `Host` is not a loopback name or the address the mock listens on (DNS rebinding: a page
  of evil.example resolved to 127.0.0.1 still says `Host: evil.example`);
- it carries an `Origin` that is not a loopback origin (a cross-site fetch or form).
Always, whatever the option: a state-changing call (POST, DELETE) must have an empty body or a
JSON one (`Content-Type: application/json`), which a browser cannot send cross-site without a
CORS preflight, and the control plane never answers a preflight or sends CORS headers, so
that preflight fails: no simple-request CSRF. Other methods get the routes' own 405.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.api.responses import json_response

PREFIX = "/__mock"
IN_PROCESS = "testclient"  # the client Starlette's TestClient reports; no TCP peer is named so
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", IN_PROCESS, "testserver"})
NOT_LOCAL = ("The mock's control endpoints answer loopback clients only; "
             "start the mock with --control-from-anywhere to allow other clients.")
FOREIGN_HOST = ("The mock's control endpoints answer only requests addressed to this machine "
                "(Host: localhost, 127.0.0.1 or the address it listens on); "
                "start the mock with --control-from-anywhere to allow others.")
FOREIGN_ORIGIN = ("The mock's control endpoints do not answer web pages of other origins "
                  "(Origin: {origin}); use them from this machine (curl, the panel at /__mock/).")
NOT_JSON = ("State-changing control calls take an empty or JSON body (Content-Type: application/json), "
            "not {content_type}.")
STATE_CHANGING = frozenset({"POST", "DELETE", "PUT", "PATCH"})


def is_loopback(scope: Scope) -> bool:
    """Whether the TCP peer is on this machine (no peer at all, or the TestClient: in process)."""
    client = scope.get("client")
    if not client or client[0] == IN_PROCESS:
        return True
    return _loopback_address(client[0])


def _loopback_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _hostname(value: str) -> str:
    """`host:port`, `[::1]:port` -> the host part, lower case."""
    return (urlsplit("//" + value).hostname or "").lower()


class ControlGuard:
    """An ASGI layer in front of the app that judges requests to `/__mock/*` only."""

    def __init__(self, app: ASGIApp, listen_host: str, from_anywhere: bool = False) -> None:
        self.app = app
        self.from_anywhere = from_anywhere
        self.own_names = {listen_host.lower().strip("[]")} - {"0.0.0.0", "::", ""}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            refusal = self.refusal(scope)
            if refusal is not None:
                status, detail = refusal
                await json_response({"detail": detail}, status)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
                   if name in (b"host", b"origin", b"content-type", b"content-length", b"transfer-encoding")}
        if scope["method"] in STATE_CHANGING:
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            has_body = headers.get("content-length", "0") not in ("0", "") or "transfer-encoding" in headers
            if content_type and content_type != "application/json" or has_body and not content_type:
                return 415, NOT_JSON.format(content_type=content_type or "a body without a content type")
        if self.from_anywhere:
            return None
        if not is_loopback(scope):
            return 403, NOT_LOCAL
        host = _hostname(headers.get("host", ""))
        if host and not self._local_name(host, scope):
            return 403, FOREIGN_HOST
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not self._local_name((parts.hostname or "").lower(), scope):
                return 403, FOREIGN_ORIGIN.format(origin=origin[:200])
        return None

    def _local_name(self, host: str, scope: Scope) -> bool:
        server = scope.get("server")
        return (host in LOOPBACK_NAMES or host.endswith(".localhost") or host in self.own_names
                or _loopback_address(host) or bool(server and host == str(server[0]).lower()))
