"""The application factory: spec, fixtures and store wired into a Starlette app."""

from __future__ import annotations

import gc
import secrets
from dataclasses import dataclass, replace

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from mockserver.api.auth import Authenticator
from mockserver.middleware.cors import CrossOriginOnly
from mockserver.control.routes import check_no_shadowing, control_routes
from mockserver.frontend.docs import docs_routes
from mockserver.data.dynamic import DynamicStore
from mockserver.api.endpoints import BackupApi
from mockserver.api.errors import ErrorCatalog
from mockserver.data.fixtures import FixtureSet, load_fixtures
from mockserver.control.journal import AccessLog, Journal, JournalMiddleware
from mockserver.frontend.latency import Latency
from mockserver.middleware.limits import BodyLimitMiddleware
from mockserver.store.persistence import StateFile
from mockserver.frontend.reload import FixtureReloader
from mockserver.api.responses import json_response
from mockserver.api.routing import build_routes, http_exception, not_found
from mockserver.frontend.scenarios import APPLIED, Scenarios
from mockserver.data.serializers import Serializers
from mockserver.settings import API_PREFIXES, Settings
from mockserver.spec.document import Spec
from mockserver.store.memory import BackupStore

CORS_METHODS = ["GET", "POST", "HEAD", "OPTIONS"]
CORS_EXPOSED = ["Location", "WWW-Authenticate", "Allow", APPLIED]
SERVER_ERROR = "A server error occurred."


@dataclass(frozen=True)
class MockState:
    """What the running app is made of; the CLI prints from it, tests look at it."""

    settings: Settings
    spec: Spec
    fixtures: FixtureSet
    store: BackupStore
    dynamic_seed: int = 0  # the seed of generated data (chosen at start-up unless --seed)
    journal: Journal | None = None
    restored: int = 0  # backups restored from the --state file


async def server_error(request: Request, exc: Exception) -> Response:
    return json_response({"detail": SERVER_ERROR}, 500)


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the mock; raises SpecError or FixtureError when either is unusable."""
    settings = settings or Settings()
    spec = Spec.load(settings.spec_path)
    check_no_shadowing(spec, API_PREFIXES)
    catalog = ErrorCatalog.from_spec(spec)
    serializers = Serializers.from_spec(spec)
    cache = settings.fixture_cache()
    fixtures = load_fixtures(settings.fixtures_dir, spec, cache)
    store = BackupStore(fixtures, serializers, settings.create_delay)
    restored = StateFile(settings.state_path, spec, store).attach() if settings.state_path else 0
    authenticator = Authenticator(fixtures.users, catalog)
    api = BackupApi(spec, store, authenticator, catalog, serializers)
    seed = settings.seed if settings.seed is not None else secrets.randbelow(1_000_000)
    dynamic_api = BackupApi(spec, DynamicStore(store, spec, settings.dynamic_count, seed),  # type: ignore[arg-type]
                            authenticator, catalog, serializers)
    latency = Latency(*settings.latency) if settings.latency and settings.latency[1] > 0 else None
    handlers = Scenarios(spec, latency, settings.dynamic).wrap(api.handlers, dynamic_api.handlers)
    journal = Journal(settings.journal_size, authenticator)
    routes = (
        build_routes(spec, handlers, authenticator, API_PREFIXES)
        + control_routes(store, journal, settings.control_from_anywhere)
        + docs_routes(spec, store)
    )
    middleware = [
        Middleware(
            CrossOriginOnly,
            allow_origins=list(settings.cors_origins),
            allow_methods=CORS_METHODS,
            allow_headers=["*"],
            expose_headers=CORS_EXPOSED,
        ),
        Middleware(BodyLimitMiddleware, catalog=catalog),
    ]
    if settings.journal_size > 0 or settings.access_log:
        log = AccessLog() if settings.access_log else None
        kept = journal if settings.journal_size > 0 else None
        middleware.insert(0, Middleware(JournalMiddleware, journal=kept, log=log))
    reloader = None
    if settings.watch_fixtures:
        def reloaded(new: FixtureSet) -> None:
            app.state.mock = replace(app.state.mock, fixtures=new)

        reloader = FixtureReloader(settings.fixtures_dir, spec, store, authenticator, reloaded, cache)
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={404: not_found, HTTPException: http_exception, Exception: server_error},
        lifespan=reloader.running if reloader else None,
    )
    app.router.redirect_slashes = False
    app.state.mock = MockState(settings, spec, fixtures, store, seed, journal, restored)
    gc.collect()
    gc.freeze()  # what start-up built lives as long as the app: later collections skip it
    return app
