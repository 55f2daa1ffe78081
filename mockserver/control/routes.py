"""The mock's own endpoints under /__mock/, which no real API path can shadow.

    POST   /__mock/reset      forget created backups: back to the fixtures last loaded
    GET    /__mock/requests   the request journal, newest first (`?limit=N`)
    DELETE /__mock/requests   clear the journal

They answer loopback clients only, unless the mock runs with --control-from-anywhere; any
other client gets 403. The client is the TCP peer: uvicorn runs with proxy_headers off, so
an `X-Forwarded-For` header (the official client sends `X-Forwarded-For: batch`) changes
nothing. `check_no_shadowing` stops the mock if the spec ever documents a path where the
mock keeps its own endpoints (here, /docs or /openapi.*).
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from mockserver.api.endpoints import Handler
from mockserver.api.responses import json_response
from mockserver.control.journal import Journal
from mockserver.spec.model import ApiModel
from mockserver.store.memory import BackupStore

PREFIX = "/__mock"
MOCK_PATHS = (PREFIX, "/docs", "/openapi.json", "/openapi.yaml")
LOOPBACK_ONLY = (
    "The mock's control endpoints answer loopback clients only; "
    "start the mock with --control-from-anywhere to allow other clients."
)


IN_PROCESS = "testclient"  # the client Starlette's TestClient reports; no TCP peer is named so


def is_loopback(scope: Scope) -> bool:
    """Whether the TCP peer is on this machine (no peer at all, or the TestClient: in process)."""
    client = scope.get("client")
    if not client or client[0] == IN_PROCESS:
        return True
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def check_no_shadowing(model: ApiModel) -> None:
    """The spec must not put an API path where the mock keeps its own endpoints."""
    for operation in model.operations.values():
        for prefix in model.prefixes:
            path = prefix + operation.path
            for mine in MOCK_PATHS:
                if path == mine or path.startswith(mine + "/"):
                    raise model.spec.error(operation.pointer, f"{operation.operation_id} ({path}) would hide "
                                                              f"the mock's {mine}")


def control_routes(store: BackupStore, journal: Journal | None = None, from_anywhere: bool = False) -> list[BaseRoute]:
    def guarded(endpoint: Handler) -> Handler:
        if from_anywhere:
            return endpoint

        async def loopback_only(request: Request) -> Response:
            if not is_loopback(request.scope):
                return json_response({"detail": LOOPBACK_ONLY}, 403)
            return await endpoint(request)

        return loopback_only

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
        Route(f"{PREFIX}/reset", guarded(reset), methods=["POST"]),
        Route(f"{PREFIX}/requests", guarded(requests), methods=["GET", "DELETE"]),
    ]
