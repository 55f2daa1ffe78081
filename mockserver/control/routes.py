"""The mock's own endpoints under /__mock/, which no real API path can shadow.

    POST   /__mock/reset      forget created backups: back to the fixtures last loaded
    GET    /__mock/requests   the request journal, newest first (`?limit=N`)
    DELETE /__mock/requests   clear the journal

Only the developer reaches them (guard.py: loopback clients, loopback Host and Origin, JSON or
empty bodies). `check_no_shadowing` stops the mock if the spec ever documents a path where the
mock keeps its own endpoints (here, /docs or /openapi.*).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mockserver.api.responses import json_response
from mockserver.control.guard import PREFIX
from mockserver.control.journal import Journal
from mockserver.spec.model import ApiModel
from mockserver.store.backups import BackupStore

MOCK_PATHS = (PREFIX, "/docs", "/openapi.json", "/openapi.yaml")


def check_no_shadowing(model: ApiModel) -> None:
    """The spec must not put an API path where the mock keeps its own endpoints."""
    for operation in model.operations.values():
        for prefix in model.prefixes:
            path = prefix + operation.path
            for mine in MOCK_PATHS:
                if path == mine or path.startswith(mine + "/"):
                    raise model.spec.error(operation.pointer, f"{operation.operation_id} ({path}) would hide "
                                                              f"the mock's {mine}")


def control_routes(store: BackupStore, journal: Journal | None = None) -> list[BaseRoute]:
    """The routes under /__mock (guard.py decides who may call them)."""
    async def reset(request: Request) -> Response:
        """Forget every created backup: the fixtures as last loaded."""
        store.reset()
        return json_response({"detail": "Fixtures restored."})

    async def requests(request: Request) -> Response:
        if journal is None:
            return json_response({"size": 0, "count": 0, "requests": []})
        if request.method == "DELETE":
            journal.clear()
            return json_response({"detail": "Request journal cleared."})
        raw_limit = request.query_params.get("limit")
        if raw_limit is not None and not raw_limit.isdigit():
            return json_response({"detail": "limit must be a whole number"}, 400)
        entries = journal.entries(int(raw_limit) if raw_limit is not None else None)
        return json_response({"size": journal.size, "count": len(journal.records), "requests": entries})

    return [
        Route(f"{PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{PREFIX}/requests", requests, methods=["GET", "DELETE"]),
    ]
