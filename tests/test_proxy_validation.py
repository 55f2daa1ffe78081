"""--proxy in front of the broken reference server: each bug's violations reported with the right rules."""

from __future__ import annotations

import httpx
import pytest

from mockserver.settings import Settings
from tests.broken.data import ADMIN_A, ORG_A
from tests.frontend_server import running
from tests.proxy_helpers import journal, proxying
from tests.urls import detail_url, list_url, token

pytest_plugins = ["tests.contracts_servers"]
pytestmark = pytest.mark.integration
PAGE = list_url(ORG_A) + "?page_size=5"

# bug, request, the rules its answer breaks (all on the answer's side, but where said)
CASES = [
    ("correct", ("GET", PAGE, token(ADMIN_A)), set()),
    ("size_is_a_number", ("GET", PAGE, token(ADMIN_A)), {"schema.Backup.database_size"}),
    ("date_with_offset", ("GET", PAGE, token(ADMIN_A)), {"schema.Backup.date_created"}),
    ("list_drops_description", ("GET", PAGE, token(ADMIN_A)), {"listBackups.param.serializer.list"}),
    ("no_www_authenticate", ("GET", PAGE, {}), {"listBackups.401.header.WWW-Authenticate"}),
    ("errors_are_text", ("GET", PAGE, {}), {"listBackups.401"}),
    ("detail_401_without_www_authenticate", ("GET", detail_url("nosuch0a40xBackup1"), token("9" * 40)),
     {"getBackup.401.header.WWW-Authenticate"}),
    ("create_answers_202", ("POST", list_url(ORG_A, "detail"), token(ADMIN_A)), {"createBackup.status"}),
    ("unknown_backup_404", ("GET", detail_url("nosuch0a40xBackup1"), token(ADMIN_A)), {"getBackup.status"}),
    ("wrong_level_message", ("GET", list_url(ORG_A, level="user"), token(ADMIN_A)),
     {"listBackups.406.message", "listBackups.param.level"}),
]


@pytest.mark.parametrize(("bug", "request_", "rules"), CASES, ids=[case[0] for case in CASES])
def test_each_bug_is_reported_with_its_rules(broken_server, bug, request_, rules):
    method, path, headers = request_
    with proxying(f"{broken_server.url}/{bug}--proxy/v1") as proxy:
        answer = httpx.request(method, proxy.url + path, headers=headers, timeout=10)
        header = answer.headers["contract-violations"]
        [entry] = journal(proxy.url)
        found = entry["violations"]
        assert {violation["rule"] for violation in found} == rules
        assert header == "0; conforms" if not rules else header.startswith(f"{len(found)}; ")
        for violation in found:
            assert set(violation) == {"rule", "pointer", "message", "expected", "received", "side"}
            assert violation["side"] == ("request" if violation["rule"] == "listBackups.param.level" else "answer")
            assert violation["pointer"].startswith(("/body", "/headers", "/status", "/request"))


def test_a_violation_names_its_pointer_and_what_was_expected_and_received(broken_server):
    with proxying(f"{broken_server.url}/size_is_a_number--pointer/v1") as proxy:
        answer = httpx.get(proxy.url + PAGE, headers=token(ADMIN_A), timeout=10)
        assert answer.headers["contract-violations"] == (
            "5; schema.Backup.database_size at /body/results/0/database_size, "
            "schema.Backup.database_size at /body/results/1/database_size, +3 more")
        first = journal(proxy.url)[0]["violations"][0]
        assert first["pointer"] == "/body/results/0/database_size"
        assert "string" in first["expected"]
        assert first["received"] == str(answer.json()["results"][0]["database_size"])  # a number, shown as JSON


def test_violations_are_grouped_by_rule_with_the_last_example_and_cleared(broken_server):
    with proxying(f"{broken_server.url}/no_www_authenticate--book/v1") as proxy:
        for page in (1, 2):
            httpx.get(proxy.url + list_url(ORG_A) + f"?page={page}&token=hush", timeout=10)
        httpx.get(proxy.url + detail_url("nosuch0a40xBackup1"), timeout=10)
        httpx.get(proxy.url + PAGE, headers=token(ADMIN_A), timeout=10)
        book = httpx.get(proxy.url + "/__mock/violations", timeout=10).json()
        assert (book["judged"], book["with_violations"], book["violations"]) == (4, 3, 3)
        assert [(group["rule"], group["count"]) for group in book["rules"]] == [
            ("listBackups.401.header.WWW-Authenticate", 2), ("getBackup.401.header.WWW-Authenticate", 1)]
        last = book["rules"][0]["last"]
        assert (last["method"], last["path"], last["status"]) == ("GET", list_url(ORG_A), 401)
        assert last["query"] == "page=2&token=%3Credacted%3E"
        assert last["pointer"] == "/headers/www-authenticate" and last["received"] == "no such header"
        cleared = httpx.delete(proxy.url + "/__mock/violations", timeout=10)
        assert cleared.status_code == 200
        assert httpx.get(proxy.url + "/__mock/violations", timeout=10).json() == {
            "judged": 0, "with_violations": 0, "violations": 0, "unjudged": 0, "rules": []}


def test_the_console_says_it_in_one_short_line_without_the_token(broken_server, capsys):
    settings = Settings(access_log=True)
    with proxying(f"{broken_server.url}/size_is_a_number--console/v1", settings) as proxy:
        httpx.get(proxy.url + PAGE, headers=token(ADMIN_A), timeout=10)
    lines = [line for line in capsys.readouterr().out.splitlines() if list_url(ORG_A) in line]
    assert len(lines) == 1
    assert lines[0].endswith("! 5 contract violations: schema.Backup.database_size (+4 more)")
    assert ADMIN_A not in lines[0]


def test_without_proxy_nothing_is_judged():
    with running() as mock:
        answer = httpx.get(mock.url + "/__mock/violations", timeout=10)
        assert answer.status_code == 404 and "--proxy" in answer.json()["detail"]
        assert "contract-violations" not in mock.request("GET", list_url(mock.creds["org_sid"])).headers
