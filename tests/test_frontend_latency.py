"""Latency (`--latency`, `Prefer: delay`), its bound, and `--create-delay`, against a running mock.

Nothing here asserts that something was fast: timings are lower bounds (a little under the delay)
plus an upper bound many times the delay; what must not wait is proved by the order in which
answers were sent (tests/frontend_server.Observed), and the create delay by the state it leaves.
"""

from __future__ import annotations

import threading
import time

import pytest

from mockserver.cli import build_parser, settings_from
from mockserver.frontend.latency import MAX_DELAY, Latency, bounded, format_duration, parse_duration, parse_range
from mockserver.settings import Settings
from tests.frontend_server import Observed, running
from tests.sizes import assert_grew_a_little
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration


def timed(mock, method, path, headers=None, timeout=10):
    start = time.perf_counter()
    response = mock.request(method, path, headers, timeout=timeout)
    return response, time.perf_counter() - start


@pytest.mark.parametrize("text, seconds",
                         [("300ms", 0.3), ("2s", 2.0), ("1.5s", 1.5), ("0ms", 0.0), (" 250 MS ", 0.25)])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["2", "fast", "-1s", "1h", ""])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_ranges_and_bound():
    assert parse_range("300ms") == (0.3, 0.3)
    assert parse_range("200-800ms") == pytest.approx((0.2, 0.8))
    assert parse_range("200ms-1s") == pytest.approx((0.2, 1.0))
    with pytest.raises(ValueError):
        parse_range("800-200ms")
    assert bounded(3600.0) == MAX_DELAY == 30.0
    assert format_duration(bounded(60.0)) == "30s" and format_duration(0.25) == "250ms"
    draws = [Latency(0.2, 0.8).draw() for _ in range(200)]
    assert all(0.2 <= value <= 0.8 for value in draws) and len(set(draws)) > 1


def test_command_line_options():
    args = build_parser().parse_args(["--latency", "200-800ms", "--create-delay", "10s"])
    settings = settings_from(args)
    assert settings.latency == pytest.approx((0.2, 0.8)) and settings.create_delay == 10.0
    for bad in (["--latency", "31s"], ["--create-delay", "2"], ["--latency", "1-40s"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(bad)


def test_latency_for_every_api_answer():
    with running(Settings(latency=(0.2, 0.2))) as mock:
        org = mock.creds["org_sid"]
        for headers in (mock.admin(), {}):  # a 200 and a 401 alike
            response, elapsed = timed(mock, "GET", list_url(org), headers)
            assert response.status_code == (200 if headers else 401)
            assert elapsed >= 0.18


def test_a_per_request_delay_and_the_control_plane_do_not_wait_for_the_configured_latency():
    """Ordered by events, not timed: with a 4 s latency, a request that arrived first and waits for
    it is still unanswered when `Prefer: delay=0ms` and `/__mock/requests`, sent after it, are answered."""
    latency = 4.0
    observed = Observed(None)
    with running(Settings(latency=(latency, latency)), observed) as mock:
        org = mock.creds["org_sid"]
        slow: list[float] = []
        waiting = threading.Thread(target=lambda: slow.append(
            timed(mock, "GET", list_url(org), {**mock.admin(), "X-Test-Mark": "slow"}, timeout=60)[1]))
        waiting.start()
        observed.wait_for("arrived", "slow")
        response = mock.request("GET", list_url(org), {**mock.admin(), "Prefer": "delay=0ms", "X-Test-Mark": "prefer"},
                                timeout=60)
        assert response.status_code == 200 and response.headers["preference-applied"] == "delay=0ms"
        assert mock.request("GET", "/__mock/requests", {"X-Test-Mark": "control"}, timeout=60).status_code == 200
        waiting.join(timeout=60)
        assert observed.answered() == ["prefer", "control", "slow"]
        assert slow and slow[0] >= latency - 0.05  # and the configured latency did apply to the first


def test_latency_range():
    with running(Settings(latency=(0.1, 0.3))) as mock:
        for _ in range(3):
            _, elapsed = timed(mock, "GET", detail_url("xxx"), mock.admin())
            assert 0.09 <= elapsed < 5


def test_prefer_delay():
    with running() as mock:
        headers = {**mock.admin(), "Prefer": "delay=200ms"}
        response, elapsed = timed(mock, "GET", list_url(mock.creds["org_sid"]), headers)
        assert response.status_code == 200 and 0.18 <= elapsed < 5
        assert response.headers["preference-applied"] == "delay=200ms"
        response, elapsed = timed(mock, "GET", detail_url("xxx"), {"Prefer": "code=403, delay=200ms"})
        assert response.status_code == 403 and 0.18 <= elapsed < 5


def test_create_delay_hides_a_new_backup_from_the_list_but_not_from_its_detail_url():
    """A delay far longer than the test: what is checked is the state, not how fast it was reached."""
    with running(Settings(create_delay=MAX_DELAY)) as mock:
        org, admin = mock.creds["org_sid"], mock.admin()
        before = mock.request("GET", list_url(org), admin).json()
        first = mock.request("POST", list_url(org, "detail"), admin)
        second = mock.request("POST", list_url(org, "detail"), admin)
        assert (first.status_code, second.status_code) == (200, 200)
        first, second = first.json(), second.json()
        listed = mock.request("GET", list_url(org), admin).json()
        assert listed == before  # neither joined the list
        # their detail URLs answer at once, as the spec's link from the POST promises
        assert mock.request("GET", detail_url(first["sid"]), admin).json() == first
        assert mock.request("GET", detail_url(second["sid"]), admin).json() == second
        # the second grew from the first, the newest of the organization though not yet listed
        assert second["date_created"] > first["date_created"]
        assert_grew_a_little(first["database_size"], second["database_size"])
        assert mock.request("POST", "/__mock/reset").json() == {"detail": "Fixtures restored; scenario rules removed."}
        assert mock.request("GET", detail_url(first["sid"]), admin).status_code == 406
        assert mock.request("GET", list_url(org), admin).json() == before


def test_create_delay_then_the_backup_joins_the_list_first():
    delay = 0.5
    with running(Settings(create_delay=delay)) as mock:
        org, admin = mock.creds["org_sid"], mock.admin()
        before = mock.request("GET", list_url(org), admin).json()
        posted = time.monotonic()
        backup = mock.request("POST", list_url(org, "detail"), admin).json()
        deadline = posted + 30
        while (listed := mock.request("GET", list_url(org), admin).json())["count"] == before["count"]:
            assert time.monotonic() < deadline, "the created backup never joined the list"
            time.sleep(0.05)
        assert time.monotonic() - posted >= delay  # a lower bound only: it did not join before its time
        assert listed["count"] == before["count"] + 1 and listed["results"][0] == backup
        assert listed["results"][1:] == before["results"][:9]
