"""--proxy in front of a second mock: the same answers, the same journal, the mock's own features in front."""

from __future__ import annotations

import httpx
import pytest

from tests.proxy_helpers import ADMIN, FOREIGN, FOREIGN_TOKEN, MEMBER, ORG, clear, journal, proxying
from tests.urls import detail_url, list_url, token

pytest_plugins = ["tests.proxy_servers"]
pytestmark = pytest.mark.integration
# Headers an answer must carry unchanged; the connection's own (date, content-length) may differ.
COMPARED = ("content-type", "www-authenticate", "allow", "location", "preference-applied")


@pytest.fixture(scope="module")
def proxy(upstream):
    with proxying(upstream.url + "/v1") as server:
        yield server


@pytest.fixture(autouse=True)
def clean(upstream, proxy):
    clear(upstream.url)
    clear(proxy.url)


def exchanges(detail_sid: str) -> list[tuple[str, str, dict[str, str]]]:
    """A session's requests: pages, serializers, every documented refusal, HEAD and OPTIONS."""
    return [
        ("GET", list_url(ORG) + "?page=2&page_size=5", token(ADMIN)),
        ("GET", list_url(ORG, "name") + "?page=last", {"Authorization": f"Bearer {ADMIN}"}),
        ("GET", list_url(ORG, "detail", prefix=""), {"token": ADMIN}),
        ("GET", list_url(FOREIGN), token(FOREIGN_TOKEN)),
        ("GET", detail_url(detail_sid), token(ADMIN)),
        ("GET", detail_url(detail_sid), token(MEMBER)),
        ("GET", list_url(ORG), {}),
        ("GET", list_url(ORG), token("0" * 40)),
        ("GET", list_url(ORG), token(MEMBER)),
        ("GET", list_url(ORG, level="user"), token(ADMIN)),
        ("GET", list_url(ORG, "summary"), token(ADMIN)),
        ("GET", list_url(FOREIGN), token(ADMIN)),
        ("GET", list_url(ORG) + "?page=99", token(ADMIN)),
        ("GET", detail_url("nosuchsid0a40x"), token(ADMIN)),
        ("HEAD", list_url(ORG), token(ADMIN)),
        ("OPTIONS", detail_url(detail_sid), token(ADMIN)),
    ]


def first_sid(base: str) -> str:
    page = httpx.get(base + list_url(ORG, "name"), headers=token(ADMIN), timeout=10)
    return str(page.json()["results"][0]["sid"])


def test_answers_through_the_proxy_are_the_upstreams(upstream, proxy):
    sid = first_sid(upstream.url)
    statuses = set()
    for method, path, headers in exchanges(sid):
        mapped = "/v1" + path.removeprefix("/v1")  # where the proxy sends it (links name that path)
        direct = httpx.request(method, upstream.url + mapped, headers=headers, timeout=10)
        proxied = httpx.request(method, proxy.url + path, headers=headers, timeout=10)
        where = f"{method} {path}"
        assert proxied.status_code == direct.status_code, where
        assert proxied.content == direct.content, where
        for name in COMPARED:
            assert proxied.headers.get(name) == direct.headers.get(name), (where, name)
        statuses.add(direct.status_code)
    assert statuses == {200, 401, 403, 404, 406}
    judged = [entry for entry in journal(proxy.url) if entry["method"] != "OPTIONS"]
    # The answers conform; two requests stray from the spec (a level and a serializer it does not list).
    strays = {(entry["path"], violation["rule"], violation["side"])
              for entry in judged for violation in entry["violations"]}
    assert strays == {(list_url(ORG, level="user"), "listBackups.param.level", "request"),
                      (list_url(ORG, "summary"), "listBackups.param.serializer", "request")}


def test_a_path_at_the_root_goes_to_the_upstream_under_its_path(upstream, proxy):
    answer = httpx.get(proxy.url + list_url(ORG, prefix=""), headers=token(ADMIN), timeout=10)
    assert answer.status_code == 200
    [seen] = journal(upstream.url)
    assert seen["path"] == list_url(ORG, prefix="/v1")


def test_the_journal_on_both_sides_agrees(upstream, proxy):
    sid = first_sid(upstream.url)
    clear(upstream.url)
    for method, path, headers in exchanges(sid):
        httpx.request(method, proxy.url + path, headers=headers, timeout=10)
    httpx.post(proxy.url + list_url(ORG, "detail"), headers=token(ADMIN), json={"note": "nightly"}, timeout=10)
    here, there = journal(proxy.url), journal(upstream.url)

    def seen(entry: dict) -> tuple:
        return (entry["method"], entry["path"].removeprefix("/v1"), entry["query"], entry["status"],
                entry["operation"], entry["user"], entry["body"])

    assert [seen(entry) for entry in here] == [seen(entry) for entry in there]
    assert len(here) == len(exchanges(sid)) + 1
    assert all(entry["proxy"] == {"outcome": "relayed"} for entry in here)
    assert [v for entry in here for v in entry["violations"] if v["side"] == "answer"] == []
    assert here[-1]["body"] == {"note": "nightly"} and there[-1]["status"] == 200


