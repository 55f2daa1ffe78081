"""The mock's HTTP protocol on an in-memory transport: one write per answer, the keep-alive deadline.

mockserver/protocol.py holds a response's head back until its body, so that both leave in one
`write` (one system call and one TCP segment instead of two), and keeps one keep-alive timer per
connection instead of one per request. These tests watch the transport's calls: what leaves,
in which order and in how many writes, and when an idle connection is closed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from mockserver.app import create_app
from mockserver.protocol import protocol_class
from mockserver.settings import Settings
from tests.urls import list_url

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class Recording:
    """An asyncio transport that keeps each write call's bytes (writelines: one call)."""

    def __init__(self) -> None:
        self.calls: list[bytes] = []
        self.closing = False
        self.closed_at: float | None = None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 4010)}.get(name, default)

    def write(self, data: bytes) -> None:
        assert not self.closing, "a write after close"
        self.calls.append(bytes(data))

    def writelines(self, pieces: Any) -> None:
        self.write(b"".join(pieces))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            self.closed_at = asyncio.get_running_loop().time()

    def abort(self) -> None:
        self.close()

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def connect(app: App, keep_alive: float = 5.0) -> tuple[Any, Recording]:
    config = uvicorn.Config(app, http=protocol_class(), lifespan="off", access_log=False, log_level="warning",
                            timeout_keep_alive=keep_alive)
    config.load()
    server = config.http_protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = Recording()
    server.connection_made(transport)
    return server, transport


def request(target: str = "/", method: str = "GET", headers: str = "") -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:4010\r\n{headers}\r\n".encode()


async def answered(server: Any, count: int = 1) -> None:
    for _ in range(500):
        if server.server_state.total_requests >= count:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("no answer")


def assert_closed_about(transport: Recording, timeout: float, after: float) -> None:
    """Closed `timeout` after `after` (loop time), give or take the timers' and the machine's slack."""
    assert transport.closed_at is not None
    waited = transport.closed_at - after
    assert timeout - 0.01 <= waited <= timeout + 0.15, waited


def plain(body: bytes = b'{"ok":true}', pause: float = 0.0) -> App:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]})
        if pause:
            await asyncio.sleep(pause)
        await send({"type": "http.response.body", "body": body})

    return app


def test_an_answer_leaves_in_one_write() -> None:
    async def main() -> None:
        server, transport = connect(plain())
        server.data_received(request())
        await answered(server)
        assert len(transport.calls) == 1, transport.calls
        head, _, body = transport.calls[0].partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 11" in head
        assert body == b'{"ok":true}'

    asyncio.run(main())


def test_the_mocks_own_answers_leave_in_one_write(creds: dict[str, str]) -> None:
    app = create_app(Settings())

    async def main() -> None:
        server, transport = connect(app)
        auth = f"Authorization: Token {creds['admin_token']}\r\n"
        for number, target in enumerate([list_url(creds["org_sid"]) + "?page=2&page_size=3", "/nowhere/"], 1):
            server.data_received(request(target, headers=auth))
            await answered(server, number)
            assert len(transport.calls) == number, transport.calls
            assert transport.calls[-1].split(b"\r\n\r\n", 1)[1].startswith(b"{")

    asyncio.run(main())


def test_a_head_whose_body_waits_leaves_at_once() -> None:
    """A trickled body (fault=slow-body) or a file read in a thread: the client has the status
    and headers before the body, not when the body comes."""

    async def main() -> None:
        server, transport = connect(plain(pause=0.2))
        server.data_received(request())
        await asyncio.sleep(0.05)
        assert len(transport.calls) == 1 and transport.calls[0].endswith(b"\r\n\r\n"), transport.calls
        await answered(server)
        assert transport.calls[1:] == [b'{"ok":true}']

    asyncio.run(main())


def test_a_head_without_a_body_leaves_when_its_response_ends() -> None:
    async def main() -> None:
        server, transport = connect(plain())
        server.data_received(request(method="HEAD"))
        await answered(server)
        assert len(transport.calls) == 1 and transport.calls[0].startswith(b"HTTP/1.1 200 OK\r\n")
        assert transport.calls[0].endswith(b"\r\n\r\n")

    asyncio.run(main())


def test_pipelined_answers_leave_whole_and_in_order() -> None:
    async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = scope["path"].encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"%d" % len(body))]})
        await asyncio.sleep(0.01 if scope["path"] == "/first" else 0)
        await send({"type": "http.response.body", "body": body})

    async def main() -> None:
        server, transport = connect(echo)
        server.data_received(request("/first") + request("/second") + request("/third", method="HEAD"))
        await answered(server, 3)
        stream = b"".join(transport.calls)
        answers = stream.split(b"HTTP/1.1 200 OK\r\n")[1:]
        assert [answer.split(b"\r\n\r\n", 1)[1] for answer in answers] == [b"/first", b"/second", b""]
        assert b"content-length: 6" in answers[2]  # HEAD: the GET's length, no body

    asyncio.run(main())


