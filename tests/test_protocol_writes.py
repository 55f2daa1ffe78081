"""The mock's HTTP protocol on an in-memory transport: one write per answer, the keep-alive deadline.

mockserver/protocol.py holds a response's head back until its body, so that both leave in one
`write` (one system call and one TCP segment instead of two), and keeps one keep-alive timer per
connection instead of one per request. These tests watch the transport's calls: what leaves,
in which order and in how many writes, and when an idle connection is closed.
"""

from __future__ import annotations

import asyncio
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
