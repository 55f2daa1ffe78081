"""Issue 10's attack table, row by row, against the real CLI (`python -m mockserver`) on a free port.

Each test reproduces what an adversary did and checks the fixed behaviour: bounded heads and
journal, a control plane no web page can reach, escaped and redacted logs, JSON for every
refusal, slow bodies cut off, forged hosts refused.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.test_hardening import Mock, _run_mock, send

pytestmark = pytest.mark.integration
ORG = "ehkn0a40x1glqvAFKP"
LIST = f"/v1/organizations/backup/list/organization/{ORG}/list/"
CREATE = f"/v1/organizations/backup/list/organization/{ORG}/detail/"
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} ")


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    yield from _run_mock(tmp_path_factory, "--body-timeout", "1s", "--journal-size", "200",
                         "--journal-bytes", "256KiB", "--max-head-size", "16KiB", "--max-headers", "60")


def rss_kib(mock: Mock) -> int:
    with open(f"/proc/{mock.process.pid}/status") as handle:
        status = handle.read()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def admin(mock: Mock) -> str:
    return str(mock.creds["admin_token"])


def head(path: str = LIST, *headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    return "\r\n".join(lines).encode("latin-1")


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    """Poll until predicate() is truthy (its value returned); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


# -- row 1: the request head and the journal are bounded -------------------------------------------

def send_huge(mock: Mock, data: bytes) -> bytes:
    """Send `data` in pieces until the server answers or closes; its answer."""
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as sock:
        for start in range(0, len(data), 65536):
            try:
                sock.sendall(data[start:start + 65536])
            except (BrokenPipeError, ConnectionResetError):
                break
        return _read_all(sock)


def test_a_huge_header_is_refused_431_in_json_and_memory_stays_flat(mock: Mock) -> None:
    before = rss_kib(mock)
    for _ in range(50):
        answer = send_huge(mock, head(LIST, f"Authorization: Token {admin(mock)}", "X-Big: " + "a" * 10_000_000))
        status, _, rest = answer.partition(b"\r\n")
        assert status == b"HTTP/1.1 431 Request Header Fields Too Large", answer[:200]
        assert b"content-type: application/json" in rest and b"connection: close" in rest
        assert rest.endswith(b'{"detail":"Request header fields too large: at most 16,384 bytes and 60 fields."}')
    assert rss_kib(mock) - before < 30_000  # KiB: nothing of the 500 MB sent was kept


def test_too_many_header_fields_are_refused_431(mock: Mock) -> None:
    fields = [f"X-F{index}: v" for index in range(61)]
    answer = send(mock, head(LIST, f"Authorization: Token {admin(mock)}", *fields[:58]))
    assert answer.status == 200  # 60 fields with Host and Authorization: at the limit
    answer = send(mock, head(LIST, f"Authorization: Token {admin(mock)}", *fields))
    assert answer.status == 431 and b"60 fields" in answer.body


def test_a_head_just_under_the_limit_is_answered(mock: Mock) -> None:
    answer = send(mock, head(LIST, f"Authorization: Token {admin(mock)}", "X-Pad: " + "p" * 15_000))
    assert answer.status == 200


def test_the_journal_keeps_long_values_cut_and_stays_within_its_bytes(mock: Mock) -> None:
    httpx.delete(mock.url + "/__mock/requests")
    for _ in range(40):
        assert send(mock, head(LIST, f"Authorization: Token {admin(mock)}", "X-Pad: " + "p" * 15_000)).status == 200
    journal = httpx.get(mock.url + "/__mock/requests")
    assert journal.status_code == 200 and len(journal.content) < 300_000
    entries = journal.json()["requests"]
    assert len(entries) == 40
    assert entries[0]["headers"]["x-pad"].endswith("... (cut: 15,000 bytes in all)")
    assert len(entries[0]["headers"]["x-pad"]) < 1100


# -- row 4: the control plane is the developer's only ------------------------------------------------