def test_an_answer_after_a_head_only_one_still_leaves_whole() -> None:
    async def main() -> None:
        server, transport = connect(plain())
        server.data_received(request("/a", method="HEAD") + request("/b") + request("/c"))
        await answered(server, 3)
        assert len(transport.calls) == 3, transport.calls
        assert all(call.startswith(b"HTTP/1.1 200 OK\r\n") for call in transport.calls), transport.calls
        assert [call.split(b"\r\n\r\n", 1)[1] for call in transport.calls] == [b"", b'{"ok":true}', b'{"ok":true}']

    asyncio.run(main())


def test_a_shutdown_right_after_an_answer_still_sends_it_whole() -> None:
    servers: list[Any] = []

    async def then_shut_down(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await plain()(scope, receive, send)
        servers[0].shutdown()  # uvicorn closes the connection of a complete answer at once

    async def main() -> None:
        server, transport = connect(then_shut_down)
        servers.append(server)
        server.data_received(request(method="HEAD"))
        await answered(server)
        assert transport.closing
        assert len(transport.calls) == 1 and transport.calls[0].startswith(b"HTTP/1.1 200 OK\r\n")

    asyncio.run(main())


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server, transport = connect(plain(), keep_alive=0.2)
        server.data_received(request())
        await answered(server)
        ended = loop.time()
        await asyncio.sleep(0.12)
        assert not transport.closing
        await asyncio.sleep(0.3)
        assert_closed_about(transport, 0.2, after=ended)

    asyncio.run(main())


def test_a_busy_connection_stays_open_and_its_deadline_counts_from_its_last_answer() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server, transport = connect(plain(), keep_alive=0.2)
        for number in range(1, 8):  # 0.6 s of requests 0.08 s apart: three timeouts' worth
            server.data_received(request())
            await answered(server, number)
            await asyncio.sleep(0.08)
            assert not transport.closing, f"closed after request {number}"
        last = loop.time() - 0.08
        await asyncio.sleep(0.35)
        assert_closed_about(transport, 0.2, after=last)

    asyncio.run(main())


def test_a_request_under_way_is_not_cut_by_the_keep_alive_timer() -> None:
    async def main() -> None:
        server, transport = connect(plain(pause=0.3), keep_alive=0.1)
        server.data_received(request())
        await answered(server)
        server.data_received(request())  # answered 0.3 s later: three timeouts
        await answered(server, 2)
        assert not transport.closing
        assert len(transport.calls) == 4  # each head at once, each body when it came
        await asyncio.sleep(0.25)
        assert transport.closing

    asyncio.run(main())


def test_a_lost_connection_leaves_no_timer_and_writes_nothing_more() -> None:
    async def main() -> None:
        server, transport = connect(plain(pause=0.05), keep_alive=0.05)
        server.data_received(request())
        await asyncio.sleep(0.01)
        assert len(transport.calls) == 1  # the head
        transport.closing = True
        server.connection_lost(None)
        assert server.timeout_keep_alive_task is None
        await asyncio.sleep(0.15)
        assert len(transport.calls) == 1

    asyncio.run(main())


# -- whole answers: Connection.respond, the mock's path for its own JSON answers ---------------------


def _mock_requests(creds: dict[str, str]) -> list[bytes]:
    """Requests the mock answers with its own JSON: pages, a detail-less 404, a 401 with
    WWW-Authenticate, a HEAD, and a last one that asks to close."""
    auth = f"Authorization: Token {creds['admin_token']}\r\n"
    listed = list_url(creds["org_sid"])
    return [request(listed + "?page=2&page_size=3", headers=auth),
            request(listed + "?page=99", headers=auth),
            request(listed, headers="Authorization: Token wrong\r\n"),
            request(listed, method="HEAD", headers=auth),
            request(listed + "?page_size=2&n=1", headers=auth + "Connection: close\r\n")]


def _undated(stream: bytes) -> bytes:
    return b"\r\n".join(line for line in stream.split(b"\r\n") if not line.startswith(b"date: "))


def _answers(creds: dict[str, str], pipelined: bool) -> tuple[list[bytes], bool]:
    app = create_app(Settings())

    async def main() -> tuple[list[bytes], bool]:
        server, transport = connect(app)
        requests = _mock_requests(creds)
        if pipelined:
            server.data_received(b"".join(requests))
            await answered(server, len(requests))
        else:
            for number, raw in enumerate(requests, 1):
                server.data_received(raw)
                await answered(server, number)
        return transport.calls, transport.closing

    return asyncio.run(main())


def test_whole_answers_are_the_bytes_uvicorns_send_writes(creds: dict[str, str], monkeypatch: Any) -> None:
    """The same requests, answered through `respond` and through uvicorn's own `send` (respond
    turned off), one by one and pipelined: the same bytes but the Date, one write per answer,
    and the connection closed after the answer that asked for it."""
    from mockserver.protocol import Connection, Writes

    wholes: list[bytes] = []
    original = Writes.whole

    def counted(self: Writes, data: bytes) -> None:
        wholes.append(data)
        original(self, data)

    monkeypatch.setattr(Writes, "whole", counted)  # respond's way out, and only respond's
    for pipelined in (False, True):
        whole, whole_closed = _answers(creds, pipelined)
        assert len(wholes) == 5, "the mock's own JSON answers went through ASGI messages"
        assert len(whole) == 5 and all(call.startswith(b"HTTP/1.1 ") for call in whole), whole
        wholes.clear()
        with monkeypatch.context() as patched:
            patched.setattr(Connection, "respond", lambda *args: False)
            by_send, send_closed = _answers(creds, pipelined)
        assert wholes == [], "respond turned off, yet used"
        assert _undated(b"".join(whole)) == _undated(b"".join(by_send))
        assert whole_closed and send_closed
    statuses = [answer.split(b"\r\n", 1)[0] for answer in whole]
    assert statuses == [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found", b"HTTP/1.1 401 Unauthorized",
                        b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK"]
    assert b"www-authenticate: Token" in whole[2]
    assert whole[3].endswith(b"\r\n\r\n") and re.search(rb"content-length: [1-9]\d+\r\n", whole[3])  # HEAD: no body
    assert b"connection: close\r\n" in whole[4]


def test_respond_leaves_to_send_what_it_cannot_vouch_for() -> None:
    """A field `send` reads or would refuse, a wrong Content-Length, a `send` that is not the
    connection's own (a middleware's wrapper, which must see the messages), an answer already
    sent: respond sends nothing and says so; the caller's ASGI messages then get uvicorn's own
    handling (its errors included)."""
    from mockserver.protocol import CONNECTION

    checked: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        connection = scope["extensions"][CONNECTION]
        body = b"{}"
        length = (b"content-length", b"2")

        async def wrapped(message: Any) -> None:
            await send(message)

        if scope["path"] == "/started":  # a head sent through ASGI: respond must not send another
            await send({"type": "http.response.start", "status": 200, "headers": [length]})
            assert not connection.respond(send, 200, [length], body)
            await send({"type": "http.response.body", "body": body})
            checked.append(scope["path"])
            return
        for headers in ([(b"content-length", b"3")], [], [(b"x-fine", b"yes")], [length, length],
                        [length, (b"transfer-encoding", b"chunked")],
                        [length, (b"connection", b"close")], [length, (b"x-bad", b"a\nb")],
                        [length, (b"bad name", b"x")], [length, (b"X-Upper", b"x")]):
            assert not connection.respond(send, 200, headers, body), headers
        assert not connection.respond(wrapped, 200, [length], body)
        assert connection.respond(send, 200, [length, (b"x-fine", b"yes")], body)
        assert not connection.respond(send, 200, [length], body)  # answered already
        checked.append(scope["path"])

    async def main() -> None:
        server, transport = connect(app)
        server.data_received(request("/first") + request("/second") + request("/started"))  # pipelined
        await answered(server, 3)
        assert checked == ["/first", "/second", "/started"]
        assert len(transport.calls) == 3, transport.calls
        assert all(call.endswith(b"x-fine: yes\r\n\r\n{}") for call in transport.calls[:2])
        assert transport.calls[2].endswith(b"content-length: 2\r\n\r\n{}"), transport.calls
        await asyncio.sleep(0.01)
        assert not transport.closing  # uvicorn found nothing wrong with the answers

    asyncio.run(main())


def test_the_fields_respond_remembers_are_bounded(monkeypatch: Any) -> None:
    from mockserver import protocol

    monkeypatch.setattr(protocol, "_CHECKED", set())

    async def many(scope: dict[str, Any], receive: Any, send: Any) -> None:
        connection = scope["extensions"][protocol.CONNECTION]
        assert connection.respond(send, 200, [(b"content-length", b"0"), (b"x-n", scope["path"].encode())], b"")

    async def main() -> None:
        server, _ = connect(many)
        for number in range(1, protocol._CHECKED_KEPT + 50):
            server.data_received(request(f"/{number}"))
            await answered(server, number)
            assert len(protocol._CHECKED) <= protocol._CHECKED_KEPT

    asyncio.run(main())
