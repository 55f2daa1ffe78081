"""CORS for browser apps on other ports, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.cli import build_parser, settings_from, uvicorn_config
from mockserver.settings import Settings
from tests.conftest import free_port
from tests.urls import list_url, token

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://localhost:5173"


def test_preflight_from_any_origin(client, creds):
    response = client.options(
        list_url(creds["org_sid"]),
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, token",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()


def test_simple_request_carries_cors_headers(client, creds):
    response = client.get(list_url(creds["org_sid"]), headers={"Origin": ORIGIN, **token(creds["admin_token"])})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    unauthorized = client.get(list_url(creds["org_sid"]), headers={"Origin": ORIGIN})
    assert unauthorized.headers["Access-Control-Allow-Origin"] == "*"
    assert "WWW-Authenticate" in unauthorized.headers["Access-Control-Expose-Headers"]


def test_cors_can_be_restricted():
    app = create_app(Settings(cors_origins=("http://app.example:3000",)))
    with TestClient(app) as client:
        preflight = {"Access-Control-Request-Method": "GET"}
        allowed = client.options("/v1/", headers={"Origin": "http://app.example:3000", **preflight})
        assert allowed.headers["Access-Control-Allow-Origin"] == "http://app.example:3000"
        refused = client.options("/v1/", headers={"Origin": ORIGIN, **preflight})
        assert refused.status_code == 400
        assert "Access-Control-Allow-Origin" not in refused.headers
        # "Every body is JSON" (README, Behaviour): a refused preflight too
        assert refused.headers["content-type"] == "application/json", refused.text
        assert isinstance(refused.json()["detail"], str)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockserver", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_credentials_json():
    result = run_cli("credentials", "--json", "--port", "4555")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == [
        "base_url", "org_sid", "admin_token", "member_token",
        "foreign_org_sid", "foreign_token", "empty_org_sid", "empty_token",
    ]
    assert data["base_url"] == "http://127.0.0.1:4555/v1"
    assert all(isinstance(value, str) and value for value in data.values())


def test_serve_prints_url_routes_and_credentials_then_answers():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        creds = json.loads(run_cli("credentials", "--json", "--port", str(port)).stdout)
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(creds["base_url"] + list_url(creds["org_sid"], prefix=""),
                                     headers=token(creds["admin_token"]))
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the mock did not start"
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert f"http://127.0.0.1:{port}/v1" in output
    for operation_id in ("listBackups", "createBackup", "getBackup"):
        assert operation_id in output
    assert creds["admin_token"] in output and creds["member_token"] in output


def test_bad_spec_path_is_a_clear_error(tmp_path):
    result = run_cli("--spec", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "missing.yaml: cannot read the spec" in result.stderr


def test_header_timeout_option_reaches_the_protocol():
    parse = build_parser().parse_args
    assert settings_from(parse([])).header_timeout == 10.0
    settings = settings_from(parse(["--header-timeout", "250ms"]))
    config = uvicorn_config(object(), settings)
    assert config.http.header_timeout == 0.25 and config.proxy_headers is False
    assert settings_from(parse(["--header-timeout", "0s"])).header_timeout == 0
    for bad in ("5", "2h", "-1s"):
        with pytest.raises(SystemExit):
            parse(["--header-timeout", bad])
