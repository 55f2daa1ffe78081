"""--proxy-fallback: the fixtures answer while the upstream is down, and say so; the upstream again once it is back."""

from __future__ import annotations

import time

import httpx
import pytest

from mockserver.settings import Settings
from tests.contracts_helpers import free_port
from tests.proxy_helpers import ADMIN, ORG, journal, mock_upstream, proxying
from tests.urls import detail_url, list_url, token

pytestmark = pytest.mark.integration


def test_an_outage_is_answered_from_the_fixtures_and_said_once(capsys):
    port = free_port()
    upstream = mock_upstream("--dynamic", "--dynamic-count", "3", port=port)  # answers differ from the fixtures'
    with proxying(f"http://127.0.0.1:{port}/v1", Settings(access_log=True), proxy_fallback=True) as proxy:
        try:
            live = httpx.get(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=10)
            assert live.status_code == 200 and "proxy-fallback" not in live.headers
            assert live.json()["count"] == 3
        finally:
            upstream.stop()
        down = [httpx.get(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=10) for _ in range(2)]
        for answer in down:
            assert answer.status_code == 200 and answer.json()["count"] == 32  # the fixtures' own page
            assert answer.headers["proxy-fallback"] == "fixtures; upstream connection refused"
            assert "contract-violations" not in answer.headers
        refused = httpx.get(proxy.url + detail_url("nosuch0a40xBackup1"), headers=token(ADMIN), timeout=10)
        assert refused.status_code == 406 and refused.headers["proxy-fallback"].startswith("fixtures;")
        entries = journal(proxy.url)
        assert [entry["proxy"]["outcome"] for entry in entries] == ["relayed", "fallback", "fallback", "fallback"]
        assert entries[1]["proxy"] == {"outcome": "fallback", "reason": "connection refused"}
        upstream = mock_upstream(port=port)
        try:
            back = httpx.get(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=10)
            assert back.status_code == 200 and "proxy-fallback" not in back.headers
        finally:
            upstream.stop()
    out = capsys.readouterr().out
    assert out.count(f"upstream http://127.0.0.1:{port}/v1 is down (connection refused): the fixtures answer") == 1
    assert out.count(f"upstream http://127.0.0.1:{port}/v1 is back: proxying again") == 1
    assert out.count("(fixtures: upstream connection refused)") == 3  # the journal's line for each


def test_an_upstream_that_times_out_is_answered_from_the_fixtures_after_the_timeout():
    slow = mock_upstream("--latency", "2s")
    try:
        with proxying(slow.url + "/v1", proxy_fallback=True, proxy_timeout=0.3) as proxy:
            started = time.monotonic()
            answer = httpx.get(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=10)
            assert time.monotonic() - started >= 0.3
            assert answer.status_code == 200
            assert answer.headers["proxy-fallback"] == "fixtures; upstream no answer within 300ms"
    finally:
        slow.stop()


def test_forced_answers_still_answer_during_an_outage():
    with proxying(f"http://127.0.0.1:{free_port()}/v1", proxy_fallback=True) as proxy:
        forced = httpx.get(proxy.url + list_url(ORG), headers={"Prefer": "code=503"}, timeout=10)
        assert forced.status_code == 503 and "proxy-fallback" not in forced.headers
        options = httpx.options(proxy.url + list_url(ORG), headers=token(ADMIN), timeout=10)
        assert options.status_code == 200 and options.json()["name"] == "Backup List"
        assert options.headers["proxy-fallback"] == "fixtures; upstream connection refused"
