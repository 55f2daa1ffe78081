"""Helpers for the proxy tests: real upstreams on free ports, and the mock proxying to them (tests only).

An upstream mock runs in its own process (`python -m mockserver`), as a user would start the
implementation; the proxying mock runs in a thread of the test process (`running`), so a test can
look at its state. Every address is 127.0.0.1. The `upstream` fixture: `pytest_plugins =
["tests.proxy_servers"]`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx

from mockserver.settings import Settings
from tests.conftest import LiveServer
from tests.contracts_helpers import ROOT, ServerProcess, free_port
from tests.frontend_server import Running, running

DEFAULT_CREDENTIALS: dict[str, Any] = json.loads(subprocess.run(
    [sys.executable, "-m", "mockserver", "credentials", "--json"], cwd=ROOT, capture_output=True, text=True,
    check=True).stdout)
ORG, FOREIGN, EMPTY = (DEFAULT_CREDENTIALS[key] for key in ("org_sid", "foreign_org_sid", "empty_org_sid"))
ADMIN, MEMBER, FOREIGN_TOKEN, EMPTY_TOKEN = (DEFAULT_CREDENTIALS[key] for key in (
    "admin_token", "member_token", "foreign_token", "empty_token"))


def mock_upstream(*options: str, port: int | None = None) -> ServerProcess:
    """`python -m mockserver` on a free port (or `port`), its console quiet."""
    port = port or free_port()
    return ServerProcess(["-m", "mockserver", "--port", str(port), "--quiet", "--no-watch", *options], port)


@contextmanager
def proxying(upstream: str, settings: Settings | None = None, **options: Any) -> Iterator[Running]:
    """The mock in a thread, with `--proxy upstream` and the other settings given."""
    with running(replace(settings or Settings(), proxy_url=upstream, **options)) as server:
        yield server


def journal(base: str, **filters: str) -> list[dict[str, Any]]:
    """A mock's journal, oldest first."""
    found = httpx.get(f"{base}/__mock/requests", params=filters, timeout=10)
    assert found.status_code == 200, found.text
    return list(reversed(found.json()["requests"]))


def clear(base: str) -> None:
    for path in ("/__mock/requests", "/__mock/violations"):
        httpx.delete(base + path, timeout=10)
    httpx.post(base + "/__mock/reset", timeout=10)


def serve(app: Any) -> LiveServer:
    """Any ASGI app (an upstream written in a test) served by uvicorn in a thread, on a free port."""
    return LiveServer(app, free_port())