def test_control_calls_from_a_web_page_or_a_forged_host_are_refused(mock: Mock) -> None:
    refused = [
        httpx.post(mock.url + "/__mock/reset", headers={"Origin": "http://evil.example"}),
        httpx.post(mock.url + "/__mock/reset", headers={"Origin": "null"}),
        httpx.get(mock.url + "/__mock/requests", headers={"Origin": "http://evil.example"}),
        httpx.post(mock.url + "/__mock/reset", headers={"Host": "evil.example"}),  # DNS rebinding
        httpx.get(mock.url + "/__mock/requests", headers={"Host": "evil.example:4010"}),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.request.headers
        assert answer.headers["content-type"] == "application/json" and "detail" in answer.json()
        assert not any(name.startswith("access-control-") for name in answer.headers)
    for host in ("localhost:4010", "127.0.0.1", "[::1]:4010", "app.localhost"):
        assert httpx.get(mock.url + "/__mock/requests?limit=0", headers={"Host": host}).status_code == 200, host
    local = httpx.post(mock.url + "/__mock/reset", headers={"Origin": "http://localhost:5173"})
    assert local.status_code == 200 and "access-control-allow-origin" not in local.headers


def test_no_simple_request_can_change_state(mock: Mock) -> None:
    for content_type, body in (("application/x-www-form-urlencoded", b"a=1"), ("text/plain", b"reset"),
                               ("multipart/form-data; boundary=x", b"--x--")):
        answer = httpx.post(mock.url + "/__mock/reset", headers={"Content-Type": content_type}, content=body)
        assert answer.status_code == 415 and "application/json" in answer.json()["detail"], content_type
    answer = httpx.request("DELETE", mock.url + "/__mock/requests", content=b"x")  # a body without a type
    assert answer.status_code == 415
    assert httpx.post(mock.url + "/__mock/reset", json={}).status_code == 200
    assert httpx.post(mock.url + "/__mock/reset").status_code == 200


def test_the_control_plane_answers_no_preflight_and_sends_no_cors_headers(mock: Mock) -> None:
    preflight = httpx.options(mock.url + "/__mock/reset", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 405 and preflight.headers["content-type"] == "application/json"
    assert not any(name.startswith("access-control-") for name in preflight.headers)
    api = httpx.get(mock.url + LIST, headers={"Origin": "http://evil.example", "Authorization": f"Token {admin(mock)}"})
    assert api.headers["access-control-allow-origin"] == "*"  # the API itself stays open to any page


# -- rows 6 and 7: logs and journal are safe to show ----------------------------------------------------

def test_control_characters_cannot_forge_console_lines(mock: Mock) -> None:
    marker = f"forged{time.monotonic_ns()}"
    send(mock, head(f"/v1/x%0a12:00:00.000%20GET%20%20%20%20%20200%20/{marker}%201.0ms%1b[31mred"))
    line = wait_for(lambda: next((line for line in mock.output().splitlines() if marker in line), None))
    assert "\\n12:00:00.000 GET" in line and "\\x1b[31m" in line
    assert "\x1b" not in mock.output()
    assert not any(line.startswith("12:00:00.000") for line in mock.output().splitlines())


def test_known_tokens_never_reach_the_journal_or_the_console(mock: Mock) -> None:
    tokens = [mock.creds[key] for key in ("admin_token", "member_token", "foreign_token", "empty_token")]
    httpx.delete(mock.url + "/__mock/requests")
    for token in tokens:
        basic = base64.b64encode(f"user:{token}".encode()).decode()
        channels = [
            (LIST, [f"Authorization: {token} Token"]),
            (LIST, [f"Authorization: Token {token}"]),
            (LIST, [f"Authorization: Basic {basic}"]),
            (f"{LIST}?api_token={token}", []),
            (f"{LIST}?auth_token={token}", []),
            (f"{LIST}?token%20={token}", []),
            (f"{LIST}?q={token}", []),
            (f"/v1/organizations/backup/detail/{token}/", []),
            (LIST, [f"X-Auth-Token: {token}"]),
            (LIST, [f"X-Session-Key: {token}"]),
            (LIST, [f"Cookie: sessionid={token}"]),
            (LIST, [f"Referer: http://app.local/page?token={token}"]),
            (LIST, [f"Origin: http://app.local?token={token}"]),
            (LIST, [f"X-Whatever: {token}"]),
        ]
        for path, headers in channels:
            send(mock, head(path, *headers))
    marker = f"/v1/end-of-channels-{time.monotonic_ns()}"
    send(mock, head(marker))
    wait_for(lambda: marker in mock.output())
    journal = httpx.get(mock.url + "/__mock/requests").text
    assert journal.count("<redacted>") >= 14 * len(tokens)
    # the console, past its start-up banner (which prints the demo credentials on purpose)
    console = "\n".join(line for line in mock.output().splitlines() if LOG_LINE.match(line))
    assert console.count("redacted") >= 5 * len(tokens)  # four query channels and the path
    for token in tokens:
        assert token not in journal and token not in console
        assert base64.b64encode(f"user:{token}".encode()).decode() not in journal + console


# -- row 9: every answer is JSON ----------------------------------------------------------------------

def test_a_websocket_upgrade_is_refused_in_json(mock: Mock) -> None:
    key = base64.b64encode(os.urandom(16)).decode()
    answer = send(mock, head(LIST, "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
                             f"Sec-WebSocket-Key: {key}"))
    assert answer.status == 403 and answer.headers["content-type"] == "application/json"
    assert "WebSocket" in json.loads(answer.body)["detail"]


def test_cors_refusals_are_json(tmp_path_factory: pytest.TempPathFactory) -> None:
    for restricted in _run_mock(tmp_path_factory, "--cors-origin", "http://app.local"):
        answer = httpx.options(restricted.url + LIST, headers={"Origin": "http://evil.example",
                                                               "Access-Control-Request-Method": "GET"})
        assert answer.status_code == 400 and answer.json() == {"detail": "Disallowed CORS origin"}
        answer = httpx.options(restricted.url + LIST, headers={"Origin": "http://app.local",
                                                               "Access-Control-Request-Method": "PATCH"})
        assert answer.status_code == 400 and answer.json() == {"detail": "Disallowed CORS method"}
        allowed = httpx.options(restricted.url + LIST, headers={"Origin": "http://app.local",
                                                                "Access-Control-Request-Method": "GET"})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://app.local"


# -- row 10: slow bodies are cut off -------------------------------------------------------------------

def _dribble(mock: Mock) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", mock.port), timeout=10)
    sock.sendall(head(CREATE, f"Authorization: Token {admin(mock)}",
                      "Transfer-Encoding: chunked", method="POST") + b"\r\n\r\n1\r\n{\r\n")
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            return data
        if not chunk:
            return data
        data += chunk


def test_a_body_dribbled_after_the_answer_only_holds_the_connection_until_the_timeout(mock: Mock) -> None:
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as sock:
        sock.sendall(head(LIST, "Content-Length: 100", f"Authorization: Token {admin(mock)}") + b"\r\n\r\n{")
        started = time.monotonic()
        data = _read_all(sock)  # the GET is answered at once, then nothing more: closed at the timeout
    assert data.startswith(b"HTTP/1.1 200 ") and data.count(b"HTTP/1.1") == 1
    assert 0.9 <= time.monotonic() - started


def test_a_body_dribbled_forever_gets_408_and_its_connection_closed(mock: Mock) -> None:
    started = time.monotonic()
    with _dribble(mock) as sock:
        data = _read_all(sock)
    assert time.monotonic() - started >= 0.9  # not before the 1 s body timeout
    assert data.startswith(b"HTTP/1.1 408 ") and b"content-type: application/json" in data
    assert data.endswith(b'{"detail":"Request body not received in time."}')


def test_many_dribbling_connections_are_all_released(mock: Mock) -> None:
    sockets = [_dribble(mock) for _ in range(100)]
    try:
        ok = httpx.get(mock.url + LIST, headers={"Authorization": f"Token {admin(mock)}"}, timeout=5)
        assert ok.status_code == 200  # others are answered meanwhile
        answers = [_read_all(sock) for sock in sockets]
        assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)
    finally:
        for sock in sockets:
            sock.close()


def test_a_body_sent_in_time_is_not_cut(mock: Mock) -> None:
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as sock:
        sock.sendall(head(CREATE, f"Authorization: Token {admin(mock)}",
                          "Transfer-Encoding: chunked", method="POST") + b"\r\n\r\n1\r\n{\r\n")
        time.sleep(0.3)
        sock.sendall(b"1\r\n}\r\n0\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    httpx.post(mock.url + "/__mock/reset")


# -- the Host header ------------------------------------------------------------------------------------

def test_allowed_hosts_refuses_forged_hosts_as_django_does(tmp_path_factory: pytest.TempPathFactory) -> None:
    for shared in _run_mock(tmp_path_factory, "--allowed-hosts", "localhost,127.0.0.1,.mock.test"):
        token = {"Authorization": f"Token {shared.creds['admin_token']}"}
        forged = httpx.get(shared.url + LIST, headers={**token, "Host": "evil.example"})
        assert forged.status_code == 400 and forged.json() == {"detail": (
            "Invalid HTTP_HOST header: 'evil.example'. You may need to add 'evil.example' to ALLOWED_HOSTS.")}
        page = httpx.get(shared.url + LIST + "?page=2", headers={**token, "Host": "api.mock.test:8080"})
        assert page.status_code == 200
        assert page.json()["previous"] == f"http://api.mock.test:8080{LIST}"  # links follow the Host
        assert httpx.get(shared.url + LIST, headers=token).status_code == 200


# -- row 2: state in SQLite, nothing acknowledged lost to kill -9 ---------------------------------------

def test_nothing_acknowledged_is_lost_when_the_mock_is_killed_during_writes(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    state = tmp_path_factory.mktemp("killed") / "state.db"
    acknowledged: list[str] = []
    for killed in _run_mock(tmp_path_factory, "--state", str(state), "--quiet"):
        stop = threading.Event()

        def post_until_gone(killed: Mock = killed, stop: threading.Event = stop) -> None:
            with httpx.Client(headers={"Authorization": f"Token {admin(killed)}"}, timeout=10) as client:
                while not stop.is_set():
                    try:
                        answer = client.post(killed.url + CREATE)
                    except httpx.TransportError:
                        return
                    if answer.status_code == 200:
                        acknowledged.append(answer.json()["sid"])

        workers = [threading.Thread(target=post_until_gone) for _ in range(8)]
        for worker in workers:
            worker.start()
        wait_for(lambda: len(acknowledged) >= 400, timeout=60)
        os.kill(killed.process.pid, signal.SIGKILL)  # in the middle of the writes
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    with contextlib.closing(sqlite3.connect(state)) as db:
        saved = {sid for (sid,) in db.execute("SELECT sid FROM backups")}
    assert len(acknowledged) >= 400 and set(acknowledged) <= saved
    # and the mock takes its own file back
    for again in _run_mock(tmp_path_factory, "--state", str(state)):
        count = httpx.get(again.url + LIST, headers={"Authorization": f"Token {admin(again)}"}).json()["count"]
        assert count == 32 + len(saved)
