"""--proxy when the upstream is down, slow, cut short, streaming, compressing or setting cookies."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from mockserver.proxy import forward
from mockserver.proxy.relay import STREAMED
from mockserver.spec import Spec, load_model
from tests.contracts_helpers import free_port
from tests.proxy_helpers import ADMIN, ORG, journal, mock_upstream, proxying, serve
from tests.urls import detail_url, list_url, token

pytestmark = pytest.mark.integration
BACKUP = {"sid": "strm0a40xStream01", "name": "20240903031602.gz", "description": "Data backup on 20240903031602",
          "database_size": "38.7 MB", "date_created": "2024-09-03T03:16:43.677244Z", "change_permission": False}
JSON = "application/json"


class Upstream:
    """A small implementation written here: each backup sid asks for one behaviour."""

    def __init__(self) -> None:
        self.release = threading.Event()  # lets a streamed answer finish
        self.cookies: list[str | None] = []

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/organizations/backup/detail/{sid}/", self.detail)])

    async def detail(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        body = json.dumps({**BACKUP, "database_size": 38.7}).encode()  # a violation to find
        if sid == "stream":
            return StreamingResponse(self.pieces(body), media_type=JSON)
        if sid == "cut":
            return StreamingResponse(self.cut(body), media_type=JSON)
        if sid == "deep":  # more nesting than the validator can take
            return Response(b"[" * 100_000 + b"]" * 100_000, media_type=JSON)
        if sid == "gzip":
            return Response(gzip.compress(json.dumps(BACKUP).encode()), media_type=JSON,
                            headers={"Content-Encoding": "gzip"})
        self.cookies.append(request.headers.get("cookie"))
        response = Response(json.dumps(BACKUP), media_type=JSON)
        response.set_cookie("sessionid", "s3cr3t")
        return response

    async def pieces(self, body: bytes):
        yield body[:20]
        while not self.release.is_set():
            await _sleep()
        yield body[20:]

    async def cut(self, body: bytes):
        yield body[:20]
        raise RuntimeError("the implementation fell over mid-answer")


async def _sleep() -> None:
    await asyncio.sleep(0.01)


@pytest.fixture(scope="module")
def written():
    upstream = Upstream()
    with serve(upstream.app()) as server:
        with proxying(server.url + "/v1") as proxy:
            yield upstream, proxy


def test_an_upstream_that_is_down_is_a_502_that_says_so():
    port = free_port()  # nothing listens there
    with proxying(f"http://127.0.0.1:{port}/v1") as proxy:
        answer = httpx.get(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=10)
        assert answer.status_code == 502
        assert answer.json() == {"detail": "Bad Gateway", "upstream": f"http://127.0.0.1:{port}/v1",
                                 "reason": "connection refused"}
        assert answer.headers["proxy-status"] == "backup-mock; error=connection_refused"
        assert "contract-violations" not in answer.headers
        [entry] = journal(proxy.url)
        assert entry["status"] == 502 and entry["proxy"] == {"outcome": "bad_gateway", "reason": "connection refused"}
        assert httpx.get(proxy.url + "/__mock/violations", timeout=10).json()["judged"] == 0


def test_a_slow_upstream_is_a_504_after_the_timeout_never_a_hang():
    slow = mock_upstream("--latency", "2s")
    try:
        with proxying(slow.url, proxy_timeout=0.5) as proxy:
            started = time.monotonic()
            answer = httpx.get(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=15)
            waited = time.monotonic() - started
            assert answer.status_code == 504 and waited >= 0.5
            assert answer.json() == {"detail": "Gateway Timeout", "upstream": slow.url + "/v1",
                                     "reason": "no answer within 500ms"}
            assert answer.headers["proxy-status"] == "backup-mock; error=http_response_timeout"
            assert journal(proxy.url)[0]["proxy"]["outcome"] == "gateway_timeout"
    finally:
        slow.stop()


def test_an_upstream_that_closes_without_answering_is_a_502():
    upstream = mock_upstream()
    try:
        rule = {"operation": "listBackups", "respond": {"fault": "empty"}}
        assert httpx.post(upstream.url + "/__mock/scenarios", json=rule, timeout=10).status_code == 201
        with proxying(upstream.url + "/v1") as proxy:
            answer = httpx.get(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=10)
            assert answer.status_code == 502
            assert answer.headers["proxy-status"] == "backup-mock; error=http_protocol_error"
            assert answer.json()["reason"].startswith("the connection ended without a whole answer")
    finally:
        upstream.stop()


def test_a_streamed_answer_is_relayed_as_it_comes_and_judged_when_it_ends(written):
    upstream, proxy = written
    upstream.release.clear()
    with httpx.stream("GET", proxy.url + detail_url("stream"), headers=token(ADMIN), timeout=10) as answer:
        assert answer.status_code == 200 and answer.headers["contract-violations"] == STREAMED
        assert "content-length" not in answer.headers
        pieces = answer.iter_raw()
        first = next(pieces)  # arrives while the upstream still holds the rest
        assert first and not upstream.release.is_set()
        upstream.release.set()
        body = first + b"".join(pieces)
    assert json.loads(body)["database_size"] == 38.7
    entry = journal(proxy.url)[-1]
    assert [v["rule"] for v in entry["violations"]] == ["schema.Backup.database_size"]
    book = httpx.get(proxy.url + "/__mock/violations", timeout=10).json()
    assert book["rules"][0]["rule"] == "schema.Backup.database_size"
    assert book["rules"][0]["last"]["path"] == detail_url("stream")


def test_an_answer_cut_short_upstream_is_cut_short_here(written):
    _, proxy = written
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(proxy.url + detail_url("cut"), headers=token(ADMIN), timeout=10)
    entry = journal(proxy.url)[-1]
    assert entry["proxy"]["outcome"] == "cut" and "violations" not in entry


def test_a_compressed_answer_is_relayed_decoded_and_judged(written):
    _, proxy = written
    answer = httpx.get(proxy.url + detail_url("gzip"), headers={**token(ADMIN), "Accept-Encoding": "identity"},
                       timeout=10)
    assert answer.status_code == 200 and "content-encoding" not in answer.headers
    assert answer.json() == BACKUP and answer.headers["contract-violations"] == "0; conforms"


def test_cookies_are_relayed_to_the_client_and_never_kept_for_others(written):
    upstream, proxy = written
    upstream.cookies.clear()
    first = httpx.get(proxy.url + detail_url("plain"), headers=token(ADMIN), timeout=10)
    assert "sessionid=s3cr3t" in first.headers["set-cookie"]
    httpx.get(proxy.url + detail_url("plain"), headers=token(ADMIN), timeout=10)
    httpx.get(proxy.url + detail_url("plain"), headers={**token(ADMIN), "Cookie": "mine=1"}, timeout=10)
    assert upstream.cookies == [None, None, "mine=1"]


def test_a_header_http_cannot_carry_is_a_400_not_a_502(written):
    _, proxy = written  # request_headers() strips such whitespace; a header h11 refuses still gets no 502
    upstream = forward.Upstream(proxy.settings.proxy_url, load_model(Spec.load()), 5.0)

    async def send() -> None:
        try:
            await upstream.send("GET", upstream.target({"path": detail_url("plain"), "query_string": b""}),
                                [(b"x-odd", b" a ")], None)
        finally:
            await upstream.aclose()

    with pytest.raises(forward.Unforwardable) as refused:
        asyncio.run(send())
    assert (refused.value.status, refused.value.detail) == (400, "Malformed request.")


def test_an_answer_the_kit_cannot_judge_still_goes_and_says_so(written):
    _, proxy = written
    answer = httpx.get(proxy.url + detail_url("deep"), headers=token(ADMIN), timeout=10)
    assert answer.status_code == 200 and len(answer.content) == 200_000
    assert answer.headers["contract-violations"].startswith("unjudged; RecursionError")
    assert journal(proxy.url)[-1]["proxy"]["unjudged"].startswith("RecursionError")
    assert httpx.get(proxy.url + "/__mock/violations", timeout=10).json()["unjudged"] >= 1
