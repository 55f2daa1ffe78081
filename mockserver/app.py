"""The application factory: spec, fixtures and store wired into a Starlette app."""

from __future__ import annotations

import contextlib
import gc
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from mockserver.api.access import Access
from mockserver.api.auth import Authenticator, Forms
from mockserver.api.endpoints import BackupApi
from mockserver.api.errors import SERVER_ERROR, ErrorCatalog
from mockserver.api.examples import Answers, canned_answers
from mockserver.api.responses import json_response
from mockserver.api.routing import ApiRoute, build_routes, http_exception, not_found
from mockserver.control.filters import operation_finder
from mockserver.control.guard import ControlGuard
from mockserver.control.journal import AccessLog, Journal
from mockserver.control.panel import panel_routes
from mockserver.control.redaction import Redactor
from mockserver.control.routes import check_no_shadowing, control_routes
from mockserver.control.scenarios import scenario_routes
from mockserver.data.fixtures import FixtureSet, load_fixtures
from mockserver.data.records import RecordShape
from mockserver.data.serializers import Serializers
from mockserver.frontend.docs import docs_routes
from mockserver.frontend.latency import Latency
from mockserver.frontend.reload import FixtureReloader, watching
from mockserver.frontend.rule_file import RuleFile
from mockserver.frontend.rules import RuleBook
from mockserver.frontend.scenarios import APPLIED, Scenarios
from mockserver.gateway import Gateway
from mockserver.proxy import EXPOSED
from mockserver.proxy.routes import violation_routes
from mockserver.settings import Settings
from mockserver.spec import ApiModel, Spec, load_model
from mockserver.spec.model import CredentialForm
from mockserver.store.backups import BackupStore
from mockserver.store.created import CreatedBackups, warn
from mockserver.store.database import Database
from mockserver.store.dynamic import DynamicStore

if TYPE_CHECKING:
    from mockserver.proxy.relay import Proxy

CORS_METHODS = ["GET", "POST", "HEAD", "OPTIONS"]
CORS_EXPOSED = ["Location", "WWW-Authenticate", "Allow", APPLIED, *EXPOSED]
REAL_SIDS = 10  # fixture sids put into forced success examples


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
    model: ApiModel | None = None
    rules: RuleBook | None = None  # the scenario rules in force
    proxy: Proxy | None = None  # --proxy: the upstream, the violations found, the recording


class MockApp(Starlette):
    """Starlette with the mock's gateway (gateway.py) in front of its own stack, instead of middleware."""

    def __init__(self, gateway: Callable[[ASGIApp], ASGIApp], **options: Any) -> None:
        super().__init__(**options)
        self._gateway = gateway

    def build_middleware_stack(self) -> ASGIApp:
        return self._gateway(super().build_middleware_stack())


async def server_error(request: Request, exc: Exception) -> Response:
    return json_response({"detail": SERVER_ERROR}, 500)


def load_world(settings: Settings) -> tuple[ApiModel, RecordShape, FixtureSet]:
    """The checked spec, the record shape it gives backups and the checked fixtures."""
    model = load_model(Spec.load(settings.spec_path))
    check_no_shadowing(model)
    shape = RecordShape(model)
    fixtures = load_fixtures(settings.fixtures_dir, shape, settings.fixture_cache())
    return model, shape, fixtures


def _all_forms(model: ApiModel) -> Forms:
    forms: list[CredentialForm] = []
    for operation in model.operations.values():
        forms += [form for form in operation.forms or () if form not in forms]
    return Forms.of(forms)


