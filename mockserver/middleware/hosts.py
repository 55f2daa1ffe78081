"""`--allowed-hosts`: Django's ALLOWED_HOSTS, for a mock shared on a network.

Links (`next`, `previous`) follow the request's Host header, as Django builds them. A mock
reachable by others can therefore be made to print links to any host; with `--allowed-hosts`
it refuses a Host that is not listed with Django's 400 and message. Patterns are Django's: an
exact name, `.example.com` for the domain and its subdomains, `*` for any; the port is ignored.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.api.responses import json_response
from mockserver.text import one_line

DISALLOWED = "Invalid HTTP_HOST header: {host!r}. You may need to add {name!r} to ALLOWED_HOSTS."


def host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    """Django's validate_host: `host` without its port, against the patterns."""
    name = (urlsplit("//" + host).hostname or "").lower().rstrip(".") if host else ""
    if not name:
        return False
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith(".") and (name.endswith(pattern) or name == pattern[1:]):
            return True
    return False


class AllowedHosts:
    def __init__(self, app: ASGIApp, patterns: tuple[str, ...]) -> None:
        self.app = app
        self.patterns = patterns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"host"), "")
            if not host_allowed(host, self.patterns):
                name = urlsplit("//" + host).hostname or host
                detail = one_line(DISALLOWED.format(host=host, name=name), 400)
                await json_response({"detail": detail}, 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)
