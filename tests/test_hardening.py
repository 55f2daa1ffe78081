"""Hardening (issue 5): nasty input, concurrency, binding, secrets, fuzzing, against the real mock.

The mock runs as shipped: `python -m mockserver --port N --no-watch` in a subprocess on a free port of
127.0.0.1 (no --host, so its default bind is under test too; access log on, so its output can
be searched for tokens). Requests are raw bytes on a socket wherever a client library would
normalise them. Every nasty request must be answered within TIMEOUT seconds, never with a 5xx,
always with a JSON body, and with the documented status and message (tests/hardening_cases.py).

HARDENING_FUZZ_EXAMPLES scales the schemathesis run (default small, for CI); the issue asks
for 1,000 per operation: `HARDENING_FUZZ_EXAMPLES=1000 pytest tests/test_hardening.py -k schemathesis`
(about two minutes).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockserver.cli import demo_credentials
from mockserver.data.fixtures import load_fixtures
from mockserver.data.records import shape_of
from mockserver.settings import Settings
from mockserver.spec.document import Spec
from tests.hardening_cases import CASES, Case
from tests.spec_validation import assert_conforms, operation

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi.yaml"
TIMEOUT = 5.0  # seconds: longer than this is a hang
FUZZ_EXAMPLES = int(os.environ.get("HARDENING_FUZZ_EXAMPLES", "10"))
FUZZ_SEED = int(os.environ.get("HARDENING_FUZZ_SEED", "5"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mock:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    creds: dict[str, Any]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


class Hang(AssertionError):
    """No complete answer within TIMEOUT."""


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    yield from _run_mock(tmp_path_factory)


def _run_mock(tmp_path_factory: pytest.TempPathFactory, *options: str) -> Iterator[Mock]:
    port = free_port()
    log = tmp_path_factory.mktemp("hardening") / "mock.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "--port", str(port), "--no-watch", *options],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"},
        )
    settings = Settings(port=port)
    creds = demo_credentials(settings, load_fixtures(settings.fixtures_dir, shape_of(Spec.load())), "/v1")
    server = Mock(port, process, log, creds)
    deadline = time.monotonic() + 20
    while True:
        try:
            if send(server, b"GET /__mock/requests?limit=0 HTTP/1.1\r\nHost: 127.0.0.1").status == 200:
                break
        except (OSError, AssertionError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the mock did not start: {server.output()[-2000:]}")
        time.sleep(0.05)
    try:
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: exactly the mock
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def fill(mock: Mock, data: bytes) -> bytes:
    creds = mock.creds
    return (data.replace(b"{org}", creds["org_sid"].encode())
            .replace(b"{admin}", creds["admin_token"].encode())
            .replace(b"{sid}", first_sid(mock).encode()))


_first_sid: dict[int, str] = {}


def first_sid(mock: Mock) -> str:
    if mock.port not in _first_sid:
        head = (b"GET /v1/organizations/backup/list/organization/{org}/list/?page=last HTTP/1.1\r\n"
                b"Host: 127.0.0.1\r\nAuthorization: Token {admin}")
        head = head.replace(b"{org}", mock.creds["org_sid"].encode())
        head = head.replace(b"{admin}", mock.creds["admin_token"].encode())
        _first_sid[mock.port] = json.loads(send(mock, head).body)["results"][-1]["sid"]  # a fixture backup
    return _first_sid[mock.port]


def _complete(data: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """The response in data, if it is all there (Content-Length bodies; the mock sends no other)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None
    return status, headers, rest[:length]


def send(mock: Mock, head: bytes, body: Any = None, timeout: float = TIMEOUT) -> Answer:
    """One raw request: the head, then the body's chunks while the server still reads them.

    The server may answer before the body is all sent (a 413 does): sending stops at its
    answer or when it closes the connection. No complete answer within `timeout` is a Hang.
    """
    began = time.monotonic()
    deadline = began + timeout
    received = b""
    with socket.create_connection(("127.0.0.1", mock.port), timeout=timeout) as sock:
        sock.sendall(head + b"\r\n\r\n")

        def poll() -> bool:
            """Read what has arrived; True once the answer is complete or the server has closed."""
            nonlocal received
            while _complete(received) is None and select.select([sock], [], [], 0)[0]:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:  # closed with our body unread: RST after its answer
                    return True
                if not chunk:
                    return True
                received += chunk
            return _complete(received) is not None

        done = False
        for chunk in (body() if body else ()):
            if poll():
                done = True
                break
            view = memoryview(chunk)
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Hang(f"server stopped reading the body and did not answer within {timeout} s")
                if not select.select([], [sock], [], min(remaining, 0.2))[1]:
                    if poll():
                        done = True
                        break
                    continue
                try:
                    view = view[sock.send(view):]
                except (BrokenPipeError, ConnectionResetError):
                    done = True
                    break
            if done:
                break
        while _complete(received) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Hang(f"no complete answer within {timeout} s (got {received[:200]!r})")
            if not select.select([sock], [], [], remaining)[0]:
                continue
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    complete = _complete(received)
    if complete is None:
        raise AssertionError(f"connection closed without a complete answer: {received[:300]!r}")
    status, headers, data = complete
    return Answer(status, headers, data, time.monotonic() - began)


