"""`python -m contracts` as a user runs it: options, environment, exit codes, reports, no leaks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.broken import credentials
from tests.contracts_helpers import free_port, kit_env, run_kit

pytest_plugins = ["tests.contracts_servers"]
pytestmark = pytest.mark.integration

SECRETS = ("a1" * 20, "b2" * 20, "c3" * 20)


def args_for(server, variant: str, *extra: str) -> list[str]:
    creds = credentials(f"{server.url}/{variant}/v1")
    return ["--base-url", creds["base_url"], "--org-sid", creds["org_sid"], "--token", creds["token"], *extra]


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_missing_options_exit_2_and_name_the_env_vars():
    result = run_kit()
    assert result.returncode == 2
    assert "--base-url (or CONTRACT_BASE_URL)" in result.stderr and "CONTRACT_TOKEN" in result.stderr


def test_a_bad_value_exits_2():
    result = run_kit("--base-url", "http://127.0.0.1:1/v1", "--org-sid", "o", "--token", "t", "--max-writes", "x")
    assert result.returncode == 2 and "--max-writes: invalid value 'x'" in result.stderr


def test_an_unknown_option_never_echoes_its_value():
    result = run_kit("--tokne", SECRETS[0])
    assert result.returncode == 2 and "--tokne" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_nothing_listening_is_a_connection_error_naming_the_cause_and_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_kit("--base-url", url, "--org-sid", "o", "--token", SECRETS[0])
    assert result.returncode == 2
    assert "connection refused" in result.stdout and f"GET {url}/organizations/backup/list/" in result.stdout
    assert "INCOMPLETE" in result.stdout
    assert_no_secret(result.stdout, result.stderr)


def test_an_unknown_host_is_a_connection_error_naming_the_cause():
    result = run_kit("--base-url", "http://no-such-host.invalid/v1", "--org-sid", "o", "--token", SECRETS[0],
                     "--timeout", "5")
    assert result.returncode == 2
    assert "name not found" in result.stdout and "http://no-such-host.invalid/v1/organizations" in result.stdout


def test_tls_to_a_plain_http_server_is_a_connection_error_naming_tls(broken_server):
    result = run_kit("--base-url", broken_server.url.replace("http://", "https://") + "/correct/v1",
                     "--org-sid", "o", "--token", SECRETS[0])
    assert result.returncode == 2 and "TLS failed" in result.stdout


def test_a_refused_token_is_a_usage_error_exit_2(broken_server):
    creds = credentials(f"{broken_server.url}/correct/v1")
    wrong = "d4" * 20
    result = run_kit("--base-url", creds["base_url"], "--org-sid", creds["org_sid"], "--token", wrong)
    assert result.returncode == 2
    assert "does not accept --token" in result.stdout and wrong not in result.stdout


def test_a_wrong_base_url_is_a_usage_error_exit_2(broken_server):
    result = run_kit(*args_for(broken_server, "correct")[:0], "--base-url", f"{broken_server.url}/correct",
                     "--org-sid", "acme0a40xRefOrgA01", "--token", SECRETS[0])
    assert result.returncode == 2 and "is --base-url or CONTRACT_BASE_URL right" in result.stdout
    assert "the spec's /v1" in result.stdout


def test_options_from_the_environment_and_a_conforming_run_exit_0(broken_server):
    creds = credentials(f"{broken_server.url}/correct--env/v1")
    env = kit_env(CONTRACT_BASE_URL=creds["base_url"], CONTRACT_ORG_SID=creds["org_sid"],
                  CONTRACT_TOKEN=creds["token"], CONTRACT_MEMBER_TOKEN=creds["member_token"],
                  CONTRACT_MAX_EXAMPLES="10", CONTRACT_CHECKS="errors,schemathesis")
    result = run_kit(env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "PASS  errors.member_forbidden" in result.stdout and "CONFORMS" in result.stdout
    assert "schemathesis fuzzing phase" in result.stdout  # progress while running
    assert_no_secret(result.stdout, result.stderr)


def test_a_nonconforming_run_exits_1_with_a_junit_report_a_ci_can_show(broken_server, tmp_path):
    report = tmp_path / "reports" / "contracts.xml"
    creds = credentials("")
    result = run_kit(*args_for(broken_server, "foreign_detail_readable--cli", "--foreign-org-sid",
                               creds["foreign_org_sid"], "--foreign-token", creds["foreign_token"],
                               "--member-token", creds["member_token"], "--max-examples", "5", "--seed", "77",
                               "--junitxml", str(report)))
    assert result.returncode == 1
    assert "FAIL  isolation.foreign_detail" in result.stdout and "replay with --seed 77" in result.stdout
    text = report.read_text()
    assert_no_secret(result.stdout, result.stderr, text)
    root = ET.fromstring(text)
    assert int(root.get("tests")) >= 30 and root.get("failures") == "2" and int(root.get("skipped")) <= 6
    failing = {case.get("name"): case.find("failure") for case in root.iter("testcase")
               if case.find("failure") is not None}
    assert set(failing) == {"isolation.foreign_detail", "access.matrix"}  # one root, one consequence
    assert "curl -i -X GET" in failing["isolation.foreign_detail"].text
    assert failing["access.matrix"].get("message").startswith("consequence of isolation.foreign_detail")
    assert "(2 consequence(s) of isolation.foreign_detail)" in result.stdout


def test_version():
    result = run_kit("--version")
    assert result.returncode == 0 and result.stdout.startswith("backup-contracts ")


def test_a_server_that_never_answers_is_a_timeout_naming_the_url():
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    try:
        result = run_kit("--base-url", url, "--org-sid", "o", "--token", SECRETS[0], "--timeout", "0.5")
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    assert result.returncode == 2
    assert "no answer within 0.5s (read timeout)" in result.stdout and f"GET {url}/organizations/" in result.stdout
