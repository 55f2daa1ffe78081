"""Fixtures for the proxy tests (load with `pytest_plugins = ["tests.proxy_servers"]`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts_helpers import ServerProcess
from tests.proxy_helpers import mock_upstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerProcess]:
    """A second mock on its default fixtures, standing in for the implementation."""
    server = mock_upstream()
    yield server
    server.stop()
