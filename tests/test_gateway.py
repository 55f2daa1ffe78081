"""The gateway's short way for API calls (no Origin, no body, no host list): what it sends is what the
long way sends. Each answer carries `Vary: Origin` once, the journal records its status, and an
exception in a handler is DRF's JSON 500 (recorded as 500), whether the endpoint's Response is
plain JSON bytes or one that sends itself (a fault, a trickled body).

In process (Starlette's TestClient): the journal's records and a store that raises are looked at
directly, which a request over HTTP cannot do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockserver.api.errors import SERVER_ERROR
from mockserver.app import create_app
from mockserver.cli import demo_credentials
from mockserver.settings import Settings
from tests.urls import detail_url, list_url, token


@pytest.fixture
def served() -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(Settings())
    state = app.state.mock
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, demo_credentials(state.settings, state.fixtures, state.model.api_prefix)


def _statuses(client: TestClient) -> list[int]:
    journal = client.app.state.mock.journal  # type: ignore[attr-defined]
    return [record[5] for record in journal.kept()]


@pytest.mark.parametrize("headers, status", [
    ({}, 401),  # an ApiError's JSON
    ({"Prefer": "code=404"}, 404),  # a canned answer
    ({"Prefer": "fault=malformed"}, 200),  # a Response that is not the mock's JSON bytes
    ({"Prefer": "fault=slow-body, delay=10ms"}, 200),  # one that sends its body itself, in pieces
])
def test_every_api_answer_varies_on_origin_once_and_is_journaled_with_its_status(served, headers, status):
    client, creds = served
    sent = {**token(creds["admin_token"]), **headers} if headers else {}
    for url in (list_url(creds["org_sid"]), list_url(creds["org_sid"]) + "?page=2&page_size=5"):
        response = client.get(url, headers=sent)
        assert response.status_code == status
        assert response.headers.get_list("vary") == ["Origin"]
    assert _statuses(client) == [status, status]


def test_the_cached_page_and_the_detail_vary_on_origin_once(served):
    client, creds = served
    url = list_url(creds["org_sid"]) + "?page=2&page_size=5"
    bodies = [client.get(url, headers=token(creds["admin_token"])) for _ in range(3)]  # the third from the cache
    assert {answer.content for answer in bodies} == {bodies[0].content}
    assert [answer.headers.get_list("vary") for answer in bodies] == [["Origin"]] * 3
    sid = bodies[0].json()["results"][0]["sid"]
    detail = client.get(detail_url(sid), headers=token(creds["admin_token"]))
    assert (detail.status_code, detail.headers.get_list("vary")) == (200, ["Origin"])
    assert _statuses(client) == [200, 200, 200, 200]


def test_an_exception_in_a_handler_is_a_json_500_and_journaled_as_500(served):
    client, creds = served
    store = client.app.state.mock.store  # type: ignore[attr-defined]

    def broken() -> int:
        raise RuntimeError("the store broke")

    store.version = broken
    response = client.get(list_url(creds["org_sid"]), headers=token(creds["admin_token"]))
    assert (response.status_code, response.json()) == (500, {"detail": SERVER_ERROR})
    assert _statuses(client) == [500]


def test_a_request_with_origin_takes_the_long_way_with_the_same_answer(served):
    client, creds = served
    url = list_url(creds["org_sid"])
    plain = client.get(url, headers=token(creds["admin_token"]))
    cors = client.get(url, headers={**token(creds["admin_token"]), "Origin": "http://localhost:3000"})
    assert (cors.status_code, cors.content) == (plain.status_code, plain.content)
    assert cors.headers["access-control-allow-origin"] in ("*", "http://localhost:3000")
    assert _statuses(client) == [200, 200]
