"""JSON answers: every body the mock sends is JSON, errors as DRF renders them.

`JsonBody` is Starlette's Response with its headers made directly: every answer of the API is
JSON bytes already rendered, so the general `init_headers` (charset rules, header encoding,
a case-insensitive search for content-length) is work for nothing on the hot path.
"""

from __future__ import annotations

from starlette.responses import Response

from mockserver.data.jsonvalues import dumps
from mockserver.exceptions import ApiError

JSON = "application/json"


_JSON_TYPE = (b"content-type", b"application/json")


class JsonBody(Response):
    """A Response whose body is JSON bytes (headers: content-length and content-type, then any given)."""

    media_type = JSON

    def __init__(self, body: bytes, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        raw = [(b"content-length", b"%d" % len(body)), _JSON_TYPE]
        if headers:
            raw += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        self.raw_headers = raw


def json_bytes(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JsonBody(body, status, headers)


def json_response(value: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_bytes(dumps(value), status, headers)


def error_response(error: ApiError) -> Response:
    return json_response({"detail": error.detail}, error.status, error.headers)
