"""The hardening table (issue 5) through --proxy: nasty input is answered as documented, never a 5xx;
the upstream's answers, judged on the way, conform; no token reaches the proxy's console."""

from __future__ import annotations

import httpx
import pytest

from tests import test_hardening as hardening  # its test, not collected here twice
from tests.hardening_cases import CASES, Case
from tests.proxy_helpers import mock_upstream
from tests.test_hardening import Mock, _run_mock

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory):
    upstream = mock_upstream()
    try:
        yield from _run_mock(tmp_path_factory, "--proxy", upstream.url + "/v1", "--proxy-timeout", "10s")
    finally:
        upstream.stop()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_nasty_input_through_the_proxy_is_answered_as_documented(proxy: Mock, case: Case) -> None:
    hardening.test_nasty_input_is_answered_as_documented(proxy, case)


def test_the_upstreams_answers_conform_only_requests_stray(proxy: Mock) -> None:
    for case in CASES:  # whichever ran before, and in any order: once more, each
        hardening.test_nasty_input_is_answered_as_documented(proxy, case)
    book = httpx.get(proxy.url + "/__mock/violations", timeout=10).json()
    assert book["judged"] >= 40  # most cases reach the upstream; the rest the mock refuses itself
    assert {group["side"] for group in book["rules"]} <= {"request"}, book["rules"]


def test_no_token_reaches_the_proxys_console(proxy: Mock) -> None:
    output = proxy.output()
    assert "GET" in output and proxy.creds["admin_token"] not in output.split("Options:")[-1]
