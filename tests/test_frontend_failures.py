"""Failures on demand against a real server: undocumented 5xx, connection faults, `__` query parameters.

Faults are observed where a client sees them: on a raw socket (a reset is ECONNRESET, an empty
reply is end of stream before any byte) and through httpx. Timings have lower bounds only.
"""

from __future__ import annotations

import json
import logging
import socket
import time

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver.api.errors import SERVER_ERROR
from mockserver.app import create_app
from mockserver.settings import Settings
from tests.frontend_server import running
from tests.spec_validation import assert_conforms, response_examples, spec_document, without_sids
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration
FAILURES = {"500": SERVER_ERROR, "502": "Bad Gateway", "503": "Service Unavailable", "504": "Gateway Timeout"}


@pytest.fixture(scope="module")
def mock():
    with running(Settings(seed=3, dynamic_count=25)) as server:
        yield server


@pytest.fixture(autouse=True)
def reset(mock):
    mock.request("POST", "/__mock/reset")
    mock.request("DELETE", "/__mock/requests")


def raw(mock, head: str) -> bytes:
    """Send one request head on a fresh connection; everything received until the server closes."""
    with socket.create_connection(("127.0.0.1", mock.settings.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk


@pytest.mark.parametrize("code", list(FAILURES))
@pytest.mark.parametrize("how", ["header", "query"])
def test_undocumented_failures_are_json_and_marked(mock, code, how):
    org = mock.creds["org_sid"]
    for method, path in (("GET", list_url(org)), ("POST", list_url(org, "detail")), ("GET", detail_url("xxx"))):
        if how == "header":
            response = mock.request(method, path, {"Prefer": f"code={code}"})
        else:
            response = mock.request(method, path + f"?__code={code}")
        assert response.status_code == int(code)
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"detail": FAILURES[code]}
        assert response.headers["preference-applied"] == f"code={code}, documented=false"
    # a forced failure changes nothing: no backup was created by the POSTs
    listed = mock.request("GET", list_url(org), mock.admin()).json()
    assert listed["count"] == 32


def test_a_failure_has_no_examples_and_other_undocumented_codes_are_refused(mock):
    org = mock.creds["org_sid"]
    response = mock.request("GET", list_url(org), {"Prefer": "code=503, example=wrongId"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Prefer: code=503 is not documented for listBackups and has no")
    response = mock.request("GET", list_url(org) + "?__code=418")
    assert response.status_code == 400
    assert response.json()["detail"] == ("__code=418 is not documented for listBackups; documented codes: "
                                         "200, 401, 403, 404, 406; undocumented failures: 500, 502, 503, 504.")


def test_reset_sends_rst_and_no_byte(mock):
    path = list_url(mock.creds["org_sid"])
    with socket.create_connection(("127.0.0.1", mock.settings.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nPrefer: fault=reset\r\n\r\n".encode())
        with pytest.raises(ConnectionResetError):
            sock.recv(65536)
    with pytest.raises(httpx.ReadError):
        httpx.get(mock.url + path + "?__fault=reset", timeout=10)


def test_empty_closes_without_a_byte(mock):
    path = list_url(mock.creds["org_sid"])
    assert raw(mock, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nPrefer: fault=empty") == b""
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        httpx.get(mock.url + path + "?__fault=empty", timeout=10)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_on_a_kept_alive_pipelined_connection_a_fault_drops_what_follows_and_nothing_else(mock):
    """Requests sent at once on one connection: those before the fault are answered in full, the
    fault's and the later ones get no byte, and uvicorn answers none of them itself (no 500 and
    no error logged for a request the app left unanswered on purpose)."""
    errors = _Errors()
    logging.getLogger("uvicorn.error").addHandler(errors)
    try:
        path = list_url(mock.creds["org_sid"])
        token = mock.creds["admin_token"]
        plain = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n\r\n"
        for fault in ("empty", "reset"):
            dropped = plain.replace(f"{path} ", f"{path}?__fault={fault} ")
            with socket.create_connection(("127.0.0.1", mock.settings.port), timeout=10) as sock:
                sock.sendall((plain + plain + dropped + plain).encode())
                data = b""
                try:
                    while chunk := sock.recv(65536):
                        data += chunk
                except ConnectionResetError:
                    assert fault == "reset"
            assert data.count(b"HTTP/1.1 ") == 2, data[:200]
            head, _, rest = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert json.loads(rest.partition(b"HTTP/1.1 200 OK")[0])["count"] == 32  # the first, whole
            assert data.endswith(b"}")  # the second answer whole too, then nothing
            with socket.create_connection(("127.0.0.1", mock.settings.port), timeout=10) as sock:
                sock.sendall((dropped + plain).encode())  # the fault first: no byte at all
                try:
                    assert sock.recv(65536) == b""
                except ConnectionResetError:
                    assert fault == "reset"
        assert mock.request("GET", path, mock.admin()).status_code == 200  # and the mock goes on
    finally:
        logging.getLogger("uvicorn.error").removeHandler(errors)
    assert errors.messages == []


def test_dropped_connections_are_journaled_without_a_status(mock):
    path = list_url(mock.creds["org_sid"])
    raw(mock, f"GET {path}?__fault=empty HTTP/1.1\r\nHost: 127.0.0.1")
    entry = mock.request("GET", "/__mock/requests?limit=1").json()["requests"][0]
    assert (entry["status"], entry["fault"], entry["query"]) == (None, "empty", "__fault=empty")
    none = mock.request("GET", "/__mock/requests?status=none").json()
    assert none["count"] == 1


def test_malformed_is_a_200_whose_json_is_cut(mock):
    org = mock.creds["org_sid"]
    response = httpx.get(mock.url + list_url(org), headers={"Prefer": "fault=malformed"}, timeout=10)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content) > 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    whole = mock.request("GET", list_url(org), {"Prefer": "code=200"}).content
    assert whole.startswith(response.content) and len(response.content) == len(whole) // 2
    assert response.headers["preference-applied"] == "code=200, example=documented, fault=malformed"
    # a named success example is cut too; an error status cannot be
    named = mock.request("GET", list_url(org), {"Prefer": "fault=malformed, example=empty"})
    assert named.status_code == 200 and named.content == mock.request(
        "GET", list_url(org), {"Prefer": "example=empty"}).content[: len(named.content)]
    refused = mock.request("GET", list_url(org), {"Prefer": "fault=malformed, code=406"})
    assert refused.status_code == 400 and "cuts a success answer" in refused.json()["detail"]


def test_slow_body_sends_the_head_at_once_and_trickles_the_real_answer(mock):
    org = mock.creds["org_sid"]
    path = list_url(org) + "?page_size=40"
    expected = mock.request("GET", path, mock.admin()).content
    token = mock.creds["admin_token"]
    with socket.create_connection(("127.0.0.1", mock.settings.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
                     "Prefer: fault=slow-body, delay=1s\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        headed = time.monotonic()
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        finished = time.monotonic()
    assert head.startswith(b"HTTP/1.1 200 ") and b"preference-applied: delay=1s, fault=slow-body" in head
    assert f"content-length: {len(expected)}".encode() in head
    assert body == expected
    assert finished - started >= 0.9  # the body took about the delay...
    assert len(body) > 0 and finished - headed >= 0.8  # ...after the head arrived
    assert_conforms("listBackups", 200, {"content-type": "application/json"}, body)


def test_query_parameters_are_stripped_before_the_request_is_handled(mock):
    org, admin = mock.creds["org_sid"], mock.admin()
    page = mock.request("GET", list_url(org) + "?page=2&__delay=1ms&page_size=5&__example=wrongLevel&__x=1", {
        **admin, "Prefer": "example=documented"})  # a choice in Prefer wins over the same `__` parameter
    assert page.status_code == 200
    assert without_sids(page.json()) == without_sids(response_examples("listBackups", "200")["documented"])
    real = mock.request("GET", list_url(org) + "?page=2&__delay=1ms&page_size=5&__unknown=1", admin)
    body = real.json()
    assert (body["page_number"], body["page_size"]) == (2, 5)
    assert "__" not in body["next"] and "__" not in body["previous"]
    assert real.headers["preference-applied"] == "delay=1ms"
    journal = mock.request("GET", "/__mock/requests?limit=1").json()["requests"][0]
    assert journal["query"] == "page=2&__delay=1ms&page_size=5&__unknown=1"  # the journal shows what was sent
    encoded = mock.request("GET", list_url(org) + "?%5F%5Fcode=503")
    assert encoded.status_code == 503


@pytest.mark.parametrize("query, message", [
    ("__code=teapot", "__code must be a status code, not 'teapot'"),
    ("__fault=explode", "__fault must be one of reset, empty, malformed, slow-body, not 'explode'"),
    ("__delay=2", "__delay: '2' needs a unit"),
    ("__dynamic=maybe", "__dynamic must be true or false"),
    ("__example=nothing", "__example=nothing is not documented for listBackups."),
])
def test_bad_query_choices_are_400_with_the_reason(mock, query, message):
    response = mock.request("GET", list_url(mock.creds["org_sid"]) + "?" + query, mock.admin())
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_a_dropping_fault_without_the_mock_server_is_a_clear_501():
    with TestClient(create_app(Settings())) as client:
        response = client.get(detail_url("xxx"), headers={"Prefer": "fault=reset"})
    assert response.status_code == 501
    assert response.json() == {"detail": "fault=reset needs the mock's own HTTP server (python -m mockserver): "
                                         "this server gives the app no way to drop a connection."}


def test_the_failures_are_those_the_spec_notes():
    note = spec_document()["info"]["x-mock-failures"]
    assert {code: body for code, body in note.items() if code.isdigit()} == \
        {code: {"detail": text} for code, text in FAILURES.items()}
