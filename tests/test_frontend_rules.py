"""Scenario rules against a real server: `/__mock/scenarios`, `/__mock/recipes`, `--scenarios FILE`, reset."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from mockserver.app import create_app
from mockserver.exceptions import ScenarioError
from mockserver.settings import Settings
from tests.frontend_server import running
from tests.test_frontend_journal import control_call
from tests.test_frontend_live_fixtures import eventually
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent
NORTHWIND = "369b0a40x29f50ejotyD"


@pytest.fixture(scope="module")
def mock():
    with running(Settings(seed=5, dynamic_count=30)) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(mock):
    mock.request("POST", "/__mock/reset")
    mock.request("DELETE", "/__mock/requests")


def add(mock, rule) -> httpx.Response:
    return httpx.post(mock.url + "/__mock/scenarios", json=rule, timeout=10)


def create(mock, headers=None) -> httpx.Response:
    return mock.request("POST", list_url(mock.creds["org_sid"], "detail"), headers or mock.admin())


def test_the_issue_example_fails_twice_then_works(mock):
    made = add(mock, {"operation": "createBackup", "respond": {"code": 503}, "times": 2})
    assert made.status_code == 201
    rule = made.json()
    assert rule == {"id": rule["id"], "operation": "createBackup", "respond": {"code": 503}, "times": 2,
                    "remaining": 2, "answered": 0, "source": "api"}
    assert [create(mock).status_code for _ in range(3)] == [503, 503, 200]
    assert mock.request("GET", "/__mock/scenarios").json() == {"count": 0, "rules": []}  # it expired
    journal = mock.request("GET", f"/__mock/requests?rule={rule['id']}").json()
    assert journal["count"] == 2 and {entry["status"] for entry in journal["requests"]} == {503}
    assert all(entry["operation"] == "createBackup" for entry in journal["requests"])
    # no Preference-Applied: the request asked for nothing
    assert add(mock, {"operation": "createBackup", "respond": {"code": 503}}).status_code == 201
    assert "preference-applied" not in create(mock).headers


def test_rules_are_checked_in_order_and_listed_so(mock):
    first = add(mock, {"operation": "listBackups", "organization": NORTHWIND, "respond": {"code": 502}}).json()
    second = add(mock, {"operation": "*", "respond": {"code": 504}, "name": "everything else"}).json()
    listed = mock.request("GET", "/__mock/scenarios").json()
    assert [rule["id"] for rule in listed["rules"]] == [first["id"], second["id"]] and listed["count"] == 2
    foreign = {"Authorization": f"Token {mock.creds['foreign_token']}"}
    assert mock.request("GET", list_url(NORTHWIND), foreign).status_code == 502
    assert mock.request("GET", list_url(mock.creds["org_sid"]), mock.admin()).status_code == 504
    assert mock.request("GET", detail_url("xxx")).status_code == 504
    rules = mock.request("GET", "/__mock/scenarios").json()["rules"]
    assert [rule["answered"] for rule in rules] == [1, 2]


def test_narrowing_by_organization_user_and_query(mock):
    org = mock.creds["org_sid"]
    add(mock, {"operation": "getBackup", "organization": NORTHWIND, "respond": {"code": 503}})
    add(mock, {"operation": "listBackups", "user": "Max Member", "respond": {"code": 500}})
    add(mock, {"operation": "listBackups", "query": {"page": 2}, "respond": {"example": "empty"}})
    foreign = {"Authorization": f"Token {mock.creds['foreign_token']}"}
    northwind_backup = mock.request("GET", list_url(NORTHWIND), foreign).json()["results"][0]["sid"]
    acme_backup = mock.request("GET", list_url(org), mock.admin()).json()["results"][0]["sid"]
    assert mock.request("GET", detail_url(northwind_backup), foreign).status_code == 503  # the backup's organization
    assert mock.request("GET", detail_url(acme_backup), mock.admin()).status_code == 200
    member = {"Authorization": f"Token {mock.creds['member_token']}"}
    assert mock.request("GET", list_url(org), member).status_code == 500
    assert mock.request("GET", list_url(org), mock.admin()).status_code == 200
    page = mock.request("GET", list_url(org) + "?page=2", mock.admin()).json()
    assert page["count"] == 0 and page["results"] == []
    assert mock.request("GET", list_url(org) + "?page=3", mock.admin()).json()["count"] == 32


def test_a_star_rule_answers_only_where_its_answer_is_documented(mock):
    add(mock, {"operation": "*", "respond": {"code": 404}})  # only the list documents 404
    assert mock.request("GET", list_url(mock.creds["org_sid"])).json() == {"detail": "Invalid page."}
    assert mock.request("GET", detail_url("xxx"), mock.admin()).status_code == 406  # not answered: the real 406
    refused = add(mock, {"operation": "*", "respond": {"code": 418}})
    assert refused.status_code == 400 and "No operation documents it" in refused.json()["detail"]


def test_a_request_own_choices_win_over_the_rule(mock):
    add(mock, {"operation": "listBackups", "respond": {"code": 503, "delay": "1ms"}})
    org = mock.creds["org_sid"]
    own = mock.request("GET", list_url(org), {**mock.admin(), "Prefer": "code=406"})
    assert own.status_code == 406 and own.headers["preference-applied"] == "code=406, example=wrongId"
    assert mock.request("GET", list_url(org) + "?__code=200", mock.admin()).status_code == 200
    assert mock.request("GET", list_url(org), mock.admin()).status_code == 503


def test_probability_draws_from_the_rule_book(mock):
    book = mock.app.state.mock.rules
    book.rng = random.Random(11)
    expected_rng = random.Random(11)
    add(mock, {"operation": "getBackup", "respond": {"code": 503}, "probability": 0.4})
    statuses = [mock.request("GET", detail_url("xxx")).status_code for _ in range(30)]
    expected = [503 if expected_rng.random() < 0.4 else 401 for _ in range(30)]
    assert statuses == expected and 503 in statuses and 401 in statuses


def test_faults_and_dynamic_data_by_rule(mock):
    add(mock, {"operation": "listBackups", "respond": {"dynamic": True}, "times": 1})
    page = mock.request("GET", list_url(mock.creds["org_sid"]), mock.admin()).json()
    assert page["count"] == 30 and page["next"].endswith("?__dynamic=true&page=2")
    following = mock.request("GET", page["next"].split(str(mock.settings.port), 1)[1], mock.admin()).json()
    assert following["page_number"] == 2 and following["count"] == 30  # the link stays dynamic
    add(mock, {"operation": "getBackup", "respond": {"fault": "empty"}})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(mock.url + detail_url("xxx"), timeout=10)


@pytest.mark.parametrize("rule, message", [
    ([1, 2], "A rule is a JSON object"),
    ({"operation": "createBackup"}, "respond must say what to answer"),
    ({"operation": "makeBackup", "respond": {"code": 503}}, "operation: 'makeBackup' is not an operationId"),
    ({"operation": "createBackup", "respond": {"code": 503}, "color": "red"}, "unknown field 'color'"),
    ({"operation": "createBackup", "respond": {"status": 503}}, "respond: unknown choice 'status'"),
    ({"operation": "createBackup", "respond": {"code": 404}}, "respond: code=404 is not documented for createBackup"),
    ({"operation": "listBackups", "respond": {"example": "nope"}}, "respond: example=nope is not documented"),
    ({"operation": "listBackups", "respond": {"fault": "fire"}}, "respond: fault must be one of"),
    ({"operation": "listBackups", "respond": {"delay": "40s"}}, "is more than the limit, 30s"),
    ({"operation": "listBackups", "respond": {"delay": 2}}, "delay must be a duration"),
    ({"operation": "listBackups", "respond": {"dynamic": "sometimes"}}, "dynamic must be true or false"),
    ({"operation": "listBackups", "respond": {"code": 503}, "times": 0}, "times must be a whole number from 1"),
    ({"operation": "listBackups", "respond": {"code": 503}, "probability": 1.5}, "probability must be a number"),
    ({"operation": "listBackups", "respond": {"code": 503}, "organization": "nowhere"},
     "organization: 'nowhere' is not an organization of the fixtures"),
    ({"operation": "listBackups", "respond": {"code": 503}, "user": "Nobody"}, "user: 'Nobody' is not a user"),
    ({"operation": "listBackups", "respond": {"code": 503}, "query": {"page": [1]}}, "query must map"),
])
def test_invalid_rules_are_400_with_the_reason(mock, rule, message):
    response = add(mock, rule)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert mock.request("GET", "/__mock/scenarios").json()["count"] == 0


def test_bodies_that_are_not_rules(mock):
    for content in (b"", b"{not json", b"[" * 100_000):
        response = httpx.post(mock.url + "/__mock/scenarios", content=content,
                              headers={"Content-Type": "application/json"}, timeout=10)
        assert response.status_code == 400 and "detail" in response.json()
    form = httpx.post(mock.url + "/__mock/scenarios", data={"operation": "*"}, timeout=10)
    assert form.status_code == 415  # the guard: state changes are JSON


def test_removing_rules_one_or_all(mock):
    one = add(mock, {"operation": "getBackup", "respond": {"code": 503}}).json()
    add(mock, {"operation": "listBackups", "respond": {"code": 503}})
    removed = mock.request("DELETE", f"/__mock/scenarios/{one['id']}")
    assert removed.status_code == 200 and removed.json()["rule"]["id"] == one["id"]
    assert mock.request("DELETE", f"/__mock/scenarios/{one['id']}").status_code == 404
    assert mock.request("GET", "/__mock/scenarios").json()["count"] == 1
    assert mock.request("DELETE", "/__mock/scenarios").json()["removed"] == 1
    assert mock.request("GET", list_url(mock.creds["org_sid"]), mock.admin()).status_code == 200


def test_a_listed_rule_can_be_posted_again(mock):
    listed = add(mock, {"operation": "listBackups", "respond": {"delay": "1-2ms"}, "times": 3}).json()
    again = add(mock, listed)
    assert again.status_code == 201 and again.json()["id"] != listed["id"]
    assert {key: again.json()[key] for key in ("operation", "respond", "times")} == \
        {"operation": "listBackups", "respond": {"delay": "1ms-2ms"}, "times": 3}


def test_every_recipe_can_be_posted_and_does_what_it_says(mock):
    recipes = {recipe["name"]: recipe for recipe in mock.request("GET", "/__mock/recipes").json()["recipes"]}
    assert list(recipes) == ["expired-token", "server-down", "slow-create", "empty-organization", "flaky-network"]
    org = mock.creds["org_sid"]
    for name, recipe in recipes.items():
        mock.request("DELETE", "/__mock/scenarios")
        assert add(mock, recipe["rule"]).status_code == 201, name
        if name == "expired-token":
            response = mock.request("GET", list_url(org), mock.admin())
            assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})
            assert response.headers["www-authenticate"] == "Token"
        elif name == "server-down":
            assert create(mock).status_code == 503
        elif name == "slow-create":
            started = time.monotonic()
            assert create(mock).status_code == 200 and time.monotonic() - started >= 2.9
        elif name == "empty-organization":
            assert mock.request("GET", list_url(org), mock.admin()).json()["results"] == []
        else:
            mock.app.state.mock.rules.rng = random.Random(1)
            outcomes = set()
            for _ in range(20):
                try:
                    outcomes.add(mock.request("GET", list_url(org), mock.admin()).status_code)
                except httpx.ReadError:
                    outcomes.add("reset")
            assert outcomes == {200, "reset"}


def test_reset_clears_the_rules(mock):
    add(mock, {"operation": "*", "respond": {"code": 503}})
    reset = mock.request("POST", "/__mock/reset").json()
    assert reset["detail"] == "Fixtures restored; scenario rules removed."
    assert mock.request("GET", "/__mock/scenarios").json()["count"] == 0


def test_the_control_routes_answer_loopback_only():
    app = create_app(Settings())
    for method, path in (("GET", "/__mock/scenarios"), ("DELETE", "/__mock/scenarios"),
                         ("GET", "/__mock/recipes"), ("DELETE", "/__mock/scenarios/1"), ("GET", "/__mock/")):
        assert control_call(app, "192.0.2.10", method, path).status_code == 403, path
        assert control_call(app, "127.0.0.1", method, path).status_code in (200, 404), path


# -- the --scenarios file -----------------------------------------------------------------------------

RULES_FILE = """\
- name: Northwind is down
  operation: "*"
  organization: 369b0a40x29f50ejotyD
  respond: {code: 503}