def documented_statuses(operation_id: str) -> set[int]:
    return {int(status) for status in operation(operation_id)[2]["responses"]}


# -- the table ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_nasty_input_is_answered_as_documented(mock: Mock, case: Case) -> None:
    answer = send(mock, fill(mock, case.head), case.body)
    shown = f"{case.id}: {answer.status} {answer.headers.get('content-type')} {answer.body[:300]!r}"
    assert answer.status < 500, shown
    expected = case.expect if isinstance(case.expect, tuple) else (case.expect,)
    assert answer.status in expected, shown
    assert answer.headers.get("content-type", "").split(";")[0] == "application/json", shown
    data = json.loads(answer.body)
    if answer.status >= 400:
        assert isinstance(data, dict) and isinstance(data.get("detail"), str) and data["detail"], shown
    if case.detail is not None:
        assert data["detail"] == case.detail, shown
    if case.operation and answer.status in documented_statuses(case.operation):
        assert_conforms(case.operation, answer.status, answer.headers, answer.body)
    if case.check is not None:
        case.check(data)
    for name, value in case.headers.items():
        assert answer.headers.get(name) == value, f"{shown}: header {name}: {answer.headers.get(name)!r}"


def test_the_case_table_is_sound() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in CASES:
        assert case.head.count(b"\r\n\r\n") == 0, case.id


def test_connection_stays_usable_after_errors(mock: Mock) -> None:
    """Keep-alive: a 404, a 405 and a 401 on one connection, then a 200 on the same one."""
    requests = [
        b"GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"DELETE /v1/organizations/backup/detail/x/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /v1/organizations/backup/detail/x/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token nope\r\n\r\n",
        fill(mock, b"GET /v1/organizations/backup/detail/{sid}/ HTTP/1.1\r\nHost: localhost\r\n"
                   b"Authorization: Token {admin}"
                   b"\r\n\r\n"),
    ]
    statuses = []
    with socket.create_connection(("127.0.0.1", mock.port), timeout=TIMEOUT) as sock:
        for raw in requests:
            sock.sendall(raw)
            received = b""
            while _complete(received) is None:
                chunk = sock.recv(65536)
                assert chunk, f"connection closed after {statuses}"
                received += chunk
            statuses.append(_complete(received)[0])  # type: ignore[index]
    assert statuses == [404, 405, 401, 200]


# -- slow clients ---------------------------------------------------------------------------------

HEADER_TIMEOUT = "500ms"


@pytest.fixture(scope="module")
def impatient_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    """The mock with a short header deadline, so a slowloris test takes a second, not ten."""
    yield from _run_mock(tmp_path_factory, "--header-timeout", HEADER_TIMEOUT)


def _closed_without_answer(sock: socket.socket) -> bool:
    """True when the server closes the connection (within TIMEOUT) without sending a byte."""
    sock.settimeout(TIMEOUT)
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def _answer(sock: socket.socket) -> int:
    received = b""
    sock.settimeout(TIMEOUT)
    while _complete(received) is None:
        chunk = sock.recv(65536)
        assert chunk, "closed before the answer was complete"
        received += chunk
    return _complete(received)[0]  # type: ignore[index]


def test_a_connection_that_never_sends_a_request_is_closed(impatient_mock: Mock) -> None:
    with socket.create_connection(("127.0.0.1", impatient_mock.port)) as sock:
        assert _closed_without_answer(sock)


