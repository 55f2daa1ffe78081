"""The journal's request bodies (bounded, redacted) and its filters with a count, against a real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mockserver.control.journal import MAX_BODY
from mockserver.control.redaction import Redactor
from mockserver.settings import Settings
from tests.frontend_server import running
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mock():
    with running(Settings()) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(mock):
    mock.request("POST", "/__mock/reset")
    mock.request("DELETE", "/__mock/requests")


def post(mock, headers=None, **kwargs) -> httpx.Response:
    return httpx.post(mock.url + list_url(mock.creds["org_sid"], "detail"), headers={**mock.admin(), **(headers or {})},
                      timeout=10, **kwargs)


def newest(mock) -> dict:
    return mock.request("GET", "/__mock/requests?limit=1").json()["requests"][0]


def test_json_bodies_are_kept_parsed_with_secrets_hidden(mock):
    admin_token = mock.creds["admin_token"]
    sent = {"note": "nightly", "password": "hunter2", "nested": {"api_key": "k", "echo": admin_token}, "n": [1, 2]}
    assert post(mock, json=sent).status_code == 200
    entry = newest(mock)
    assert entry["body"] == {"note": "nightly", "password": "<redacted>",
                             "nested": {"api_key": "<redacted>", "echo": "<redacted>"}, "n": [1, 2]}
    assert entry["body_size"] == len(httpx.Request("POST", "http://x", json=sent).content)
    journal = mock.request("GET", "/__mock/requests").text
    assert "hunter2" not in journal and admin_token not in journal
    # fetch() sends a string body as text/plain: still shown as JSON
    post(mock, content=b'{"token": "t0k", "a": 1}', headers={"Content-Type": "text/plain"})
    assert newest(mock)["body"] == {"token": "<redacted>", "a": 1}


def test_form_multipart_and_binary_bodies(mock):
    post(mock, data={"password": "pw", "name": "x"})
    assert newest(mock)["body"] == "password=%3Credacted%3E&name=x"
    post(mock, files={"secret_file": ("a.txt", b"hidden")}, data={"comment": "visible"})
    body = newest(mock)["body"]
    assert "visible" in body and "hidden" not in body and "<redacted>" in body
    post(mock, content=bytes(range(256)) * 4, headers={"Content-Type": "application/octet-stream"})
    entry = newest(mock)
    assert (entry["body"], entry["body_size"]) == ("<1,024 bytes, not text>", 1024)


def test_a_long_body_is_cut_and_a_secret_in_the_cut_json_still_hidden(mock):
    sent = b'{"password": "hunter2", "padding": "' + b"p" * (MAX_BODY * 2) + b'"}'
    post(mock, content=sent, headers={"Content-Type": "application/json"})
    entry = newest(mock)
    assert entry["body_size"] == len(sent)
    assert entry["body"].endswith(f"... (cut: {len(sent):,} bytes in all)")
    assert "hunter2" not in entry["body"] and '"password": "<redacted>"' in entry["body"]
    assert len(entry["body"]) < MAX_BODY + 100


def test_requests_without_a_body_and_get_bodies(mock):
    mock.request("GET", list_url(mock.creds["org_sid"]), mock.admin())
    entry = newest(mock)
    assert (entry["body"], entry["body_size"]) == (None, 0)
    post(mock)
    assert newest(mock)["body"] is None


def seed_journal(mock) -> None:
    org, admin = mock.creds["org_sid"], mock.admin()
    member = {"Authorization": f"Token {mock.creds['member_token']}"}
    mock.request("GET", list_url(org), admin)                      # listBackups 200 Ada
    mock.request("GET", list_url(org), member)                     # listBackups 403 Max
    mock.request("POST", list_url(org, "detail"), admin)           # createBackup 200 Ada
    mock.request("POST", list_url(org, "detail"), member)          # createBackup 403 Max
    mock.request("HEAD", detail_url("xxx"), admin)                 # getBackup 406
    mock.request("GET", "/v1/no/such/path")                        # no operation, 404


@pytest.mark.parametrize("query, count", [
    ("", 6),
    ("operation=createBackup", 2),
    ("operation=createBackup&status=200", 1),
    ("operation=getBackup", 1),                       # HEAD reaches its GET
    ("method=post", 2),
    ("status=4xx", 4),
    ("status=403", 2),
    ("user=Max Member", 2),
    ("user=Ada Admin&operation=listBackups", 1),
    ("path=/v1/organizations/backup/detail/", 1),
    ("path=/nowhere", 0),
    ("status=none", 0),
])
def test_filters_count_what_they_match(mock, query, count):
    seed_journal(mock)
    body = mock.request("GET", "/__mock/requests?" + query).json()
    assert body["count"] == count and len(body["requests"]) == count
    limited = mock.request("GET", f"/__mock/requests?{query}&limit=1").json()
    assert limited["count"] == count and len(limited["requests"]) == min(count, 1)


def test_the_issue_example_and_entries_name_their_operation(mock):
    seed_journal(mock)
    body = mock.request("GET", "/__mock/requests?operation=createBackup&status=200").json()
    assert body["count"] == 1
    entry = body["requests"][0]
    assert (entry["method"], entry["operation"], entry["status"], entry["user"]) == \
        ("POST", "createBackup", 200, "Ada Admin")
    unknown = mock.request("GET", "/__mock/requests?path=/v1/no/").json()["requests"][0]
    assert unknown["operation"] is None


def test_since_keeps_the_later_requests(mock):
    mock.request("GET", detail_url("xxx"))
    middle = datetime.now(UTC)
    mock.request("GET", detail_url("yyy"))
    later = mock.request("GET", "/__mock/requests", ).json()["requests"][0]["time"]
    stamp = middle.isoformat().replace("+00:00", "Z")
    assert mock.request("GET", f"/__mock/requests?since={stamp}").json()["count"] == 1
    offset = (middle + timedelta(hours=2)).replace(tzinfo=None).isoformat() + "+02:00"
    assert httpx.get(mock.url + "/__mock/requests", params={"since": offset}).json()["count"] == 1
    assert mock.request("GET", f"/__mock/requests?since={later}").json()["count"] == 1  # at or after
    assert mock.request("GET", "/__mock/requests?since=2000-01-01T00:00:00").json()["count"] == 2


@pytest.mark.parametrize("query, message", [
    ("stauts=200", "unknown filter 'stauts'; the filters are operation, method, status, user, path, since, rule"),
    ("status=ok", "status must be a status code (200), a class (4xx) or none"),
    ("operation=makeBackup", "operation: 'makeBackup' is not an operationId of the spec"),
    ("since=yesterday", "since must be a time in ISO 8601"),
    ("limit=x", "limit must be a whole number"),
])
def test_bad_filters_are_400_with_the_reason(mock, query, message):
    response = mock.request("GET", "/__mock/requests?" + query)
    assert response.status_code == 400 and message in response.json()["detail"]


def test_redacting_text_bodies():
    redact = Redactor(["s3cr3tT0ken"])
    assert redact.body(b'{"auth": {"x": 1}, "list": [{"session": "a"}], "v": "s3cr3tT0ken"}', "application/json") == \
        {"auth": "<redacted>", "list": [{"session": "<redacted>"}], "v": "<redacted>"}
    assert redact.body(b"secret=1&ok=2", "text/plain") == "secret=<redacted>&ok=2"
    assert redact.body("café".encode()[:-1], "text/plain") == "caf"  # a character cut in two
    assert redact.body(b"", "application/json") == ""
