"""A real uvicorn server on a free loopback port, configured as the CLI configures it (tests only).

`running(Settings(...))` starts one in a background thread and stops it on exit; the
frontend tests use it because the control plane's loopback check depends on uvicorn running
with proxy headers off, as `python -m mockserver` does.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator

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


@contextmanager
def running(settings: Settings | None = None) -> Iterator[Running]:
    port = free_port()
    settings = replace(settings or Settings(), port=port)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn_config(app, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        state = app.state.mock
        yield Running(f"http://127.0.0.1:{port}", app, settings, demo_credentials(settings, state.fixtures, state.model.api_prefix))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