def test_a_create_happens_upstream_once_and_not_here(upstream, proxy):
    store = proxy.app.state.mock.store
    before, here = httpx.get(upstream.url + list_url(ORG), headers=token(ADMIN), timeout=10).json(), store.count(ORG)
    created = httpx.post(proxy.url + list_url(ORG, "detail"), headers=token(ADMIN), timeout=10)
    assert created.status_code == 200 and created.headers["contract-violations"] == "0; conforms"
    after = httpx.get(upstream.url + list_url(ORG), headers=token(ADMIN), timeout=10).json()
    assert after["count"] == before["count"] + 1 and after["results"][0]["sid"] == created.json()["sid"]
    assert store.count(ORG) == here


def test_forced_answers_and_rules_answer_here_and_reach_no_upstream(upstream, proxy):
    forced = httpx.get(proxy.url + list_url(ORG), headers={"Prefer": "code=503"}, timeout=10)
    assert forced.status_code == 503 and forced.headers["preference-applied"] == "code=503, documented=false"
    assert "contract-violations" not in forced.headers
    by_query = httpx.get(proxy.url + list_url(ORG) + "?__code=406&__example=wrongLevel", timeout=10)
    assert by_query.json() == {"detail": "Wrong level - the provided level is not acceptable"}
    rule = httpx.post(proxy.url + "/__mock/scenarios", json={"operation": "getBackup", "respond": {"code": 403}},
                      timeout=10)
    assert rule.status_code == 201
    by_rule = httpx.get(proxy.url + detail_url("xxx"), headers=token(ADMIN), timeout=10)
    assert by_rule.status_code == 403
    assert journal(upstream.url) == []
    entries = journal(proxy.url)
    assert [entry["status"] for entry in entries] == [503, 406, 403]
    assert all("proxy" not in entry and "violations" not in entry for entry in entries)


def test_a_delay_and_other_preferences_shape_the_relayed_answer(upstream, proxy):
    answer = httpx.get(proxy.url + list_url(ORG) + "?page=2&__delay=10ms", timeout=10,
                       headers={**token(ADMIN), "Prefer": "delay=10ms, return=minimal"})
    assert answer.status_code == 200 and answer.headers["preference-applied"] == "delay=10ms"
    [seen] = journal(upstream.url)
    assert seen["query"] == "page=2" and seen["headers"]["prefer"] == "return=minimal"
    [here] = journal(proxy.url)
    assert here["query"] == "page=2&__delay=10ms" and here["proxy"] == {"outcome": "relayed"}
    assert here["violations"] == []
    only_mine = httpx.get(proxy.url + list_url(ORG), headers={**token(ADMIN), "Prefer": "delay=0s"}, timeout=10)
    assert only_mine.status_code == 200
    assert "prefer" not in journal(upstream.url)[-1]["headers"]


def test_routing_answers_here_what_the_spec_does_not_document(upstream, proxy):
    moved = httpx.get(proxy.url + list_url(ORG).rstrip("/"), timeout=10)
    assert moved.status_code == 301 and moved.headers["location"].endswith(list_url(ORG))
    refused = httpx.delete(proxy.url + detail_url("xxx"), headers=token(ADMIN), timeout=10)
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD, OPTIONS"
    unknown = httpx.get(proxy.url + "/v1/organizations/nothing/", timeout=10)
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Not found."}
    assert journal(upstream.url) == []


def test_credentials_pass_through_and_are_never_shown(upstream, proxy):
    secret = "f" * 40  # a token the mock does not know: only the upstream may judge it
    httpx.get(proxy.url + list_url(ORG), headers={"token": secret, "X-Trace": "t1"}, timeout=10)
    httpx.get(proxy.url + list_url(ORG), headers={"Authorization": f"Token {ADMIN}"}, timeout=10)
    [first, second] = journal(upstream.url)
    assert (first["status"], first["headers"]["x-trace"], second["status"]) == (401, "t1", 200)
    shown = httpx.get(proxy.url + "/__mock/requests", timeout=10).text
    assert secret not in shown and ADMIN not in shown and "<redacted>" in shown


def test_violation_headers_are_readable_by_a_browser_app(proxy):
    origin = "http://localhost:3000"
    answer = httpx.get(proxy.url + list_url(ORG), headers={**token(ADMIN), "Origin": origin}, timeout=10)
    assert answer.headers["access-control-allow-origin"] in ("*", origin)
    exposed = {name.strip().lower() for name in answer.headers["access-control-expose-headers"].split(",")}
    assert {"contract-violations", "proxy-fallback", "proxy-status"} <= exposed
    assert answer.headers.get_list("vary") == ["Origin"]


def test_the_violation_book_counts_every_judged_exchange(proxy):
    for _ in range(3):
        httpx.get(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=10)
    book = httpx.get(proxy.url + "/__mock/violations", timeout=10).json()
    assert book == {"judged": 3, "with_violations": 0, "violations": 0, "unjudged": 0, "rules": []}
    foreign = httpx.get(proxy.url + "/__mock/violations", headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 403  # the control plane's guard
