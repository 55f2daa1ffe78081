"""Session fixtures for the contract-kit tests (load with `pytest_plugins = ["tests.contracts_servers"]`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.contracts_helpers import ROOT, ServerProcess, free_port


@pytest.fixture(scope="session")
def broken_server() -> Iterator[ServerProcess]:
    """Every variant of the reference implementation: `<url>/<variant>/v1`."""
    port = free_port()
    server = ServerProcess(["-m", "tests.broken", "--port", str(port)], port)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mock_server() -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """The project's mock, as a user would start it, with its demo credentials."""
    port = free_port()
    server = ServerProcess(["-m", "mockserver", "--port", str(port)], port)
    output = subprocess.run([sys.executable, "-m", "mockserver", "credentials", "--json", "--port", str(port)],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    yield server, json.loads(output)
    server.stop()
