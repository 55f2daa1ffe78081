"""The mock's own endpoints under /__mock/, which no real API path can shadow."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .responses import json_response
from .store import BackupStore

PREFIX = "/__mock"


def control_routes(store: BackupStore) -> list[BaseRoute]:
    async def reset(request: Request) -> Response:
        """Forget every created backup: the fixtures as they were at start-up."""
        store.reset()
        return json_response({"detail": "Fixtures restored."})

    return [Route(f"{PREFIX}/reset", reset, methods=["POST"])]
