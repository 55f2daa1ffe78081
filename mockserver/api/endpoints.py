"""The three documented operations, keyed by their operationId in openapi.yaml.

Each handler takes a Starlette request and returns a response or raises ApiError. The
allowed levels and serializers, the page size default and cap come from the spec.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from mockserver.api.auth import Authenticator
from mockserver.api.errors import ErrorCatalog
from mockserver.data.models import ADMIN, User
from mockserver.api.pagination import InvalidPage, PageLinks, page_size, paginate
from mockserver.api.responses import json_bytes
from mockserver.data.serializers import DETAIL_SERIALIZER, LIST_OPERATION, Serializers
from mockserver.spec.document import Spec
from mockserver.store.memory import BackupStore

Handler = Callable[[Request], Awaitable[Response]]

PAGE_CACHE_ENTRIES = 256  # pages kept per API instance...
PAGE_CACHE_MAX_BODY = 32 * 1024  # ...of at most this size: 8 MB at worst
CREATE_STATUS = 200  # the Backup page's status for POST; the spec accepts 201 too


class BackupApi:
    def __init__(
        self,
        spec: Spec,
        store: BackupStore,
        authenticator: Authenticator,
        catalog: ErrorCatalog,
        serializers: Serializers,
    ) -> None:
        self.store = store
        self.auth = authenticator
        self.errors = catalog
        self.serializers = serializers
        self.levels = frozenset(spec.allowed_values(LIST_OPERATION, "path", "level"))
        self.default_page_size = int(spec.parameter_default(LIST_OPERATION, "page_size"))
        self.max_page_size = spec.max_page_size(LIST_OPERATION)
        self._pages: dict[tuple[object, ...], tuple[int, bytes]] = {}  # bounded: see list_backups

    @property
    def handlers(self) -> dict[str, Handler]:
        return {
            "listBackups": self.list_backups,
            "createBackup": self.create_backup,
            "getBackup": self.get_backup,
        }

    def authenticate(self, request: Request) -> User:
        return self.auth.authenticate(request.scope["headers"])

    def _admin_list_access(self, request: Request) -> tuple[User, str, str]:
        """The list path's checks, in the documented order; returns (user, org sid, serializer)."""
        user = self.authenticate(request)
        params = request.path_params
        if params["level"] not in self.levels:
            raise self.errors.error("wrong_level")
        organization = params["sid"]
        role = user.role_in(organization)
        if role is None:
            raise self.errors.error("wrong_id")
        serializer = params["serializer"]
        if serializer not in self.serializers.fields:
            raise self.errors.error("wrong_serializer")
        if role != ADMIN:
            raise self.errors.error("permission_denied")
        return user, organization, serializer

    async def list_backups(self, request: Request) -> Response:
        _, organization, serializer = self._admin_list_access(request)
        scope = request.scope
        # Same request, same lists: the same bytes (the links depend on the URL and Host too).
        key = (organization, serializer, scope["scheme"], tuple(scope.get("server") or ()), scope["root_path"],
               scope["path"], scope["query_string"], _host(scope["headers"]))
        version = self.store.version()
        cached = self._pages.get(key)
        if cached is not None and cached[0] == version:
            return json_bytes(cached[1])
        body = self._page(request, organization, serializer)
        if len(body) <= PAGE_CACHE_MAX_BODY:
            if len(self._pages) >= PAGE_CACHE_ENTRIES:
                self._pages.clear()
            self._pages[key] = (version, body)
        return json_bytes(body)

    def _page(self, request: Request, organization: str, serializer: str) -> bytes:
        query = request.query_params
        size = page_size(query.get("page_size"), self.default_page_size, self.max_page_size)
        count = self.store.count(organization)
        try:
            page = paginate(query.get("page"), size, count)
        except InvalidPage:
            raise self.errors.error("invalid_page") from None
        links = PageLinks(str(request.url)) if page.num_pages > 1 else None
        envelope = {
            "page_size": size,
            "page_number": page.number,
            "page_count": page.num_pages,
            "count": count,
            "next": links.next(page) if links else None,
            "previous": links.previous(page) if links else None,
            "add_permission": True,  # only Admins get this far, and Admins may create
        }
        entries = self.store.slice(organization, page.start, page.stop)
        return self.serializers.render_page(envelope, [entry.rendered[serializer] for entry in entries])

    async def create_backup(self, request: Request) -> Response:
        _, organization, _ = self._admin_list_access(request)
        entry = self.store.create(organization)
        return json_bytes(entry.rendered[DETAIL_SERIALIZER], CREATE_STATUS)

    async def get_backup(self, request: Request) -> Response:
        user = self.authenticate(request)
        entry = self.store.get(request.path_params["sid"])
        role = user.role_in(entry.backup.organization) if entry else None
        if entry is None or role is None:
            raise self.errors.error("wrong_id")
        if role != ADMIN:
            raise self.errors.error("permission_denied")
        return json_bytes(entry.rendered[DETAIL_SERIALIZER])


def _host(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == b"host":
            return value
    return None
