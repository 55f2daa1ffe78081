"""Shared fixtures: the app in process, a real uvicorn server on a free port, demo credentials."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from hypothesis import settings as hypothesis_settings
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.cli import demo_credentials
from mockserver.settings import Settings

# Mutation runs (tests/mutation/run.py) run the selected tests once per mutant: fewer examples, drawn
# the same way every time, so a mutant is judged the same on every run.
hypothesis_settings.register_profile("mutation", max_examples=25, derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn serving an app on 127.0.0.1 in a background thread."""

    def __init__(self, app, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def creds(app) -> dict[str, str]:
    state = app.state.mock
    return demo_credentials(state.settings, state.fixtures, state.model.api_prefix)


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    port = free_port()
    with LiveServer(create_app(Settings(port=port)), port) as server:
        yield server
