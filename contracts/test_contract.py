"""The kit as a pytest module: one test per check (see contracts.pytest_plugin for the options)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contracts.pytest_plugin import CATALOG, contract_check, contract_session  # noqa: F401  (fixtures)


@pytest.mark.parametrize("check_id", CATALOG)
def test_contract(check_id: str, contract_check: Callable[[str], None]) -> None:  # noqa: F811
    contract_check(check_id)
