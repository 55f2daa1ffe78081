"""One handler per operation of the spec, chosen by the operation's `x-role`.

`list` answers one page of the organization's backups (pagination.py), `create` makes one
(factory.py), `detail` reads one; an operation without a role is answered from its documented
examples (examples.py). Each is guarded by the operation's access checks (access.py) first.
Levels, serializers, the page-size default and cap, the views a backup is rendered in and
the success statuses all come from the spec.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from mockserver.api.access import Access, Entries
from mockserver.api.auth import Authenticator
from mockserver.api.examples import Canned, example_answer
from mockserver.api.pagination import (
    InvalidPage,
    Page,
    PageLinks,
    page_number,
    page_size,
    plain_links,
    plain_name,
    plain_query,
)
from mockserver.api.responses import json_bytes
from mockserver.data.serializers import Serializers
from mockserver.spec.model import CREATE, DETAIL, LIST, PAGE, PAGE_SIZE, ApiModel, Operation
from mockserver.store.entry import Entry

Handler = Callable[[Request], Awaitable[Response]]

PAGE_CACHE_ENTRIES = 256  # pages kept per API instance...
PAGE_CACHE_MAX_BODY = 32 * 1024  # ...of at most this size: 8 MB at worst
BASES_KEPT = 1024
SEEN_KEPT = 4096  # page requests remembered as seen once (see BackupApi._admit)


class Store(Entries, Protocol):
    """What the handlers need of a store (the in-memory one, or generated data)."""

    def version(self) -> int: ...
    def count(self, organization: str) -> int: ...
    def slice(self, organization: str, start: int, stop: int) -> list[Entry]: ...
    def get(self, sid: str) -> Entry | None: ...
    def create(self, organization: str) -> Entry: ...


class BackupApi:
    """The handlers of every operation, over one store."""

    def __init__(self, model: ApiModel, store: Store, users: Authenticator, serializers: Serializers,
                 canned: Callable[[], dict[str, dict[str, dict[str, Canned]]]]) -> None:
        self.model = model
        self.store = store
        self.users = users
        self.serializers = serializers
        self.canned = canned
        self.access = {operation_id: Access(model, operation, users)
                       for operation_id, operation in model.operations.items()}
        self._pages: dict[tuple[object, ...], tuple[int, bytes]] = {}  # bounded: see list_backups
        self._bases: dict[tuple[object, ...], str | None] = {}  # the URLs links start with (see _base)
        self._seen: set[int] = set()  # hashes of the page requests seen once (see _admit)
        # each page's skeleton (its bytes but the links, the same for every URL of it): bounded as the pages
        self._skeletons: dict[tuple[object, ...], tuple[int, tuple[bytes, ...]]] = {}

    @property
    def handlers(self) -> dict[str, Handler]:
        makers = {LIST: self._list, CREATE: self._create, DETAIL: self._detail}
        return {operation_id: makers.get(operation.role or "", self._examples)(operation)
                for operation_id, operation in self.model.operations.items()}

    def _grant(self, access: Access, request: Request) -> Any:
        scope = request.scope
        return access.check(scope["headers"], scope["query_string"], request.path_params, self.store)

    # -- list -------------------------------------------------------------------------------

    def _list(self, operation: Operation) -> Handler:
        access = self.access[operation.operation_id]
        page_model = self.model.page
        assert page_model is not None  # a list operation makes the model build one
        page_param = operation.param(PAGE)
        size_param = operation.param(PAGE_SIZE)
        page_name = page_param.name if page_param else None
        size_name = size_param.name if size_param else None
        creators = [other for other in self.model.by_role(CREATE) if other.path == operation.path]
        may_create = {role: any(other.allowed_roles is None or role in other.allowed_roles for other in creators)
                      for role in ("Admin", "Member", "Alumni", "User", None)}
        store, serializers = self.store, self.serializers
        link_key = page_name or "page"
        plain_key = plain_name(link_key)
        slots = {name: serializers.slot(f"serializer:{name}") for name in serializers.serializer_names}
        skeletons = self._skeletons
        default_size, max_size = page_model.default_size, page_model.max_size

        def page(request: Request, organization: str, serializer: str, role: str | None, host: bytes | None,
                 version: int) -> bytes:
            plain = plain_query(request.scope["query_string"], link_key) if plain_key else None
            query: Mapping[str, str] = plain[0] if plain is not None else request.query_params
            size = page_size(query.get(size_name) if size_name else None, default_size, max_size)
            count = store.count(organization)
            try:
                number, pages = page_number(query.get(page_name) if page_name else None, size, count)
            except InvalidPage:
                raise access.errors.error("invalid_page") from None
            slot = slots[serializer]
            permission = may_create.get(role, False)
            # every URL of a page shares its skeleton (all but the links): made once per list version
            skeleton_key = (organization, slot, permission, size, number)
            kept = skeletons.get(skeleton_key)
            if kept is not None and kept[0] == version:
                skeleton = kept[1]
            else:
                start = (number - 1) * size
                skeleton = serializers.page_skeleton(size, number, pages, count, permission,
                                                     [entry.rendered[slot] for entry in store.slice(
                                                         organization, start, min(start + size, count))])
                if sum(map(len, skeleton)) <= PAGE_CACHE_MAX_BODY:
                    if len(skeletons) >= PAGE_CACHE_ENTRIES:
                        skeletons.clear()
                    skeletons[skeleton_key] = (version, skeleton)
            if pages == 1:
                return serializers.with_links(skeleton, None, None, True)
            base = self._base(request, host) if plain is not None else None
            if base is not None and plain is not None:  # links joined from strings, known to be JSON-safe
                next_link, previous_link = plain_links(base, plain[1], plain[2], link_key, number, pages)
                return serializers.with_links(skeleton, next_link, previous_link, True)
            links, current = PageLinks(str(request.url), link_key), Page(number, size, count, pages)
            return serializers.with_links(skeleton, links.next(current), links.previous(current))

        async def list_backups(request: Request) -> Response:
            grant = self._grant(access, request)
            scope = request.scope
            host = _host(scope["headers"])
            # Same request, same lists: the same bytes (the links depend on the URL and Host too).
            key = (grant.organization, grant.serializer, grant.role, scope["scheme"], tuple(scope.get("server") or ()),
                   scope["root_path"], scope["path"], scope["query_string"], host)
            version = store.version()
            cached = self._pages.get(key)
            if cached is not None and cached[0] == version:
                return json_bytes(cached[1])
            body = page(request, grant.organization, grant.serializer, grant.role, host, version)
            if len(body) <= PAGE_CACHE_MAX_BODY and (cached is not None or self._admit(key)):
                if len(self._pages) >= PAGE_CACHE_ENTRIES:
                    self._pages.clear()
                self._pages[key] = (version, body)
            return json_bytes(body)

        return list_backups

    def _admit(self, key: tuple[object, ...]) -> bool:
        """Whether a page asked for is worth keeping: the second time its request is seen. A URL asked
        for once (a new page, size or filter every time) costs no cache entry, and does not push out
        the pages that repeat; only the requests' hashes are remembered, a bounded number of them."""
        seen = self._seen
        digest = hash(key)
        if digest in seen:
            return True
        if len(seen) >= SEEN_KEPT:
            seen.clear()
        seen.add(digest)
        return False

    def _base(self, request: Request, host: bytes | None) -> str | None:
        """The request's URL without its query (for links), when it is plain printable ASCII that
        parsing gives back unchanged and JSON writes as it is (no `"` or backslash: a link made of it
        and a plain query needs no check before it goes into a page); made once per address, path
        and Host."""
        scope = request.scope
        key = (scope["scheme"], tuple(scope.get("server") or ()), scope["root_path"], scope["path"], host)
        base = self._bases.get(key, False)
        if base is False:
            text = str(request.url.replace(query=""))
            plain = text.isascii() and text.isprintable() and not any(mark in text for mark in '?#"\\')
            base = text if plain else None
            if len(self._bases) >= BASES_KEPT:
                self._bases.clear()
            self._bases[key] = base
        return base  # type: ignore[return-value]

    # -- create and detail -------------------------------------------------------------------

    def _create(self, operation: Operation) -> Handler:
        access = self.access[operation.operation_id]
        status = int(operation.success_status or 200)
        slot = self.serializers.slot(f"create:{operation.operation_id}")

        async def create_backup(request: Request) -> Response:
            grant = self._grant(access, request)
            entry = self.store.create(grant.organization)
            return json_bytes(entry.rendered[slot], status)

        return create_backup

    def _detail(self, operation: Operation) -> Handler:
        access = self.access[operation.operation_id]
        status = int(operation.success_status or 200)
        slot = self.serializers.slot(f"detail:{operation.operation_id}")

        async def get_backup(request: Request) -> Response:
            grant = self._grant(access, request)
            entry = self.store.get(grant.backup)
            if entry is None:  # gone between the check and now (a reload): as if never there
                raise access.errors.error("wrong_id")
            return json_bytes(entry.rendered[slot], status)

        return get_backup

    # -- everything else ---------------------------------------------------------------------

    def _examples(self, operation: Operation) -> Handler:
        access = self.access[operation.operation_id]

        async def answer_from_examples(request: Request) -> Response:
            self._grant(access, request)
            return example_answer(self.canned(), operation)

        return answer_from_examples


def _host(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == b"host":
            return value
    return None
