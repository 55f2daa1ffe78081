"""ruff and mypy (strict, configured in pyproject.toml) keep the code honest: part of the suite,
as Starlette runs its linters before its tests."""

from __future__ import annotations

import subprocess
import sys

from tests.contracts_helpers import ROOT

LINTED = ["mockserver", "contracts", "tests", "bench"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", *LINTED)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_mypy_strict_finds_nothing() -> None:
    result = run("mypy")  # files and strictness from pyproject.toml: mockserver and contracts
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