def test_headers_trickled_forever_are_cut_off(impatient_mock: Mock) -> None:
    """Slowloris: a header line every 100 ms keeps bytes coming but never ends the head."""
    with socket.create_connection(("127.0.0.1", impatient_mock.port)) as sock:
        sock.sendall(b"GET /__mock/requests HTTP/1.1\r\nHost: localhost\r\n")
        deadline = time.monotonic() + TIMEOUT
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if select.select([sock], [], [], 0.1)[0]:
                closed = _closed_without_answer(sock)
        assert closed, f"still open after {TIMEOUT} s of trickled headers"


def test_the_deadline_applies_to_each_request_on_a_kept_alive_connection(impatient_mock: Mock) -> None:
    with socket.create_connection(("127.0.0.1", impatient_mock.port)) as sock:
        sock.sendall(b"GET /__mock/requests?limit=0 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert _answer(sock) == 200
        sock.sendall(b"GET /__mock/requests?limit=0 HTTP/1.1\r\n")  # the next head, never finished
        assert _closed_without_answer(sock)


def test_a_slow_head_that_finishes_in_time_is_answered(impatient_mock: Mock) -> None:
    with socket.create_connection(("127.0.0.1", impatient_mock.port)) as sock:
        sock.sendall(b"GET /__mock/requests?limit=0 HTTP/1.1\r\n")
        time.sleep(0.2)
        sock.sendall(b"Host: localhost\r\n\r\n")
        assert _answer(sock) == 200
        time.sleep(0.7)  # idle between requests past the header deadline: keep-alive's business (5 s)
        sock.sendall(b"GET /__mock/requests?limit=0 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert _answer(sock) == 200


def test_many_stalled_connections_do_not_block_others_and_are_all_released(impatient_mock: Mock) -> None:
    stalled = [socket.create_connection(("127.0.0.1", impatient_mock.port)) for _ in range(100)]
    try:
        for sock in stalled:
            sock.sendall(b"GET / HTTP/1.1\r\n")
        assert send(impatient_mock, b"GET /__mock/requests?limit=0 HTTP/1.1\r\nHost: localhost").status == 200
        assert all(_closed_without_answer(sock) for sock in stalled)
    finally:
        for sock in stalled:
            sock.close()


# -- concurrency ----------------------------------------------------------------------------------

def _reset(mock: Mock) -> None:
    assert send(mock, b"POST /__mock/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0").status == 200


async def _walk(client: httpx.AsyncClient, list_path: str, size: int) -> list[dict[str, Any]]:
    """Every page in turn, checking each page's own arithmetic."""
    results: list[dict[str, Any]] = []
    page = 1
    while True:
        response = await client.get(list_path, params={"page": page, "page_size": size})
        assert response.status_code == 200, response.text
        body = response.json()
        _check_page(body, page, size)
        results += body["results"]
        if body["next"] is None:
            return results
        page += 1


def _check_page(body: dict[str, Any], page: int, size: int) -> None:
    count = body["count"]
    assert body["page_number"] == page and body["page_size"] == size
    assert body["page_count"] == max(1, -(-count // size)), body
    assert len(body["results"]) == max(0, min(size, count - (page - 1) * size)), body
    sids = [item["sid"] for item in body["results"]]
    assert len(set(sids)) == len(sids), "a sid twice on one page"
    keys = [(item["date_created"], item["sid"]) for item in body["results"]]
    assert keys == sorted(keys, key=lambda key: key[0], reverse=True), "not newest first"


def _clients(mock: Mock, count: int) -> list[httpx.AsyncClient]:
    headers = {"Authorization": f"Token {mock.creds['admin_token']}"}
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    return [httpx.AsyncClient(base_url=mock.url, headers=headers, timeout=30, limits=limits) for _ in range(count)]


def test_200_concurrent_posts_create_200_distinct_backups(mock: Mock) -> None:
    _reset(mock)
    list_path = f"/v1/organizations/backup/list/organization/{mock.creds['org_sid']}/detail/"

    async def scenario() -> tuple[int, list[httpx.Response], int, list[dict[str, Any]], list[int]]:
        clients = _clients(mock, 4)
        try:
            before = (await clients[0].get(list_path)).json()["count"]
            posts = await asyncio.gather(*(clients[i % 4].post(list_path) for i in range(200)))
            after = (await clients[1].get(list_path, params={"page_size": 1000})).json()
            details = await asyncio.gather(*(clients[i % 4].get(f"/v1/organizations/backup/detail/{r.json()['sid']}/")
                                             for i, r in enumerate(posts)))
            return before, posts, after["count"], after["results"], [d.status_code for d in details]
        finally:
            for client in clients:
                await client.aclose()

    before, posts, count, listed, detail_statuses = asyncio.run(scenario())
    assert [r.status_code for r in posts] == [200] * 200
    for response in posts[:5]:
        assert_conforms("createBackup", response.status_code, response.headers, response.content)
    created = [r.json()["sid"] for r in posts]
    assert len(set(created)) == 200, "two POSTs got the same sid"
    assert count == before + 200
    listed_sids = [item["sid"] for item in listed]
    assert len(listed_sids) == len(set(listed_sids)) == count
    assert set(created) <= set(listed_sids)
    assert set(listed_sids[:200]) == set(created), "created backups are not first in the list"
    assert detail_statuses == [200] * 200
    _reset(mock)


def test_count_and_pages_stay_consistent_while_posts_and_gets_interleave(mock: Mock) -> None:
    _reset(mock)
    list_path = f"/v1/organizations/backup/list/organization/{mock.creds['org_sid']}/list/"
    size = 7

    async def reader(client: httpx.AsyncClient, writing: asyncio.Event, seen: list[int]) -> None:
        while not writing.is_set() or not seen:
            for page in (1, 2, "last"):
                response = await client.get(list_path, params={"page": page, "page_size": size})
                assert response.status_code == 200, response.text
                body = response.json()
                _check_page(body, body["page_number"], size)
                if seen:
                    assert body["count"] >= seen[-1], "count went down while only POSTs ran"
                seen.append(body["count"])

    async def scenario() -> tuple[int, list[str], list[dict[str, Any]], list[list[int]]]:
        clients = _clients(mock, 5)
        done = asyncio.Event()
        seen: list[list[int]] = [[], []]
        try:
            before = (await clients[0].get(list_path)).json()["count"]
            readers = [asyncio.create_task(reader(clients[3 + i], done, seen[i])) for i in range(2)]
            posts = await asyncio.gather(*(clients[i % 3].post(list_path) for i in range(120)))
            done.set()
            await asyncio.gather(*readers)
            assert [r.status_code for r in posts] == [200] * 120
            walked = await _walk(clients[0], list_path, size)
            return before, [r.json()["sid"] for r in posts], walked, seen
        finally:
            for client in clients:
                await client.aclose()

    before, created, walked, seen = asyncio.run(scenario())
    sids = [item["sid"] for item in walked]
    assert len(sids) == len(set(sids)) == before + 120, "a walk over all pages repeats or loses a backup"
    assert set(created) <= set(sids)
    assert all(counts for counts in seen), "the readers made no request"
    assert all(before <= count <= before + 120 for counts in seen for count in counts)
    _reset(mock)


# -- binding and secrets --------------------------------------------------------------------------

def _listening_addresses(port: int) -> list[str]:
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                if width == 8:
                    found.append(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    raw = b"".join(bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, 32, 8))
                    found.append(socket.inet_ntop(socket.AF_INET6, raw))
    return found


def test_binds_loopback_only_by_default(mock: Mock) -> None:
    assert Settings().host == "127.0.0.1"
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp on this system")
    addresses = _listening_addresses(mock.port)
    assert addresses, "the mock's listening socket was not found"
    assert set(addresses) == {"127.0.0.1"}, f"the mock listens on {addresses}"


def _logged(output: str, fragment: str) -> int:
    """How many access-log lines (`HH:MM:SS.mmm METHOD STATUS target duration`) name `fragment`."""
    return sum(1 for line in output.splitlines()
               if fragment in line and re.match(r"\d\d:\d\d:\d\d\.\d{3} [A-Z]+ +\d{3} ", line))


def test_tokens_never_appear_in_the_output_or_the_journal(mock: Mock) -> None:
    secret = "s3cr3t" + "0a40x" * 6  # an unknown token, sent every way a token can be sent
    admin = mock.creds["admin_token"]
    banner_count = mock.output().count(admin)  # the start-up banner prints the demo credentials
    org = mock.creds["org_sid"]
    path = f"/v1/organizations/backup/list/organization/{org}/list/"
    heads = [
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token {secret}",
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {secret}",
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\ntoken: {secret}",
        f"GET {path}?token={secret}&api_key={secret} HTTP/1.1\r\nHost: x",
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token {secret} {secret}",
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {secret}",
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token {admin}",
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\ntoken: {admin}",
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {admin}\r\nContent-Length: 0",
        f"GET /v1/organizations/backup/detail/nope/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Token {admin}",
    ]
    logged_before = _logged(mock.output(), "/organizations/backup/")
    statuses = [send(mock, head.encode()).status for head in heads]
    assert statuses == [401, 401, 401, 401, 401, 401, 200, 200, 200, 406]
    journal = send(mock, b"GET /__mock/requests HTTP/1.1\r\nHost: 127.0.0.1")
    assert journal.status == 200
    entries = json.loads(journal.body)["requests"][:len(heads)]
    assert [entry["status"] for entry in entries] == statuses[::-1]  # every request journaled, newest first
    assert secret.encode() not in journal.body and admin.encode() not in journal.body
    # the access log line is written after the answer: wait for all of them before looking for tokens
    deadline = time.monotonic() + 30
    while (logged := _logged(mock.output(), "/organizations/backup/") - logged_before) < len(heads):
        assert time.monotonic() < deadline, f"only {logged} of {len(heads)} requests reached the log"
        time.sleep(0.05)
    output = mock.output()
    assert secret not in output, "a token sent by a client appears in the mock's output"
    assert output.count(admin) == banner_count, "a token appears in the mock's output beyond its banner"
    _reset(mock)


# -- fuzzing --------------------------------------------------------------------------------------

def _narrowed_spec(org: str, sids: list[str]) -> dict[str, Any]:
    """The spec with the organization and backup sids limited to real ones, in a copy.

    The published spec admits any well-formed sid, but only real ones exist: for any other the
    documented answer is 406, which schemathesis' positive_data_acceptance would take for a
    refusal of valid data. Negative generation still draws every other value.
    """
    document = copy.deepcopy(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8")))
    pinned = {"OrganizationSid": [org]}
    parameters = document["components"]["parameters"]
    for name, values in pinned.items():
        parameters[name] = {**{k: v for k, v in parameters[name].items() if k not in ("schema", "examples")},
                            "schema": {"type": "string", "enum": values}}
    for item in document["paths"].values():
        for parameter in item.get("parameters", []):
            if parameter.get("in") == "path" and parameter.get("name") == "sid" and "$ref" not in parameter:
                parameter["schema"] = {"type": "string", "enum": sids}
                parameter.pop("examples", None)
    return document


def test_schemathesis_finds_no_failure(mock: Mock) -> None:
    """All phases, positive and negative data, every check; HARDENING_FUZZ_EXAMPLES per operation."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema

    org, admin = mock.creds["org_sid"], mock.creds["admin_token"]
    _reset(mock)
    head = b"GET /v1/organizations/backup/list/organization/{org}/list/?page_size=50 HTTP/1.1\r\nHost: x"
    listed = json.loads(send(mock, fill(mock, head + b"\r\nAuthorization: Token {admin}")).body)
    sids = [item["sid"] for item in listed["results"]]
    config = SchemathesisConfig.from_dict({
        "seed": FUZZ_SEED,
        "base-url": f"{mock.url}/v1",
        "headers": {"Authorization": f"Token {admin}"},
        "workers": 1,
        "request-timeout": TIMEOUT,
        "suppress-health-check": ["all"],
        "warnings": False,
        "generation": {"max-examples": FUZZ_EXAMPLES, "mode": "all", "database": "none"},
        "checks": {
            # documented answers to valid data: 200 (201 accepted), 404 for a page past the end
            "positive_data_acceptance": {"expected-statuses": ["200", "201", "404"]},
            # documented refusals of invalid data: 404 (page), 405, 406 (path values), 413 (body)
            "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "406", "413"]},
        },
    })
    schema = schemathesis.openapi.from_dict(_narrowed_spec(org, sids), config=config)
    failures: list[str] = []
    errors: list[str] = []
    cases = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is not None:
                        failure = node.failure_info.failure
                        failures.append(f"[{node.name}] {failure.operation}: {failure.title}\n"
                                        f"    {failure.message}\n    {node.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            errors.append(f"schemathesis stopped: {event.exception!r}")
    _reset(mock)
    unique = sorted(set(failures))
    print(f"schemathesis: {cases} cases, {len(unique)} distinct failures, {len(errors)} errors")  # shown with -s
    assert not errors, "\n".join(errors)
    assert cases > 0, "schemathesis generated nothing"
    assert not unique, f"{len(unique)} distinct failure(s) over {cases} cases:\n" + "\n".join(unique[:20])