- operation: createBackup
  respond: {code: 502}
  times: 1
"""


def test_a_scenarios_file_is_in_force_from_the_start_and_back_after_reset(tmp_path, mock):
    path = tmp_path / "scenarios.yaml"
    path.write_text(RULES_FILE)
    with running(replace(mock.settings, scenarios_path=path)) as filed:
        rules = filed.request("GET", "/__mock/scenarios").json()["rules"]
        assert [(rule["name"] if "name" in rule else None, rule["source"]) for rule in rules] == \
            [("Northwind is down", str(path)), (None, str(path))]
        assert create(filed).status_code == 502 and create(filed).status_code == 200  # times: 1
        assert add(filed, {"operation": "getBackup", "respond": {"code": 500}}).status_code == 201
        reset = filed.request("POST", "/__mock/reset").json()
        assert reset["detail"] == "Fixtures restored; scenario rules back to the 2 of the --scenarios file."
        after = filed.request("GET", "/__mock/scenarios").json()["rules"]
        assert [rule["remaining"] for rule in after] == [None, 1]  # the file's rules, afresh; the API's gone
        assert create(filed).status_code == 502


def test_the_scenarios_file_is_watched_and_a_bad_edit_keeps_the_rules(tmp_path, mock, capfd):
    path = tmp_path / "scenarios.yaml"
    path.write_text(RULES_FILE)
    with running(replace(mock.settings, scenarios_path=path, watch_fixtures=True)) as filed:
        def names() -> list[str]:
            return [rule.get("name", "") for rule in filed.request("GET", "/__mock/scenarios").json()["rules"]]

        assert names() == ["Northwind is down", ""]
        edited = "- name: all slow\n  operation: '*'\n  respond: {delay: 1ms}\n"
        path.write_text(edited)
        eventually(lambda: names() == ["all slow"], "the reload", lambda: path.write_text(edited))
        bad = "- operation: createBackup\n  respond: {code: 418}\n"
        path.write_text(bad)
        eventually(lambda: "scenarios NOT reloaded" in capfd.readouterr().err, "the refusal",
                   lambda: path.write_text(bad))
        assert names() == ["all slow"]


@pytest.mark.parametrize("content, message", [
    ("- operation: createBackup\n  respond: {code: 418}\n", "rule 1: respond: code=418 is not documented"),
    ("operation: createBackup\n", "expected a list of rules, found a dict"),
    ("- [unclosed\n", "not valid YAML"),
])
def test_a_bad_scenarios_file_stops_the_start_in_one_line(tmp_path, content, message):
    path = tmp_path / "rules.yaml"
    path.write_text(content)
    with pytest.raises(ScenarioError, match="rules.yaml"):
        create_app(Settings(scenarios_path=path))
    done = subprocess.run([sys.executable, "-m", "mockserver", "--scenarios", str(path), "--no-watch"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"backup-mock: {path}: ") and message in lines[0], done.stderr
