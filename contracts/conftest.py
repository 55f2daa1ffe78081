"""Lets `pytest contracts/ --contract-base-url ...` work without `-p contracts.pytest_plugin`."""

import pytest

from contracts.pytest_plugin import add_options


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)
