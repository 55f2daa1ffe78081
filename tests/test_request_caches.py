"""What the request path remembers: the list handler's pages (a page that repeats is kept from
its second answer on, a page asked for once never takes a place, a change to the list is seen
at once), its pages' skeletons (one per page whatever its URL, each URL with its own links, made
again when the list changes) and the gateway's matched paths (the same route, a params dict of
the request's own).

The handler and the routes are driven directly (no server): what is looked at is what they keep,
which a request over HTTP cannot see.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from starlette.requests import Request

from mockserver.api.auth import Authenticator
from mockserver.api.endpoints import PAGE_CACHE_ENTRIES, SEEN_KEPT, BackupApi
from mockserver.api.pagination import PageLinks, paginate
from mockserver.data.fixtures import FixtureSet
from mockserver.data.models import Organization, User
from mockserver.store.backups import BackupStore
from mockserver.store.created import CreatedBackups
from mockserver.store.database import Database
from tests.test_store import MODEL, ORG, SERIALIZERS, backup

TOKEN = "page-cache-admin-token"
LIST = next(operation for operation in MODEL.operations.values() if operation.role == "list")
BY_ROLE = {"level": "organization", "organization": ORG, "serializer": "list"}
PARAMS = {param.name: BY_ROLE[param.role] for param in LIST.parameters if param.role in BY_ROLE}
PATH = LIST.path.format(**PARAMS)


def _api() -> tuple[BackupApi, BackupStore, Any]:
    fixtures = FixtureSet(Path("."), {ORG: Organization(ORG, "Org")}, (User("Ada", TOKEN, {ORG: "Admin"}),),
                          tuple(backup(index, index) for index in range(12)))
    store = BackupStore(fixtures, SERIALIZERS, CreatedBackups(Database(None), SERIALIZERS))
    api = BackupApi(MODEL, store, Authenticator(fixtures.users), SERIALIZERS, dict)
    return api, store, api.handlers[LIST.operation_id]


def _get(handler: Any, query: str, path: str = PATH) -> bytes:
    scope = {"type": "http", "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": query.encode(), "server": ("127.0.0.1", 4010),
             "headers": [(b"host", b"127.0.0.1:4010"), (b"authorization", f"Token {TOKEN}".encode())],
             "path_params": PARAMS}
    response = asyncio.run(handler(Request(scope)))
    assert response.status_code == 200
    body: bytes = response.body
    return body


def test_a_page_is_kept_from_its_second_answer_on_and_then_served_as_kept() -> None:
    api, _, handler = _api()
    first = _get(handler, "page=2&page_size=5")
    assert api._pages == {}, "a page asked for once took a place in the cache"
    second = _get(handler, "page=2&page_size=5")
    assert second == first and [body for _, body in api._pages.values()] == [second]
    third = _get(handler, "page=2&page_size=5")
    assert third is second, "the third answer was made again instead of served from the cache"


def test_pages_asked_for_once_never_take_a_place() -> None:
    api, _, handler = _api()
    kept = _get(handler, "page=1&page_size=5") and _get(handler, "page=1&page_size=5")
    for number in range(50):
        _get(handler, f"page=1&page_size=5&n={number}")
    assert [body for _, body in api._pages.values()] == [kept]


def test_a_created_backup_is_on_the_kept_page_at_once() -> None:
    api, store, handler = _api()
    for _ in range(3):
        before = json.loads(_get(handler, "page_size=5"))
    made = store.create(ORG)
    after = json.loads(_get(handler, "page_size=5"))
    assert after["count"] == before["count"] + 1
    assert after["results"][0]["sid"] == made.sid
    assert json.loads(_get(handler, "page_size=5")) == after


def test_the_requests_seen_once_are_bounded() -> None:
    api, _, _ = _api()
    for number in range(SEEN_KEPT + 10):
        assert api._admit(("key", number)) is False
    assert len(api._seen) <= SEEN_KEPT
    assert api._admit(("key", SEEN_KEPT + 9)) is True


def test_a_remembered_path_gives_the_same_route_and_a_params_dict_of_its_own() -> None:
    from mockserver.app import create_app
    from mockserver.gateway import PATHS_KEPT, ApiRoutes
    from mockserver.settings import Settings

    routes = create_app(Settings()).build_middleware_stack().api
    assert isinstance(routes, ApiRoutes)
    first = routes.match(PATH)
    assert first is not None and first[1] == PARAMS
    first[1]["sid"] = "changed by a handler"
    again = routes.match(PATH)
    assert again is not None and again[0] is first[0] and again[1] == PARAMS
    assert routes.match(PATH + "nope/") is None and routes.match("/elsewhere/") is None
    for number in range(PATHS_KEPT + 5):
        routes.match(LIST.path.format(**{**PARAMS, "sid": f"org{number}"}))
    assert len(routes._known) <= PATHS_KEPT


def _links(query: str) -> tuple[str | None, str | None]:
    """The page's links as DRF's replace_query_param and remove_query_param make them."""
    links = PageLinks(f"http://127.0.0.1:4010{PATH}?{query}", "page")
    page = paginate(dict(pair.split("=") for pair in query.split("&")).get("page"), 5, 12)
    return links.next(page), links.previous(page)


def test_the_urls_of_one_page_share_its_skeleton_each_with_its_own_links() -> None:
    api, _, handler = _api()
    queries = [f"page=2&page_size=5&n={number}" for number in range(3)] + ["a=1&page_size=5&page=2&z=x"]
    pages = [json.loads(_get(handler, query)) for query in queries]
    assert len(api._skeletons) == 1, "one page asked for by four URLs took more than one skeleton"
    assert len({json.dumps(page["results"]) for page in pages}) == 1
    for query, page in zip(queries, pages, strict=True):
        assert (page["next"], page["previous"]) == _links(query)
        assert (page["count"], page["page_number"], page["page_count"], page["page_size"]) == (12, 2, 3, 5)
    for number in (1, 3):
        _get(handler, f"page={number}&page_size=5&n=0")
    assert len(api._skeletons) == 3


def test_a_skeleton_is_made_again_when_the_list_changes() -> None:
    api, store, handler = _api()
    before = json.loads(_get(handler, "page_size=5&n=1"))
    made = store.create(ORG)
    after = json.loads(_get(handler, "page_size=5&n=2"))
    assert (after["count"], after["page_count"]) == (before["count"] + 1, 3)
    assert after["results"][0]["sid"] == made.sid and after["results"][1:] == before["results"][:4]
    assert after["next"] == _links("page_size=5&n=2")[0]


def test_the_skeletons_are_bounded() -> None:
    api, _, handler = _api()
    for size in range(1, PAGE_CACHE_ENTRIES + 20):  # each size its own page 1: more skeletons than are kept
        _get(handler, f"page=1&page_size={size}&n=once")
    assert 0 < len(api._skeletons) <= PAGE_CACHE_ENTRIES


def test_a_link_json_must_escape_is_escaped_on_the_plain_way_too() -> None:
    """A plain query's links are written as they are only when the URL before the query needs no
    escape: a path with a quote (the handler is given its parameters: the path is only the links')
    gives links that JSON escapes, the same as DRF's."""
    _, _, handler = _api()
    for path in (PATH + 'quo"te/', PATH):
        for _ in range(3):  # the first answer, and the one the page cache keeps
            body = _get(handler, "page=2&page_size=5&n=1", path)
            page = json.loads(body)
            base = f"http://127.0.0.1:4010{path}"
            assert page["next"] == f"{base}?n=1&page=3&page_size=5"
            assert page["previous"] == f"{base}?n=1&page_size=5"
            assert (b'quo\\"te' in body) == ('"' in path)
