"""CORS: Starlette's middleware, with its refusals in JSON like every other answer of the mock.

The gateway (gateway.py) sends only requests with an `Origin` through it, and appends the
same `Vary: Origin` Starlette would to the others: Starlette's middleware parses the headers and
wraps `send` for every request, a third of the app's own time on a detail request. The mock's
control plane (/__mock/*) gets no CORS headers at all: no web page may read or drive it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from mockserver.api.responses import json_response


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with its refusals as JSON."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        detail = bytes(response.body).decode("utf-8", "replace")
        headers = {key: value for key, value in response.headers.items()
                   if key.lower() not in ("content-length", "content-type")}
        return json_response({"detail": detail}, response.status_code, headers)
