"""Lets `pytest contracts/ --contract-base-url ...` work without `-p contracts.pytest_plugin`."""

from contracts.pytest_plugin import add_options


def pytest_addoption(parser):
    add_options(parser)
