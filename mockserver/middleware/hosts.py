"""`--allowed-hosts`: Django's ALLOWED_HOSTS, for a mock shared on a network.

Links (`next`, `previous`) follow the request's Host header, as Django builds them. A mock
reachable by others can therefore be made to print links to any host; with `--allowed-hosts`
it refuses a Host that is not listed with Django's 400 and message. Patterns are Django's: an
exact name, `.example.com` for the domain and its subdomains, `*` for any; the port is ignored.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response

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


def disallowed_host(host: bytes | None, patterns: tuple[str, ...]) -> Response | None:
    """Django's 400 for a Host the patterns do not allow, or None."""
    text = host.decode("latin-1") if host is not None else ""
    if host_allowed(text, patterns):
        return None
    name = urlsplit("//" + text).hostname or text
    return json_response({"detail": one_line(DISALLOWED.format(host=text, name=name), 400)}, 400)
