"""Answers that are not the implementation's to answer for, and why.

A deployment sits behind web servers and proxies that refuse some requests before the
application sees them: 414 and 431 for URLs and headers too large, 413 for bodies, 400 for
malformed requests, 405 for methods a proxy blocks. The application always answers with the
API's JSON error (`{"detail": ...}`), so such a status without that body is attributed to the
infrastructure. A 404 to a path parameter outside its schema is the router saying that no such
resource exists, a rejection like the documented 406. Whether a request strays from the spec
is decided by the shared rules (contracts.rules), not by how it was generated. Each answer set
apart is listed in the report, never silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .context import relative_path
from .rules import Request, validate
from .spec import Spec

ALWAYS_INFRASTRUCTURE = {414: "URI Too Long", 431: "Request Header Fields Too Large"}


@dataclass(frozen=True)
class Tolerated:
    reason: str
    check: str
    operation: str
    status: int | None


def api_error_body(content: bytes | None) -> bool:
    try:
        body = json.loads(content or b"")
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(body, dict) and isinstance(body.get("detail"), str)


def classify(spec: Spec, method: str, url: str, status: int, content: bytes | None, base_url: str = "") -> str | None:
    """Why this answer is not held against the implementation, or None when it is (`url` is judged under
    `base_url`, the API's base)."""
    if status in ALWAYS_INFRASTRUCTURE:
        return (f"{status} {ALWAYS_INFRASTRUCTURE[status]}: the request was too large for the HTTP stack in "
                "front of the application")
    own_body = api_error_body(content)
    if status == 413 and not own_body:
        return "413 without the API's JSON error: a proxy's or web server's body-size limit"
    if status not in (400, 404, 405):
        return None
    path, query = relative_path(base_url, url)
    strays = [violation for violation in validate(spec, Request(method, path, query))
              if violation.side == "request"]
    undocumented_method = any(violation.pointer == "/request/method" for violation in strays)
    if status == 400 and not own_body and strays:
        return "400 without the API's JSON error to a malformed request: refused by the HTTP server or a proxy"
    if status == 405 and not own_body and undocumented_method:
        return "405 without the API's JSON error to an undocumented method: answered by a proxy or web server"
    if status == 404 and any(violation.pointer.startswith("/request/path") for violation in strays):
        return "404 to a path parameter outside its schema: the router knows no such resource (a rejection)"
    return None
