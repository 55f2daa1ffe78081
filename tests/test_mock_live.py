"""Against a real uvicorn server on a free port: raw HTTP, conformance, and the official client."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
from labii_sdk.api_client import APIObject
from labii_sdk.sdk import LabiiObject

from mockserver.cli import demo_credentials
from mockserver.data.fixtures import load_fixtures
from mockserver.data.records import shape_of
from mockserver.settings import Settings
from mockserver.spec.document import Spec
from tests.spec_validation import assert_conforms
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def creds(live_server):
    settings = Settings(port=live_server.port)
    return demo_credentials(settings, load_fixtures(settings.fixtures_dir, shape_of(Spec.load())), "/v1")


@pytest.fixture(autouse=True)
def reset(live_server):
    raw(live_server, "POST", "/__mock/reset")


def raw(server, method: str, path: str, headers: dict[str, bytes | str] | None = None, body: bytes | None = None):
    """One request with exactly these bytes (no client-side normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wire(server, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection, read to the end: every byte the server sent after the head."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n")
        while chunk := sock.recv(65536):
            received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), parsed, rest


def test_head_answers_like_get_without_a_body_over_http(live_server, creds):
    admin = {"Authorization": f"Token {creds['admin_token']}"}
    member = {"token": creds["member_token"]}
    org = creds["org_sid"]
    first = json.loads(raw(live_server, "GET", list_url(org), admin)[2])["results"][0]["sid"]
    cases = [
        ("listBackups", list_url(org), admin, 200, None),
        ("getBackup", detail_url(first), admin, 200, None),
        ("listBackups", list_url(org), {}, 401, "Authentication credentials were not provided."),
        ("getBackup", detail_url(first), {}, 401, "Authentication credentials were not provided."),
        ("getBackup", detail_url(first, prefix=""), {"Authorization": "Token nope"}, 401, "Invalid token."),
        ("listBackups", list_url(org), member, 403, "You do not have permission to perform this action."),
        ("getBackup", detail_url(first), member, 403, "You do not have permission to perform this action."),
    ]
    for operation_id, path, headers, status, detail in cases:
        got_status, got_headers, got_body = wire(live_server, "GET", path, headers)
        head_status, head_headers, head_body = wire(live_server, "HEAD", path, headers)
        assert (head_status, got_status) == (status, status), (path, headers)
        assert head_body == b"", f"HEAD {path} sent a body: {head_body[:100]!r}"
        assert_conforms(operation_id, status, got_headers, got_body)
        if detail is not None:
            assert json.loads(got_body) == {"detail": detail}
        head_headers.pop("date", None)
        got_headers.pop("date", None)
        assert head_headers == got_headers, path  # Content-Length, Content-Type, WWW-Authenticate alike
        assert head_headers["content-length"] == str(len(got_body))
        assert head_headers["content-type"] == "application/json"
        assert ("www-authenticate" in head_headers) == (status == 401)
        if status == 401:
            assert head_headers["www-authenticate"] == "Token"


def test_token_that_is_not_text_is_401(live_server, creds):
    status, headers, body = raw(live_server, "GET", list_url(creds["org_sid"]), {"Authorization": b"Token \xff\xfe"})
    assert status == 401
    assert json.loads(body) == {"detail": "Invalid token header. Token string should not contain invalid characters."}
    assert headers["www-authenticate"] == "Token"


def test_every_status_of_every_operation_conforms_over_http(live_server, creds):
    admin = {"Authorization": f"Token {creds['admin_token']}"}
    member = {"token": creds["member_token"]}
    bearer = {"Authorization": f"Bearer {creds['admin_token']}"}
    org = creds["org_sid"]
    first = json.loads(raw(live_server, "GET", list_url(org), admin)[2])["results"][0]["sid"]
    cases = [
        ("listBackups", "GET", list_url(org), admin, 200),
        ("listBackups", "GET", list_url(org, "name") + "?page=2", bearer, 200),
        ("listBackups", "GET", list_url(creds["empty_org_sid"]), {"token": creds["empty_token"]}, 200),
        ("listBackups", "GET", list_url(org), {}, 401),
        ("listBackups", "GET", list_url(org), member, 403),
        ("listBackups", "GET", list_url(org) + "?page=100", admin, 404),
        ("listBackups", "GET", list_url(org, level="user"), admin, 406),
        ("createBackup", "POST", list_url(org, "detail"), admin, 200),
        ("createBackup", "POST", list_url(org), {}, 401),
        ("createBackup", "POST", list_url(org), member, 403),
        ("createBackup", "POST", list_url(org, "x"), admin, 406),
        ("getBackup", "GET", detail_url(first), admin, 200),
        ("getBackup", "GET", detail_url(first, prefix=""), {"Authorization": "Token nope"}, 401),
        ("getBackup", "GET", detail_url(first), member, 403),
        ("getBackup", "GET", detail_url("nope"), admin, 406),
    ]
    for operation_id, method, path, headers, expected in cases:
        status, response_headers, body = raw(live_server, method, path, headers, b"" if method == "POST" else None)
        assert status == expected, (method, path, body)
        assert_conforms(operation_id, status, response_headers, body)


def test_official_client_lists_creates_and_retrieves(live_server, creds, capsys):
    base_url = live_server.url + "/v1"
    sdk = LabiiObject(creds["org_sid"], base_url=base_url, api_key=creds["admin_token"])
    first_page = sdk.Backup.list(page=1, page_size=10)
    assert isinstance(first_page, dict), first_page
    assert first_page["page_number"] == 1 and len(first_page["results"]) == 10
    everything = sdk.Backup.list(all_pages=True)
    assert len(everything["results"]) == everything["count"] == first_page["count"]
    assert len({b["sid"] for b in everything["results"]}) == everything["count"]
    created = sdk.Backup.create({})
    assert isinstance(created, dict) and created["name"].endswith(".gz"), created
    assert sdk.Backup.retrieve(created["sid"]) == created
    assert sdk.Backup.list(serializer="name")["results"][0] == {"sid": created["sid"], "name": created["name"]}
    # the user-token form of the same client
    api = APIObject(base_url=base_url, token=creds["admin_token"], organization__sid=creds["org_sid"])
    with_token = LabiiObject(creds["org_sid"], api=api)
    assert with_token.Backup.list(page=2, page_size=10)["page_number"] == 2
    assert with_token.Backup.list(all_pages=True)["count"] == first_page["count"] + 1
    # and a refusal reaches the client as the documented text
    member = LabiiObject(creds["org_sid"], base_url=base_url, api_key=creds["member_token"])
    refused = member.Backup.list()
    assert json.loads(refused) == {"detail": "You do not have permission to perform this action."}
    assert "Error: 403" in capsys.readouterr().out


def test_a_huge_body_is_refused_before_it_is_read(live_server, creds):
    connection = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    try:
        connection.putrequest("POST", list_url(creds["org_sid"]))
        connection.putheader("Authorization", f"Token {creds['admin_token']}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(10 * 1024 * 1024))
        connection.endheaders(b"{" + b" " * 65536)  # only the first 64 KiB are ever sent
        response = connection.getresponse()
        status, headers, body = response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()
    assert status == 413
    assert_conforms("createBackup", 413, headers, body)
    assert json.loads(body) == {"detail": "Request body is larger than 2621440 bytes."}
