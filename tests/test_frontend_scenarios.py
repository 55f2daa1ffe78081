"""Scenarios on demand against a running mock: `Prefer: code / example / dynamic`, `--dynamic`, `--seed`.

Every answer is checked against openapi.yaml with the suite's independent validator.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from mockserver.settings import Settings
from tests.frontend_server import running
from tests.spec_validation import assert_conforms, operation, response_examples, without_sids
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration


FORBIDDEN = {"detail": "You do not have permission to perform this action."}


@pytest.fixture(scope="module")
def mock():
    with running(Settings(seed=7, dynamic_count=57)) as server:
        yield server


@pytest.fixture(autouse=True)
def reset(mock):
    mock.request("POST", "/__mock/reset")


def call(mock, operation_id: str, headers: dict[str, str] | None = None, query: str = ""):
    org = mock.creds["org_sid"]
    method, path = {
        "listBackups": ("GET", list_url(org)),
        "createBackup": ("POST", list_url(org, "detail")),
        "getBackup": ("GET", detail_url("xxx")),
    }[operation_id]
    return mock.request(method, path + query, headers)


def real_sids(mock) -> set[str]:
    """Every sid of the demo organization's backups (the mock names them in forced examples)."""
    page = mock.request("GET", list_url(mock.creds["org_sid"], "name") + "?page_size=1000",
                        {"Authorization": f"Token {mock.creds['admin_token']}"}).json()
    return {item["sid"] for item in page["results"]}


def sids_in(value) -> set[str]:
    if isinstance(value, dict):
        return {value["sid"]} if "sid" in value else {sid for item in value.values() for sid in sids_in(item)}
    if isinstance(value, list):
        return {sid for item in value for sid in sids_in(item)}
    return set()


@pytest.mark.parametrize("operation_id", ["listBackups", "createBackup", "getBackup"])
def test_every_documented_status_and_example_without_credentials(mock, operation_id):
    known = real_sids(mock)
    for status in operation(operation_id)[2]["responses"]:
        examples = response_examples(operation_id, status)
        response = call(mock, operation_id, {"Prefer": f"code={status}"})
        assert response.status_code == int(status)
        first = next(iter(examples))
        assert without_sids(response.json()) == without_sids(examples[first])
        assert response.headers["preference-applied"] == f"code={status}, example={first}"
        assert_conforms(operation_id, response.status_code, response.headers, response.content)
        for name, value in examples.items():
            for prefer in (f"code={status}, example={name}", f'example="{name}"; delay=0ms'):
                response = call(mock, operation_id, {"Prefer": prefer})
                if status.startswith("2"):  # a backup named in a success example is a real one
                    assert without_sids(response.json()) == without_sids(value), prefer
                    assert sids_in(response.json()) <= known and (sids_in(response.json()) or not sids_in(value))
                else:
                    assert response.json() == value, prefer
                assert_conforms(operation_id, response.status_code, response.headers, response.content)


def test_prism_examples_from_the_issue(mock):
    response = call(mock, "listBackups", {"Prefer": "code=406"})
    assert (response.status_code, response.json()) == (406, {"detail": "Wrong id - the provided sid is not correct"})
    for prefer in ("code=406, example=wrongLevel", "example=wrongLevel"):
        response = call(mock, "listBackups", {"Prefer": prefer})
        assert response.status_code == 406
        assert response.json() == {"detail": "Wrong level - the provided level is not acceptable"}
    response = call(mock, "getBackup", {"Prefer": "code=401"})
    assert response.headers["www-authenticate"] == "Token"


def test_a_forced_answer_changes_nothing(mock):
    before = call(mock, "listBackups", mock.admin()).json()["count"]
    forced = call(mock, "createBackup", {**mock.admin(), "Prefer": "code=201"})
    assert forced.status_code == 201
    assert call(mock, "listBackups", mock.admin()).json()["count"] == before
    # the documented example, naming a backup that exists: its detail URL answers
    assert forced.json()["sid"] != "xxx" and forced.json()["sid"] in real_sids(mock)
    detail = mock.request("GET", detail_url(forced.json()["sid"]), mock.admin())
    assert detail.status_code == 200 and detail.json()["sid"] == forced.json()["sid"]


