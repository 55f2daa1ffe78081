"""`GET /__mock/violations`: what the validating proxy found, grouped by rule; `DELETE` forgets it.

    {"judged": 120, "with_violations": 3, "violations": 4, "unjudged": 0,
     "rules": [{"rule": "schema.Backup.database_size", "count": 3, "side": "answer",
                "last": {"rule", "pointer", "message", "expected", "received", "side",
                         "method", "path", "query", "status", "time"}}, ...]}

Rules come most broken first. Like every `/__mock` route it answers the developer only (the
control plane's guard). Without `--proxy` nothing is judged: a 404 that says so.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mockserver.api.responses import json_response
from mockserver.control.guard import PREFIX
from mockserver.proxy.validation import ViolationBook

NOT_PROXYING = "Nothing is judged: the mock is not proxying (start it with --proxy URL)."


def violation_routes(book: ViolationBook | None) -> list[BaseRoute]:
    async def violations(request: Request) -> Response:
        if book is None:
            return json_response({"detail": NOT_PROXYING}, 404)
        if request.method == "DELETE":
            book.clear()
            return json_response({"detail": "Contract violations cleared."})
        return json_response(book.as_json())

    return [Route(f"{PREFIX}/violations", violations, methods=["GET", "DELETE"])]
