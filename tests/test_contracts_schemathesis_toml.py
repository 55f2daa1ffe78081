"""Plain `st run openapi.yaml --url URL -H "Authorization: Token T"` from the checkout (schemathesis.toml).

It must report no false alarm against the mock (a correct implementation), and without the file it
does (the documented 406 for a well-formed sid that names nothing); it must still fail a broken one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.broken import credentials
from tests.contracts_helpers import ROOT, kit_env

pytest_plugins = ["tests.contracts_servers"]
pytestmark = pytest.mark.integration

ST = Path(sys.executable).with_name("st")


def st_run(url: str, token: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [str(ST), "run", str(cwd / "openapi.yaml"), "--url", url, "-H", f"Authorization: Token {token}",
               "--seed", "1", "--max-examples", "30", "--no-color", *extra]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=kit_env(), timeout=300)


@pytest.fixture
def bare_checkout(tmp_path: Path) -> Path:
    """The spec without schemathesis.toml beside it."""
    shutil.copy(ROOT / "openapi.yaml", tmp_path / "openapi.yaml")
    return tmp_path


def test_plain_st_run_from_the_checkout_reports_nothing_against_the_mock(mock_server, bare_checkout):
    server, creds = mock_server
    result = st_run(creds["base_url"], creds["admin_token"], ROOT)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "No issues found" in result.stdout and "Warnings" not in result.stdout
    without = st_run(creds["base_url"], creds["admin_token"], bare_checkout)
    assert without.returncode == 1 and "Schema-valid request rejected" in without.stdout  # what the file fixes
    assert "406" in without.stdout
    subprocess.run([sys.executable, "-c", f"import httpx; httpx.post('{server.url}/__mock/reset')"], check=True)


def test_plain_st_run_still_fails_a_broken_server(broken_server):
    creds = credentials(f"{broken_server.url}/errors_are_text--st/v1")
    result = st_run(creds["base_url"], creds["token"], ROOT)
    assert result.returncode == 1
    assert "Undocumented Content-Type" in result.stdout
    correct = st_run(credentials(f"{broken_server.url}/correct--st/v1")["base_url"], creds["token"], ROOT)
    assert correct.returncode == 0, correct.stdout[-4000:]