def _answers(model: ApiModel, store: BackupStore) -> Callable[[], Answers]:
    """The documented answers with the demo organization's newest sids in their examples (cached
    until the store changes)."""
    cache: dict[int, Answers] = {}

    def answers() -> Answers:
        version = store.version()
        found = cache.get(version)
        if found is None:
            organization = store.fixtures.demo_organization("primary")
            organization_sid = organization.sid if organization else next(iter(store.fixtures.organizations), None)
            sids = [entry.backup.sid for entry in store.slice(organization_sid, 0, REAL_SIDS)] \
                if organization_sid else []
            cache.clear()
            found = cache[version] = canned_answers(model, sids)
        return found

    return answers


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the mock; raises SpecError or FixtureError when either is unusable."""
    settings = settings or Settings()
    model, shape, fixtures = load_world(settings)
    serializers = Serializers(model, shape)
    database = Database(settings.state_path)
    created = CreatedBackups(database, serializers)
    restored = created.restore(str(settings.state_path)) if settings.state_path else 0
    store = BackupStore(fixtures, serializers, created, settings.create_delay)
    for organization, count in store.orphans().items():
        warn(f"{settings.state_path}: {count} created backup(s) of organization {organization!r}, which the "
             f"fixtures do not have, are kept in the file (not served until the organization is back)")
    serializers.verify(store.sample(), model.spec.source)
    users = Authenticator(fixtures.users)
    seed = settings.seed if settings.seed is not None else secrets.randbelow(1_000_000)
    answers = _answers(model, store)
    api = BackupApi(model, store, users, serializers, answers)
    generated = DynamicStore(store, settings.dynamic_count, seed)
    dynamic_api = BackupApi(model, generated, users, serializers, answers)
    latency = Latency(*settings.latency) if settings.latency and settings.latency[1] > 0 else None
    everyone = ErrorCatalog.build(model)
    all_forms = _all_forms(model)

    def identify(headers: list[tuple[bytes, bytes]], query: bytes) -> str | None:
        user = users.identify(headers, all_forms, everyone, query)
        return user.name if user is not None else None

    rules = RuleBook(model, answers, lambda: store.fixtures)
    rule_file = RuleFile(settings.scenarios_path, rules) if settings.scenarios_path else None
    if rule_file is not None:
        rule_file.load()
    scenarios = Scenarios(model, answers, latency, settings.dynamic, rules, identify, generated.organization_of)
    proxy = None
    if settings.proxy_url:  # issue 12: the operations' handlers forward instead (imported only then: httpx)
        from mockserver.proxy.relay import build_proxy

        proxy = build_proxy(settings, model, shape, api.handlers)
    handlers = scenarios.wrap(proxy.handlers() if proxy else api.handlers, dynamic_api.handlers)
    redactor = Redactor(user.token for user in fixtures.users)
    journal = Journal(settings.journal_size, identify, redactor, settings.journal_bytes, operation_finder(model))
    guards: dict[str, Access] = api.access
    routes = (
        build_routes(model, handlers, guards, proxy.options if proxy else None)
        + control_routes(store, journal if settings.journal_size > 0 else None, rules, model)
        + violation_routes(proxy.book if proxy else None)
        + scenario_routes(rules)
        + panel_routes()
        + docs_routes(model, store)
    )
    log = AccessLog(redactor=redactor) if settings.access_log else None

    def gateway(inner: ASGIApp) -> ASGIApp:
        return Gateway(inner, [route for route in routes if isinstance(route, ApiRoute)],
                       journal=journal if settings.journal_size > 0 else None, log=log,
                       guard=ControlGuard(settings.host, settings.control_from_anywhere),
                       cors_options={"allow_origins": list(settings.cors_origins), "allow_methods": CORS_METHODS,
                                     "allow_headers": ["*"], "expose_headers": CORS_EXPOSED},
                       catalog=everyone, allowed_hosts=settings.allowed_hosts)
    watchers = []
    if settings.watch_fixtures:
        def reloaded(new: FixtureSet) -> None:
            redactor.replace_tokens(user.token for user in new.users)
            app.state.mock = replace(app.state.mock, fixtures=new)

        reloader = FixtureReloader(settings.fixtures_dir, shape, store, users, reloaded, settings.fixture_cache())
        watchers.append(reloader.watch)
        if rule_file is not None:
            watchers.append(rule_file.watch)
    watched = watching(*watchers) if watchers else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Watch the fixtures (and the rules file) while serving, and proxy; close the state database after."""
        try:
            async with contextlib.AsyncExitStack() as serving:
                if proxy is not None:
                    await serving.enter_async_context(proxy.serving())
                if watched is not None:
                    await serving.enter_async_context(watched(app))
                yield
        finally:
            if log is not None:
                log.flush()  # the last lines of the console log
            database.close()

    app = MockApp(
        gateway,
        routes=routes,
        exception_handlers={404: not_found, HTTPException: http_exception, Exception: server_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.mock = MockState(settings, model.spec, fixtures, store, seed, journal, restored, model, rules, proxy)
    gc.collect()
    gc.freeze()  # what start-up built lives as long as the app: later collections skip it
    return app
