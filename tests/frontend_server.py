"""A real uvicorn server on a free loopback port, configured as the CLI configures it (tests only).

`running(Settings(...))` starts one in a background thread and stops it on exit; the
frontend tests use it because the control plane's loopback check depends on uvicorn running
with proxy headers off, as `python -m mockserver` does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from mockserver.app import create_app
from mockserver.cli import demo_credentials, uvicorn_config
from mockserver.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Running:
    url: str  # http://127.0.0.1:PORT, without /v1
    app: Starlette
    settings: Settings
    creds: dict[str, Any]

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                timeout: float = 10) -> httpx.Response:
        return httpx.request(method, self.url + path, headers=headers, timeout=timeout)

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.creds['admin_token']}"}


class Observed:
    """ASGI wrapper around the mock (tests only): in order, when each request marked with an
    `X-Test-Mark: <name>` header arrived and when its answer was sent, so a test can check the
    order of events instead of timing them."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.events: list[tuple[str, str]] = []  # ("arrived" | "answered", name)
        self._changed = threading.Condition()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        mark = dict(scope["headers"]).get(b"x-test-mark") if scope["type"] == "http" else None
        if mark is None:
            await self.app(scope, receive, send)
            return
        name = mark.decode("latin-1")
        self._note("arrived", name)

        async def noting(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._note("answered", name)

        await self.app(scope, receive, noting)

    def _note(self, what: str, name: str) -> None:
        with self._changed:
            self.events.append((what, name))
            self._changed.notify_all()

    def wait_for(self, what: str, name: str, timeout: float = 30) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: (what, name) in self.events, timeout):
                raise AssertionError(f"{name} not {what} within {timeout} s: {self.events}")

    def answered(self) -> list[str]:
        with self._changed:
            return [name for what, name in self.events if what == "answered"]


@contextmanager
def running(settings: Settings | None = None, observed: Observed | None = None) -> Iterator[Running]:
    """The mock on a free port; with `observed`, served through it (its app is set here)."""
    port = free_port()
    settings = replace(settings or Settings(), port=port)
    app = create_app(settings)
    if observed is not None:
        observed.app = app
    server = uvicorn.Server(uvicorn_config(observed or app, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        state = app.state.mock
        creds = demo_credentials(settings, state.fixtures, state.model.api_prefix)
        yield Running(f"http://127.0.0.1:{port}", app, settings, creds)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
