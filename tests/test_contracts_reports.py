"""Reports for CI: --report-json, the GitHub step summary, the write budget line, pytest skip reasons."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.broken import credentials
from tests.contracts_helpers import kit_env, run_kit
from tests.test_contracts_pytest import run_pytest

pytest_plugins = ["tests.contracts_servers"]
pytestmark = pytest.mark.integration

SECRETS = ("a1" * 20, "b2" * 20, "c3" * 20)


def all_options(server, variant: str) -> list[str]:
    creds = credentials(f"{server.url}/{variant}/v1")
    return ["--base-url", creds["base_url"], "--org-sid", creds["org_sid"], "--token", creds["token"],
            "--member-token", creds["member_token"], "--foreign-org-sid", creds["foreign_org_sid"],
            "--foreign-token", creds["foreign_token"], "--max-examples", "5", "--seed", "11"]


def test_json_report_and_github_summary_carry_every_check_finding_curl_line_and_seed(broken_server, tmp_path):
    report, summary = tmp_path / "out" / "contracts.json", tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = run_kit(*all_options(broken_server, "size_is_a_number--reports"), "--report-json", str(report),
                     env=kit_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert result.returncode == 1
    text, markdown = report.read_text(), summary.read_text()
    for secret in SECRETS:
        assert secret not in text + markdown + result.stdout
    data = json.loads(text)
    assert data["seed"] == 11 and data["exit_code"] == 1 and data["options"]["token"] == "set"
    checks = {check["id"]: check for check in data["checks"]}
    assert len(checks) >= 35 and checks["pagination.walk"]["status"] == "passed"
    root = checks["serializers.fields"]["findings"][0]
    assert root["rule"] == "schema.Backup.database_size" and root["field"].endswith("/database_size")
    assert "string" in root["expected"] and root["received"] and root["curl"].startswith("curl -i -X GET")
    assert "[REDACTED]" in root["curl"] and root["also_seen"]
    echo = checks["schemathesis.response_schema_conformance"]["findings"][0]
    assert echo["root_of"] == "serializers.fields" and echo["rule"] == "schema.Backup.database_size"
    assert "schema.Backup.database_size" in checks["serializers.fields"]["rules"]
    assert markdown.startswith("earlier step\n### Backup API contract: DOES NOT CONFORM")
    assert "| `serializers.fields` | ❌ fail | 2 |" in markdown or "| `serializers.fields` | ❌ fail | 1 |" in markdown
    assert "`schema.Backup.database_size`" in markdown and "seed `11`" in markdown


def test_the_write_budget_is_one_line_never_an_unattributed_answer_nor_in_junit(broken_server, tmp_path):
    junit = tmp_path / "contracts.xml"
    # level_ignored creates a backup for any level: every invalid POST would create one
    result = run_kit(*all_options(broken_server, "level_ignored--writes-line"), "--allow-writes", "--max-writes", "1",
                     "--settle-timeout", "1", "--junitxml", str(junit))
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("writes: ")]
    assert len(lines) == 1 and re.fullmatch(r"writes: 1 used of 1; [0-9,]+ further POSTs? not sent", lines[0]), lines
    unattributed = result.stdout.partition("Answers not attributed")[2].partition("Notes:")[0]
    assert "budget" not in unattributed and "not sent" not in unattributed
    text = junit.read_text()
    assert "not sent" not in text and "Not Sent" not in text and "exhausted" not in text
    assert text.count("write budget") <= 1  # at most as the reason a write check could not run
    assert len(text) < 100_000
    ET.fromstring(text)


def test_pytest_skip_reasons_name_the_pytest_options(broken_server):
    creds = credentials(f"{broken_server.url}/correct--skips/v1")
    result = run_pytest("--contract-base-url", creds["base_url"], "--contract-org-sid", creds["org_sid"],
                        "--contract-token", creds["token"], "--contract-max-examples", "5", "-k", "member or writes")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "--contract-member-token or CONTRACT_MEMBER_TOKEN" in result.stdout
    assert "--contract-allow-writes or CONTRACT_ALLOW_WRITES" in result.stdout
    assert "(--member-token" not in result.stdout and "(--allow-writes" not in result.stdout
