"""JSON answers: every body the mock sends is JSON, errors as DRF renders them."""

from __future__ import annotations

from starlette.responses import Response

from mockserver.data.jsonvalues import dumps
from mockserver.exceptions import ApiError

JSON = "application/json"


def json_bytes(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, headers=headers, media_type=JSON)


def json_response(value: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_bytes(dumps(value), status, headers)


def error_response(error: ApiError) -> Response:
    return json_response({"detail": error.detail}, error.status, error.headers)
