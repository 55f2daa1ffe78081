"""The kit against the project's own mock, started as a user starts it: it must conform."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import httpx
import pytest

from tests.contracts_helpers import run_kit

pytest_plugins = ["tests.contracts_servers"]
pytestmark = pytest.mark.integration


def kit_args(creds: dict[str, str], *extra: str, base_url: str | None = None) -> list[str]:
    return ["--base-url", base_url or creds["base_url"], "--org-sid", creds["org_sid"],
            "--token", creds["admin_token"], "--member-token", creds["member_token"],
            "--foreign-org-sid", creds["foreign_org_sid"], "--foreign-token", creds["foreign_token"], *extra]


def count(creds: dict[str, str]) -> int:
    url = f"{creds['base_url']}/organizations/backup/list/organization/{creds['org_sid']}/name/"
    return httpx.get(url, headers={"Authorization": f"Token {creds['admin_token']}"}).json()["count"]


def test_the_mock_conforms_in_a_default_run(mock_server, tmp_path):
    _, creds = mock_server
    report = tmp_path / "junit.xml"
    started = time.monotonic()
    result = run_kit(*kit_args(creds, "--junitxml", str(report)))
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-5000:]
    assert "0 failed" in result.stdout and "CONFORMS" in result.stdout
    for secret in (creds["admin_token"], creds["member_token"], creds["foreign_token"]):
        assert secret not in result.stdout + result.stderr + report.read_text()
    root = ET.fromstring(report.read_text())
    assert root.get("failures") == "0" and root.get("errors") == "0" and int(root.get("tests")) >= 30
    assert elapsed < 120  # the benchmark (README) measures the real figure; this only catches a runaway


def test_the_mock_conforms_with_writes_and_creates_at_most_max_writes(mock_server):
    server, creds = mock_server
    httpx.post(f"{server.url}/__mock/reset")
    before = count(creds)
    result = run_kit(*kit_args(creds, "--allow-writes", "--max-writes", "3", "--max-examples", "20"))
    assert result.returncode == 0, result.stdout[-5000:]
    assert "PASS  writes.create" in result.stdout
    assert 1 <= count(creds) - before <= 3
    httpx.post(f"{server.url}/__mock/reset")


def test_the_mock_conforms_at_its_root_paths_too(mock_server):
    server, creds = mock_server
    result = run_kit(*kit_args(creds, "--max-examples", "10", base_url=server.url))
    assert result.returncode == 0, result.stdout[-5000:]


def test_an_organization_without_backups_conforms_too(mock_server):
    server, creds = mock_server
    result = run_kit("--base-url", creds["base_url"], "--org-sid", creds["empty_org_sid"], "--token",
                     creds["empty_token"], "--foreign-org-sid", creds["org_sid"], "--foreign-token",
                     creds["admin_token"], "--max-examples", "20")
    assert result.returncode == 0, result.stdout[-5000:]
    assert "0 backup(s) listed" in result.stdout and "stateful phase: no link to follow" in result.stdout
