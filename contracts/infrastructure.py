"""Answers that are not the implementation's to answer for, and why.

A deployment sits behind web servers and proxies that refuse some requests before the
application sees them: 414 and 431 for URLs and headers too large, 413 for bodies, 400 for
malformed requests, 405 for methods a proxy blocks. The application always answers with the
API's JSON error (`{"detail": ...}`), so such a status without that body is attributed to the
infrastructure. A 404 to a deliberately invalid path parameter is the router saying that no
such resource exists, a rejection like the documented 406. Requests the kit's guard did not
send are not judged either. Each is listed in the report, never silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from schemathesis.core.parameters import ParameterLocation

REFUSED_MARK = "_contract_kit_refused"
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


def _negative(case: Any, location: ParameterLocation | None = None) -> bool:
    meta = getattr(case, "meta", None)
    if meta is None:
        return False
    if location is None:
        return bool(meta.generation.mode.is_negative)
    return bool(meta.is_negative_at(location))


def _unexpected_method(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    scenario = getattr(getattr(getattr(meta, "phase", None), "data", None), "scenario", None)
    return str(getattr(scenario, "value", scenario)) == "unspecified_http_method"


def classify(case: Any, response: Any) -> str | None:
    """Why this answer is not held against the implementation, or None when it is."""
    refused = getattr(response.request, REFUSED_MARK, None)
    if refused:
        return f"not sent by the kit's guard: {refused}"
    status = response.status_code
    if status in ALWAYS_INFRASTRUCTURE:
        return (f"{status} {ALWAYS_INFRASTRUCTURE[status]}: the request was too large for the HTTP stack in "
                "front of the application")
    own_body = api_error_body(response.content)
    if status == 413 and not own_body:
        return "413 without the API's JSON error: a proxy's or web server's body-size limit"
    if status == 400 and not own_body and (_negative(case) or _unexpected_method(case)):
        return "400 without the API's JSON error to a malformed request: refused by the HTTP server or a proxy"
    if status == 405 and not own_body and _unexpected_method(case):
        return "405 without the API's JSON error to an undocumented method: answered by a proxy or web server"
    if status == 404 and _negative(case, ParameterLocation.PATH):
        return "404 to an invalid path parameter: the router knows no such resource (a rejection)"
    return None
