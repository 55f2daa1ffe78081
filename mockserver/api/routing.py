"""Routes built from the spec's paths, with Django REST Framework's answers around them.

Every spec path is served at the root and under `/v1`. One endpoint per path dispatches
on the method: the documented operations, HEAD like GET (as Django does), OPTIONS with
DRF's metadata body, and 405 with an `Allow` header for anything else. A path that only
lacks its trailing slash is redirected to the slash URL (Django's APPEND_SLASH); any
other unknown path is 404 `Not found.`.
"""

from __future__ import annotations

from typing import Iterable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from mockserver.api.auth import Authenticator
from mockserver.api.endpoints import Handler
from mockserver.api.errors import METHOD_NOT_ALLOWED, MOVED_PERMANENTLY, NOT_FOUND
from mockserver.exceptions import ApiError
from mockserver.api.responses import error_response, json_response
from mockserver.spec.document import Spec

DRF_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
RENDERS = ["application/json"]
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]


class PathEndpoint:
    """Dispatches one path's methods and turns ApiError into its JSON answer."""

    def __init__(self, name: str, handlers: dict[str, Handler], authenticator: Authenticator) -> None:
        self.name = name
        self.handlers = dict(handlers)
        if "GET" in self.handlers:
            self.handlers["HEAD"] = self.handlers["GET"]
        self.handlers["OPTIONS"] = self.options
        self.allow = ", ".join(method for method in DRF_METHOD_ORDER if method in self.handlers)
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI app, so Starlette calls it directly (no per-request wrapper)."""
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        handler = self.handlers.get(request.method)
        if handler is None:
            detail = METHOD_NOT_ALLOWED.format(method=request.method)
            return error_response(ApiError(405, detail, {"Allow": self.allow}))
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error)

    async def options(self, request: Request) -> Response:
        """DRF's SimpleMetadata answer; DRF authenticates OPTIONS like any other method."""
        self.auth.authenticate(request.scope["headers"])
        body = {"name": self.name, "description": "", "renders": RENDERS, "parses": PARSES}
        return json_response(body, headers={"Allow": self.allow})


def build_routes(
    spec: Spec,
    handlers: dict[str, Handler],
    authenticator: Authenticator,
    prefixes: Iterable[str],
) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    by_path: dict[str, dict[str, Handler]] = {}
    names: dict[str, str] = {}
    for operation in spec.operations.values():
        if operation.operation_id not in handlers:
            raise ValueError(f"no handler for operation {operation.operation_id}")
        by_path.setdefault(operation.path, {})[operation.method] = handlers[operation.operation_id]
        if operation.method == "GET" or operation.path not in names:
            names[operation.path] = operation.definition.get("summary", operation.operation_id)
    for prefix in prefixes:
        for path, methods in by_path.items():
            endpoint = PathEndpoint(names[path], methods, authenticator)
            routes.append(Route(prefix + path, endpoint, name=f"{prefix}{path}"))
    return routes


def slash_redirect(request: Request) -> str | None:
    """The slash URL of a known path requested without its trailing slash, if any."""
    path = request.scope["path"]
    if path.endswith("/"):
        return None
    scope = dict(request.scope, path=path + "/")
    for route in request.app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return str(request.url.replace(path=request.url.path + "/"))
    return None


async def not_found(request: Request, exc: Exception) -> Response:
    location = slash_redirect(request)
    if location is not None:
        detail = MOVED_PERMANENTLY.format(location=location)
        return json_response({"detail": detail}, 301, {"Location": location})
    return json_response({"detail": NOT_FOUND}, 404)


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own HTTP errors (e.g. 405 on control routes), as JSON."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        detail = METHOD_NOT_ALLOWED.format(method=request.method)
    else:
        detail = exc.detail
    return json_response({"detail": detail}, exc.status_code, exc.headers)