def test_undocumented_code_is_a_clear_400(mock):
    response = call(mock, "getBackup", {"Prefer": "code=404"})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == ("Prefer: code=404 is not documented for getBackup; documented codes: 200, 401, 403, 406; "
                              "undocumented failures: 500, 502, 503, 504.")
    assert list(body["documented"]) == ["200", "401", "403", "406"]
    assert body["documented"]["406"] == ["wrongId"]


@pytest.mark.parametrize("prefer, message", [
    ("code=teapot", "code must be a status code, not 'teapot'"),
    ("code=406, example=invalidToken", "example=invalidToken is not documented for listBackups 406"),
    ("example=nothing", "example=nothing is not documented for listBackups"),
    ("delay=2", "needs a unit"),
    ("delay=soon", "is not a duration"),
    ("dynamic=maybe", "dynamic must be true or false"),
])
def test_bad_preferences_are_400_with_the_reason(mock, prefer, message):
    response = call(mock, "listBackups", {**mock.admin(), "Prefer": prefer})
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_unknown_preferences_are_ignored(mock):
    response = call(mock, "listBackups", {**mock.admin(), "Prefer": "return=minimal, respond-async"})
    assert response.status_code == 200
    assert "preference-applied" not in response.headers
    assert_conforms("listBackups", 200, response.headers, response.content)


