"""Latency (`--latency`, `Prefer: delay`), its bound, and `--create-delay`, against a running mock.

Delays are small (a few hundred milliseconds) and timings are checked loosely: a lower bound
a little under the delay, a generous upper bound.
"""

from __future__ import annotations

import time

import pytest

from mockserver.cli import build_parser, settings_from
from mockserver.frontend.latency import MAX_DELAY, Latency, bounded, format_duration, parse_duration, parse_range
from mockserver.settings import Settings
from tests.frontend_server import running
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration


def timed(mock, method, path, headers=None):
    start = time.perf_counter()
    response = mock.request(method, path, headers)
    return response, time.perf_counter() - start


@pytest.mark.parametrize("text, seconds", [("300ms", 0.3), ("2s", 2.0), ("1.5s", 1.5), ("0ms", 0.0), (" 250 MS ", 0.25)])
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


def test_latency_for_every_api_answer_but_not_the_control_plane():
    with running(Settings(latency=(0.2, 0.2))) as mock:
        org = mock.creds["org_sid"]
        for headers in (mock.admin(), {}):  # a 200 and a 401 alike
            _, elapsed = timed(mock, "GET", list_url(org), headers)
            assert 0.18 <= elapsed < 5
        _, elapsed = timed(mock, "GET", list_url(org), {**mock.admin(), "Prefer": "delay=0ms"})
        assert elapsed < 0.18  # a per-request delay replaces the configured latency
        _, elapsed = timed(mock, "GET", "/__mock/requests")
        assert elapsed < 0.18


def test_latency_range():
    with running(Settings(latency=(0.1, 0.3))) as mock:
        for _ in range(3):
            _, elapsed = timed(mock, "GET", detail_url("xxx"), mock.admin())
            assert 0.09 <= elapsed < 5


def test_prefer_delay():
    with running() as mock:
        response, elapsed = timed(mock, "GET", list_url(mock.creds["org_sid"]), {**mock.admin(), "Prefer": "delay=200ms"})
        assert response.status_code == 200 and 0.18 <= elapsed < 5
        assert response.headers["preference-applied"] == "delay=200ms"
        response, elapsed = timed(mock, "GET", detail_url("xxx"), {"Prefer": "code=403, delay=200ms"})
        assert response.status_code == 403 and 0.18 <= elapsed < 5


def test_create_delay_hides_a_new_backup_from_the_list_for_a_while():
    with running(Settings(create_delay=0.6)) as mock:
        org, admin = mock.creds["org_sid"], mock.admin()
        before = mock.request("GET", list_url(org), admin).json()
        created = mock.request("POST", list_url(org, "detail"), admin)
        assert created.status_code == 200
        backup = created.json()
        listed = mock.request("GET", list_url(org), admin).json()
        assert listed["count"] == before["count"] and listed["results"][0] != backup
        # its detail URL answers at once, as the spec's link from the POST promises
        assert mock.request("GET", detail_url(backup["sid"]), admin).json() == backup
        deadline = time.monotonic() + 5
        while mock.request("GET", list_url(org), admin).json()["count"] == before["count"]:
            assert time.monotonic() < deadline, "the created backup never joined the list"
            time.sleep(0.05)
        listed = mock.request("GET", list_url(org), admin).json()
        assert listed["count"] == before["count"] + 1 and listed["results"][0] == backup
        assert mock.request("POST", "/__mock/reset").status_code == 200
        assert mock.request("GET", list_url(org), admin).json()["count"] == before["count"]
