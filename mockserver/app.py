"""The application factory: spec, fixtures and store wired into a Starlette app."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response

from .auth import Authenticator
from .control import control_routes
from .endpoints import BackupApi
from .errors import ErrorCatalog
from .fixtures import FixtureSet, load_fixtures
from .limits import BodyLimitMiddleware
from .responses import json_response
from .routing import build_routes, http_exception, not_found
from .serializers import Serializers
from .settings import API_PREFIXES, Settings
from .spec import Spec
from .store import BackupStore

CORS_METHODS = ["GET", "POST", "HEAD", "OPTIONS"]
CORS_EXPOSED = ["Location", "WWW-Authenticate", "Allow"]
SERVER_ERROR = "A server error occurred."


@dataclass(frozen=True)
class MockState:
    """What the running app is made of; the CLI prints from it, tests look at it."""

    settings: Settings
    spec: Spec
    fixtures: FixtureSet
    store: BackupStore


async def server_error(request: Request, exc: Exception) -> Response:
    return json_response({"detail": SERVER_ERROR}, 500)


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the mock; raises SpecError or FixtureError when either is unusable."""
    settings = settings or Settings()
    spec = Spec.load(settings.spec_path)
    catalog = ErrorCatalog.from_spec(spec)
    serializers = Serializers.from_spec(spec)
    fixtures = load_fixtures(settings.fixtures_dir, spec)
    store = BackupStore(fixtures, serializers)
    authenticator = Authenticator(fixtures.users, catalog)
    api = BackupApi(spec, store, authenticator, catalog, serializers)
    routes = build_routes(spec, api.handlers, authenticator, API_PREFIXES) + control_routes(store)
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=CORS_METHODS,
            allow_headers=["*"],
            expose_headers=CORS_EXPOSED,
        ),
        Middleware(BodyLimitMiddleware, catalog=catalog),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={404: not_found, HTTPException: http_exception, Exception: server_error},
    )
    app.router.redirect_slashes = False
    app.state.mock = MockState(settings, spec, fixtures, store)
    return app
