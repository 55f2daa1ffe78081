"""The same checks under plain pytest: `pytest contracts/ --contract-...` or CONTRACT_* variables."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.broken import credentials
from tests.contracts_helpers import ROOT, kit_env

pytest_plugins = ["tests.contracts_servers"]
pytestmark = pytest.mark.integration


def run_pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "contracts/", "-p", "no:cacheprovider", "-q", "-rfs",
                           *args], cwd=ROOT, capture_output=True, text=True, env=env or kit_env(), timeout=300)


def test_a_conforming_server_passes_under_pytest_with_options(broken_server, tmp_path):
    creds = credentials(f"{broken_server.url}/correct--pytest/v1")
    report = tmp_path / "pytest.xml"
    result = run_pytest("--contract-base-url", creds["base_url"], "--contract-org-sid", creds["org_sid"],
                        "--contract-token", creds["token"], "--contract-max-examples", "10",
                        f"--junitxml={report}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "passed" in result.stdout and "failed" not in result.stdout
    assert creds["token"] not in result.stdout + report.read_text()


def test_a_broken_server_fails_the_right_test_under_pytest_with_env_vars(broken_server):
    creds = credentials(f"{broken_server.url}/page_size_ignored--pytest/v1")
    env = kit_env(CONTRACT_BASE_URL=creds["base_url"], CONTRACT_ORG_SID=creds["org_sid"],
                  CONTRACT_TOKEN=creds["token"], CONTRACT_MAX_EXAMPLES="5")
    result = run_pytest(env=env)
    assert result.returncode == 1
    assert "FAILED contracts/test_contract.py::test_contract[pagination.page_size]" in result.stdout
    assert "curl -i -X GET" in result.stdout and creds["token"] not in result.stdout


def test_missing_configuration_stops_pytest_with_exit_2():
    result = run_pytest()
    assert result.returncode == 2
    assert "--contract-base-url (or CONTRACT_BASE_URL)" in result.stdout + result.stderr