def test_normal_checks_still_apply_to_a_delay_or_dynamic_request(mock):
    response = call(mock, "listBackups", {"Prefer": "dynamic=true, delay=1ms"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Token"
    assert response.headers["preference-applied"] == "delay=1ms, dynamic=true"


def walk(mock, headers, page_size=10):
    """Every page of the organization's list; returns all results."""
    results, page, count = [], 1, None
    while True:
        response = call(mock, "listBackups", headers, f"?page={page}&page_size={page_size}")
        assert_conforms("listBackups", response.status_code, response.headers, response.content)
        body = response.json()
        count = body["count"]
        results += body["results"]
        if body["next"] is None:
            return results, count
        page += 1


def test_dynamic_data_is_paged_conforming_and_readable_by_sid(mock):
    dynamic = {**mock.admin(), "Prefer": "dynamic=true"}
    results, count = walk(mock, dynamic, page_size=10)
    assert count == 57 and len(results) == 57 and len({item["sid"] for item in results}) == 57
    dates = [item["date_created"] for item in results]
    assert dates == sorted(dates, reverse=True)
    for item in results:
        assert item["description"] == "Data backup on " + item["name"][:14]
        assert item["name"][:14] < item["date_created"].replace("-", "").replace("T", "").replace(":", "")[:14]
    for item in results[:3] + results[-2:]:
        detail = mock.request("GET", detail_url(item["sid"]), dynamic)
        assert detail.status_code == 200 and detail.json() == item
        assert_conforms("getBackup", 200, detail.headers, detail.content)
    # a listed generated backup opens without asking for dynamic data (issue 11)...
    plain = mock.request("GET", detail_url(results[0]["sid"]), mock.admin())
    assert plain.status_code == 200 and plain.json() == results[0]
    # ...but not when the request asks for the fixtures, like any sid they do not know
    fixtures_only = {**mock.admin(), "Prefer": "dynamic=false"}
    assert mock.request("GET", detail_url(results[0]["sid"]), fixtures_only).status_code == 406
    # role checks are the normal ones: a Member is refused
    member = {"Authorization": f"Token {mock.creds['member_token']}", "Prefer": "dynamic=true"}
    refused = call(mock, "listBackups", member)
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)


def test_created_backups_come_first_in_dynamic_data(mock):
    created = call(mock, "createBackup", mock.admin()).json()
    page = call(mock, "listBackups", {**mock.admin(), "Prefer": "dynamic=true"}).json()
    assert page["count"] == 58 and page["results"][0] == created


def test_same_seed_same_data_other_seed_other_data(mock):
    headers = {**mock.admin(), "Prefer": "dynamic=true"}
    first = call(mock, "listBackups", headers, "?page_size=57").json()
    with running(replace(mock.settings, seed=7, dynamic=True)) as again:
        assert call(again, "listBackups", again.admin(), "?page_size=57").json()["results"] == first["results"]
        off = call(again, "listBackups", {**again.admin(), "Prefer": "dynamic=false"}).json()
        assert off["count"] == call(mock, "listBackups", mock.admin()).json()["count"]
    with running(replace(mock.settings, seed=8)) as other:
        results = call(other, "listBackups", headers, "?page_size=57").json()["results"]
        assert {item["sid"] for item in results}.isdisjoint(item["sid"] for item in first["results"])


def test_a_browser_app_on_another_origin_may_send_prefer_and_read_the_answer(mock):
    origin = {"Origin": "http://localhost:5173"}
    preflight = mock.request("OPTIONS", list_url(mock.creds["org_sid"]), {
        **origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization, prefer"})
    assert preflight.status_code == 200
    assert "prefer" in preflight.headers["access-control-allow-headers"].lower()
    response = call(mock, "listBackups", {**origin, "Prefer": "code=403"})
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "preference-applied" in response.headers["access-control-expose-headers"].lower()


def test_command_line_options():
    from mockserver.cli import build_parser, settings_from

    settings = settings_from(build_parser().parse_args(["--dynamic", "--seed", "42", "--dynamic-count", "5000"]))
    assert (settings.dynamic, settings.seed, settings.dynamic_count) == (True, 42, 5000)
    assert settings_from(build_parser().parse_args([])).dynamic is False
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--dynamic-count", "2000000"])


def follow(mock, url: str, headers: dict[str, str]) -> list[dict]:
    """Every page from `url` on, through the `next` links only; all results."""
    results = []
    while url:
        response = mock.request("GET", url.removeprefix(mock.url), headers)
        assert response.status_code == 200, url
        assert_conforms("listBackups", 200, response.headers, response.content)
        body = response.json()
        results += body["results"]
        url = body["next"]
    return results


def test_a_dynamic_page_links_to_dynamic_pages_whose_details_open(mock):
    org = mock.creds["org_sid"]
    first = call(mock, "listBackups", {**mock.admin(), "Prefer": "dynamic=true"}, "?page_size=20").json()
    assert first["next"] == f"{mock.url}{list_url(org)}?__dynamic=true&page=2&page_size=20"
    results = first["results"] + follow(mock, first["next"], mock.admin())  # no Prefer from page 2 on
    assert len(results) == 57 == len({item["sid"] for item in results})
    last = call(mock, "listBackups", mock.admin(), "?__dynamic=true&page=3&page_size=20").json()
    assert last["previous"] == f"{mock.url}{list_url(org)}?__dynamic=true&page=2&page_size=20"
    for item in results[::7]:
        detail = mock.request("GET", detail_url(item["sid"]), mock.admin())
        assert detail.status_code == 200 and detail.json() == item


def test_with_dynamic_by_default_a_fixtures_page_links_to_fixtures_pages(mock):
    with running(replace(mock.settings, dynamic=True)) as dynamic:
        org = dynamic.creds["org_sid"]
        generated = call(dynamic, "listBackups", dynamic.admin(), "?page_size=20").json()
        assert generated["count"] == 57 and "__dynamic" not in generated["next"]  # the mock's default: no mark
        fixtures = call(dynamic, "listBackups", {**dynamic.admin(), "Prefer": "dynamic=false"}, "?page_size=20").json()
        assert fixtures["next"] == f"{dynamic.url}{list_url(org)}?__dynamic=false&page=2&page_size=20"
        rest = follow(dynamic, fixtures["next"], dynamic.admin())
        assert fixtures["count"] == 32 and len(fixtures["results"] + rest) == 32
