"""Routes built from the spec's paths, with Django REST Framework's answers around them.

Every spec path is served at the root and under each prefix the spec's `servers` give
(model.py). A path's `{parameters}` may have any name the spec gives them: each matches one
path segment, and the handlers find them by role. One endpoint per path dispatches on the
method: the documented operations, HEAD like GET (as Django does), OPTIONS with DRF's metadata
body (credentials required, as DRF checks them), and 405 with an `Allow` header for anything
else. A path that only lacks its trailing slash is redirected to the slash URL (Django's
APPEND_SLASH); any other unknown path is 404 `Not found.`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from mockserver.api.access import Access
from mockserver.api.endpoints import Handler
from mockserver.api.errors import METHOD_NOT_ALLOWED, MOVED_PERMANENTLY, NOT_FOUND
from mockserver.api.responses import error_response, json_response
from mockserver.exceptions import ApiError
from mockserver.spec.model import ApiModel, Operation

DRF_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
RENDERS = ["application/json"]
PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]
_PARAMETER = re.compile(r"{([^{}/]+)}")


class PathEndpoint:
    """Dispatches one path's methods and turns ApiError into its JSON answer."""

    def __init__(self, name: str, handlers: dict[str, Handler], guard: Access,
                 options: Callable[[Handler], Handler] | None = None) -> None:
        self.name = name
        self.handlers = dict(handlers)
        if "GET" in self.handlers and "HEAD" not in self.handlers:
            self.handlers["HEAD"] = self.handlers["GET"]
        if "OPTIONS" not in self.handlers:
            self.handlers["OPTIONS"] = options(self.options) if options is not None else self.options
        self.allow = ", ".join(method for method in DRF_METHOD_ORDER if method in self.handlers)
        self.allow += "".join(f", {method}" for method in self.handlers if method not in DRF_METHOD_ORDER)
        self.guard = guard

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
        guard = self.guard
        if guard.forms is not None:
            scope = request.scope
            guard.users.authenticate(scope["headers"], guard.forms, guard.errors, scope["query_string"])
        body = {"name": self.name, "description": "", "renders": RENDERS, "parses": PARSES}
        return json_response(body, headers={"Allow": self.allow})


class ApiRoute(BaseRoute):
    """One spec path under one prefix: each `{parameter}` is one path segment."""

    def __init__(self, path: str, endpoint: PathEndpoint) -> None:
        self.path = path
        self.endpoint = endpoint
        self.names = _PARAMETER.findall(path)
        self.regex = path_pattern(path)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        found = self.regex.fullmatch(scope["path"])
        if found is None:
            return Match.NONE, {}
        return Match.FULL, {"endpoint": self.endpoint, "path_params": dict(zip(self.names, found.groups(),
                                                                               strict=True))}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)


def path_pattern(path: str) -> re.Pattern[str]:
    """A spec path as a regular expression: each `{parameter}` one path segment, captured in order."""
    return re.compile("".join(re.escape(part) if index % 2 == 0 else "([^/]+)"
                              for index, part in enumerate(_PARAMETER.split(path))))


def build_routes(model: ApiModel, handlers: dict[str, Handler], guards: dict[str, Access],
                 options: Callable[[Handler], Handler] | None = None) -> list[BaseRoute]:
    """A route per spec path and prefix (the root first). `options`, when given, wraps each path's own
    OPTIONS answer (the proxy forwards it)."""
    by_path: dict[str, list[Operation]] = {}
    for operation in model.operations.values():
        by_path.setdefault(operation.path, []).append(operation)
    routes: list[BaseRoute] = []
    for prefix in model.prefixes:
        for path, operations in by_path.items():
            named = next((operation for operation in operations if operation.method == "GET"), operations[0])
            name = str(named.definition.get("summary") or named.operation_id)
            methods = {operation.method: handlers[operation.operation_id] for operation in operations}
            routes.append(ApiRoute(prefix + path, PathEndpoint(name, methods, guards[named.operation_id], options)))
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
    return json_response({"detail": detail}, exc.status_code, dict(exc.headers or {}))
