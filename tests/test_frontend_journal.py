"""The request journal, the console log line and the control plane's loopback rule."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.app import create_app
from mockserver.control.guard import is_loopback
from mockserver.control.journal import MAX_VALUE, AccessLog, Journal, record_size
from mockserver.control.redaction import Redactor
from mockserver.control.routes import check_no_shadowing
from mockserver.exceptions import SpecError
from mockserver.settings import Settings
from mockserver.spec import load_model
from mockserver.spec.document import Spec
from tests.frontend_server import free_port, running
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def mock():
    with running(Settings(journal_size=5)) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(mock):
    mock.request("POST", "/__mock/reset")
    mock.request("DELETE", "/__mock/requests")


def test_journal_lists_requests_newest_first_with_tokens_redacted(mock):
    org, admin_token = mock.creds["org_sid"], mock.creds["admin_token"]
    mock.request("GET", list_url(org) + "?page=2&page_size=3",
                 {"Authorization": f"Token {admin_token}", "X-Trace": "a"})
    mock.request("POST", list_url(org, "detail"), {"token": mock.creds["member_token"]})
    mock.request("GET", detail_url("xxx") + "?token=secret", {"Authorization": f"Bearer {admin_token}"})
    mock.request("GET", "/no/such/path")
    journal = mock.request("GET", "/__mock/requests")
    assert journal.status_code == 200
    body = journal.json()
    assert body["size"] == 5 and body["count"] == 4
    first, second, third, fourth = body["requests"][::-1]  # oldest first here
    assert (first["method"], first["path"], first["query"], first["status"]) == \
        ("GET", list_url(org), "page=2&page_size=3", 200)
    assert first["params"] == {"page": "2", "page_size": "3"}
    assert first["headers"]["authorization"] == "Token <redacted>" and first["headers"]["x-trace"] == "a"
    assert first["user"] == "Ada Admin"
    assert (second["method"], second["status"], second["headers"]["token"], second["user"]) == \
        ("POST", 403, "<redacted>", "Max Member")
    assert third["headers"]["authorization"] == "Bearer <redacted>" and third["query"] == "token=%3Credacted%3E"
    assert third["status"] == 406 and fourth["status"] == 404 and fourth["user"] is None
    assert first["time"].endswith("Z") and first["duration_ms"] >= 0
    for secret in (admin_token, mock.creds["member_token"], "secret"):
        assert secret not in journal.text
    assert mock.request("GET", "/__mock/requests?limit=1").json()["requests"] == [fourth]


def test_journal_is_a_bounded_ring_and_can_be_cleared(mock):
    for page in range(1, 8):
        mock.request("GET", list_url(mock.creds["org_sid"]) + f"?page={page}", mock.admin())
    body = mock.request("GET", "/__mock/requests").json()
    assert body["count"] == 5
    assert [entry["params"]["page"] for entry in body["requests"]] == ["7", "6", "5", "4", "3"]
    assert mock.request("DELETE", "/__mock/requests").json() == {"detail": "Request journal cleared."}
    assert mock.request("GET", "/__mock/requests").json()["requests"] == []
    for bad in ("x", "-1", "1.5"):
        refused = mock.request("GET", f"/__mock/requests?limit={bad}")
        assert refused.status_code == 400 and refused.headers["content-type"] == "application/json"
        assert "limit" in refused.json()["detail"], bad
    assert mock.request("GET", "/__mock/requests?limit=0").json()["requests"] == []


def test_the_mock_own_endpoints_are_not_journaled(mock):
    for path in ("/docs", "/openapi.json", "/__mock/requests"):
        mock.request("GET", path)
    mock.request("POST", "/__mock/reset")
    assert mock.request("GET", "/__mock/requests").json()["count"] == 0


def test_journal_off():
    with running(Settings(journal_size=0)) as mock:
        mock.request("GET", detail_url("xxx"))
        assert mock.request("GET", "/__mock/requests").json() == {"size": 0, "count": 0, "requests": []}


def test_redaction_helpers():
    redact = Redactor(["s3cr3tT0ken"])
    assert redact.header("Authorization", "Token abc") == "Token <redacted>"
    assert redact.header("authorization", "abc") == "<redacted>"
    assert redact.header("authorization", "abc Token") == "<redacted>"  # any arrangement
    assert redact.header("cookie", "a=b") == "<redacted>"
    assert redact.header("X-Auth-Token", "abc") == "<redacted>"
    assert redact.header("x-session-id", "abc") == "<redacted>"
    assert redact.header("accept", "*/*") == "*/*"
    assert redact.header("referer", "http://app.local/page?token=abc&x=1") == "http://app.local/page?<redacted>"
    assert redact.header("origin", "http://user:pw@app.local") == "http://app.local"
    assert redact.header("x-trace", "id s3cr3tT0ken") == "id <redacted>"  # a known token anywhere
    assert redact.query("page=2&api_key=k&Token=t") == "page=2&api_key=%3Credacted%3E&Token=%3Credacted%3E"
    assert redact.query("page=2&token%20=t&auth_token=u&api_token=v") == \
        "page=2&token+=%3Credacted%3E&auth_token=%3Credacted%3E&api_token=%3Credacted%3E"
    assert redact.query("q=s3cr3tT0ken") == "q=%3Credacted%3E"
    assert redact.query("page=2&page_size=3") == "page=2&page_size=3"


@settings(max_examples=1500, deadline=None)
@given(query=st.lists(st.tuples(
    st.sampled_from(["page", "page_size", "api_key", "Token", "AUTH", "q", "", "s3cr3t", "T0ken", "x-"]),
    st.one_of(st.none(), st.sampled_from(["", "2", "s3cr3tT0ken", "T0ken", "s3cr3t", "a=b", "~.-_"]))), max_size=5)
    .map(lambda pairs: "&".join(name if value is None else f"{name}={value}" for name, value in pairs)))
def test_the_quick_way_for_plain_queries_redacts_as_the_general_way(query: str) -> None:
    """Names that are secret, a known token in a value or across a name and its value
    (`s3cr3t=T0ken`), blank pairs and empty parts: the same text as parsing would give."""
    redact = Redactor(["s3cr3tT0ken"])
    assert redact.query(query) == (redact.parsed_query(query) if query else "")


def test_log_line_is_concise_coloured_only_when_asked_and_without_tokens():
    record = (time.time(), "GET", "/v1/organizations/backup/detail/xxx/", b"token=abc&page=2",
              [(b"authorization", b"Token abc")], 406, 0.0123, b"", 0, None)
    plain = AccessLog(io.StringIO(), colour=False).line(record)
    assert "\x1b[" not in plain and "abc" not in plain
    target = "/v1/organizations/backup/detail/xxx/?token=%3Credacted%3E&page=2"
    assert plain.split()[1:] == ["GET", "406", target, "12.3ms"]
    coloured = AccessLog(io.StringIO(), colour=True).line(record)
    assert "\x1b[33m406\x1b[0m" in coloured
    assert AccessLog(io.StringIO()).colour is False  # not a terminal


def test_a_line_hides_the_tokens_of_the_reloaded_users_in_a_url_it_showed_before():
    redactor = Redactor(["old-token"])
    log = AccessLog(io.StringIO(), colour=False, redactor=redactor)

    def shown(path: str, query: bytes) -> str:
        return log.line((time.time(), "GET", path, query, [], 200, 0.001, b"", 0, None)).split()[3]

    assert shown("/v1/x/new-token/", b"q=old-token") == "/v1/x/new-token/?q=%3Credacted%3E"
    redactor.replace_tokens(["new-token"])  # fixtures reloaded with other users
    assert shown("/v1/x/new-token/", b"q=old-token") == "/v1/x/<redacted>/?q=old-token"
    long = "/v1/" + "p" * 600 + "/new-token/"  # too long to be kept: redacted each time all the same
    assert shown(long, b"") == shown(long, b"") == "/v1/" + "p" * 600 + "/<redacted>/"


def test_a_line_shows_each_requests_own_clock_and_an_escaped_method_every_time():
    log = AccessLog(io.StringIO(), colour=False)
    moment = 1_700_000_000.25

    def line(started: float, method: str) -> list[str]:
        return log.line((started, method, "/v1/x/", b"", [], 200, 0.001, b"", 0, None)).split()

    first, same_second, next_second = line(moment, "GET"), line(moment + 0.5, "GET"), line(moment + 1, "GET")
    assert first[0].endswith(".250") and same_second[0].endswith(".750") and next_second[0].endswith(".250")
    assert first[0][:8] == same_second[0][:8] != next_second[0][:8]
    assert line(moment, "GE\x1bT")[1] == line(moment, "GE\x1bT")[1] == "GE\\x1bT"


@given(st.floats(min_value=0, max_value=1.5), st.floats(min_value=1e9, max_value=2e9))
def test_a_line_shows_its_duration_in_tenths_of_a_millisecond_and_its_milliseconds(seconds: float,
                                                                                   started: float) -> None:
    """The looked-up duration and milliseconds say what formatting them would (a duration on a
    rounding edge may show the tenth above: never further off than half a tenth, rounded)."""
    fields = AccessLog(io.StringIO(), colour=False).line(
        (started, "GET", "/v1/x/", b"", [], 200, seconds, b"", 0, None)).split()
    assert fields[-1].endswith("ms") and re.fullmatch(r"\d+\.\d", fields[-1][:-2])
    assert abs(float(fields[-1][:-2]) - seconds * 1000) <= 0.05 + 1e-6 * max(1.0, seconds * 1000)
    assert fields[0][8:] == f".{int(started * 1000) % 1000:03d}"
    assert fields[0][:8] == time.strftime("%H:%M:%S", time.localtime(started))


def test_a_line_shows_whole_tenths_exactly() -> None:
    log = AccessLog(io.StringIO(), colour=False)
    for tenths in (0, 1, 9, 10, 123, 9999, 10_000, 123_456):
        line = log.line((1_700_000_000.0, "GET", "/v1/x/", b"", [], 200, tenths / 10_000, b"", 0, None))
        assert line.split()[-1] == f"{tenths / 10:.1f}ms", tenths


def test_console_prints_one_line_per_request(tmp_path):
    port = free_port()
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", str(port), "--no-watch"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/__mock/requests")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the mock did not start"
                time.sleep(0.1)
        token = "24e0f0dec7c098cb5d29018d08de4555b73f3b21"
        httpx.get(url + list_url("ehkn0a40x1glqvAFKP") + "?page=2", headers={"Authorization": f"Token {token}"})
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    lines = [line for line in output.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d{3} .*/organizations/", line)]
    assert len(lines) == 1, output
    target = "/v1/organizations/backup/list/organization/ehkn0a40x1glqvAFKP/list/?page=2"
    assert lines[0].split()[1:4] == ["GET", "200", target]
    assert token not in lines[0] and "\x1b[" not in output


# -- control plane ------------------------------------------------------------------------


def control_call(app, client_host: str, method: str, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client_host, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:4010") as client:
            return await client.request(method, path)

    return asyncio.run(go())


CONTROL_ANSWERS = {  # what each control call answers a client it serves
    ("POST", "/__mock/reset"): {"detail": "Fixtures restored; scenario rules removed."},
    ("GET", "/__mock/requests"): {"size": 1000, "count": 0, "requests": []},
    ("DELETE", "/__mock/requests"): {"detail": "Request journal cleared."},
}


@pytest.mark.parametrize("method, path", list(CONTROL_ANSWERS))
def test_control_plane_answers_loopback_only(method, path):
    app = create_app(Settings())
    refused = control_call(app, "192.0.2.10", method, path)
    assert refused.status_code == 403
    assert "--control-from-anywhere" in refused.json()["detail"]
    for host in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"):
        served = control_call(app, host, method, path)
        assert (served.status_code, served.json()) == (200, CONTROL_ANSWERS[method, path]), host
    # the API itself answers anyone, with its own checks
    api = control_call(app, "192.0.2.10", "GET", detail_url("xxx"))
    assert (api.status_code, api.json()) == (401, {"detail": "Authentication credentials were not provided."})
    assert api.headers["WWW-Authenticate"] == "Token"
    anywhere = create_app(Settings(control_from_anywhere=True))
    served = control_call(anywhere, "192.0.2.10", method, path)
    assert (served.status_code, served.json()) == (200, CONTROL_ANSWERS[method, path])


def test_forwarded_for_cannot_pose_as_someone_else(mock):
    # uvicorn runs without proxy headers: the TCP peer (loopback here) decides, not the header
    for forwarded in ("192.0.2.10", "batch"):
        response = mock.request("GET", "/__mock/requests", {"X-Forwarded-For": forwarded})
        assert (response.status_code, response.json()) == (200, {"size": 5, "count": 0, "requests": []}), forwarded


def test_is_loopback():
    assert is_loopback({"client": ("127.0.0.1", 1)}) and is_loopback({"client": None})
    assert not is_loopback({"client": ("batch", 1)}) and not is_loopback({"client": ("10.0.0.1", 1)})


def test_no_api_path_may_shadow_the_mock_own_paths():
    spec = Spec.load()
    check_no_shadowing(load_model(spec))
    evil = {"post": {"operationId": "evil", "responses": {}}}
    document = {**spec.document, "paths": {**spec.document["paths"], "/__mock/reset": evil}}
    with pytest.raises(SpecError, match="would hide the mock's /__mock"):
        check_no_shadowing(load_model(Spec(document)))
    document["paths"] = {**spec.document["paths"], "/docs": {"get": {"operationId": "docs", "responses": {}}}}
    document["servers"] = []
    with pytest.raises(SpecError, match="/docs"):
        check_no_shadowing(load_model(Spec(document)))


def _record(number: int, value: bytes = b"v", path: str | None = None, body: bytes = b"") -> tuple:
    return (float(number), "POST" if body else "GET", path or f"/v1/x/{number}/", b"", [(b"x-pad", value)], 201,
            0.001, body, len(body), None)


def test_the_journal_keeps_at_most_its_bytes_newest_first_and_always_the_last_request():
    journal = Journal(1000, lambda headers, query: None, max_bytes=5000)
    for number in range(40):
        journal.add(_record(number, b"p" * 900))  # about a kilobyte each: four fit
        kept = journal.kept()
        assert journal.kept_bytes <= 5000 and journal.kept_bytes == sum(map(record_size, kept))
        assert kept[-1][2] == f"/v1/x/{number}/"
    assert [kept[2] for kept in journal.kept()] == [f"/v1/x/{number}/" for number in range(36, 40)]
    journal.add(_record(40, b"p" * 5000))  # a value over MAX_VALUE: kept cut, the budget still holds
    kept = journal.kept()
    assert kept[-1][4][0][1] == b"p" * 1024 + b"... (cut: 5,000 bytes in all)" and record_size(kept[-1]) < 1500
    assert journal.kept_bytes <= 5000 and kept[-1][2] == "/v1/x/40/" and kept[-2][4][0][1] == b"p" * 900
    tiny = Journal(1000, lambda headers, query: None, max_bytes=10)
    tiny.add(_record(1, b"p"))
    tiny.add(_record(2, b"p"))
    assert [kept[2] for kept in tiny.kept()] == ["/v1/x/2/"]  # over the budget alone: still kept


def test_the_journal_takes_records_in_by_batches_and_shows_exactly_the_newest():
    fold = Journal.FOLD
    unread = Journal(2 * fold, lambda headers, query: None)
    for number in range(1000):  # never read: every chunk a whole batch
        unread.add(_record(number))
        assert unread._kept <= 2 * fold + fold - 1
    journal = Journal(2 * fold, lambda headers, query: None)
    for number in range(1000):
        journal.add(_record(number, body=b"{}" if number % 5 == 0 else b""))
        if number % 97 == 0:  # a read takes in what waits: the newest request is there at once
            assert journal.kept()[-1][2] == f"/v1/x/{number}/"
        # memory: what waits is under a batch, and a chunk goes as soon as the newer ones hold `size`
        assert len(journal._pending) < fold and journal._kept <= 2 * fold + fold - 1
    assert [record[2] for record in journal.kept()] == [f"/v1/x/{number}/" for number in range(1000 - 2 * fold, 1000)]
    assert journal.kept_bytes == sum(chunk.bytes for chunk in journal._chunks)
    assert journal.kept_bytes == sum(record_size(record) for chunk in journal._chunks
                                     for record in chunk.records[chunk.first:])
    count, entries = journal.select(lambda record: record[0] % 2 == 0, 3)
    assert count == fold and [entry["path"] for entry in entries] == ["/v1/x/998/", "/v1/x/996/", "/v1/x/994/"]
    journal.clear()
    assert journal.kept() == [] and journal.kept_bytes == 0
    journal.add(_record(1))
    assert [record[2] for record in journal.kept()] == ["/v1/x/1/"]
    one = Journal(1, lambda headers, query: None)
    for number in range(fold * 3 + 5):
        one.add(_record(number))
    assert [record[2] for record in one.kept()] == [f"/v1/x/{fold * 3 + 4}/"]


def test_a_batch_sums_as_its_records_and_cuts_only_the_long_values():
    journal = Journal(1000, lambda headers, query: None)
    for number in range(Journal.FOLD - 1):
        journal.add(_record(number, b"v" * number, body=b"{}" * (number % 3)))
    assert journal._chunks == deque() and len(journal._pending) == Journal.FOLD - 1  # not taken in yet
    journal.add(_record(99, b"v" * MAX_VALUE, "/v1/" + "p" * (MAX_VALUE + 1)))
    (chunk,) = journal._chunks
    assert chunk.bytes == journal.kept_bytes == sum(map(record_size, chunk.records))
    assert chunk.records[5] == _record(5, b"v" * 5, body=b"{}" * 2)  # the others as they were
    assert chunk.records[-1][2].endswith(f"... (cut: {MAX_VALUE + 5:,} characters in all)")
    assert chunk.records[-1][4] == [(b"x-pad", b"v" * MAX_VALUE)]  # at the limit: whole
    for over in ("path", "query", "name", "value"):
        batch = Journal(10, lambda headers, query: None)
        big = b"x" * (MAX_VALUE + 1)
        record = (1.0, "GET", big.decode() if over == "path" else "/v1/", big if over == "query" else b"",
                  [(big if over == "name" else b"n", big if over == "value" else b"v")], 200, 0.0, b"", 0, None)
        batch.add(record)
        (kept,) = batch.kept()
        assert kept != record and record_size(kept) < MAX_VALUE + 200, over
