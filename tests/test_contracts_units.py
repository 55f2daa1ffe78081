"""Unit tests of the kit's parts that need no server: options, redaction, guard, spec, reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import contracts
from contracts.errors import RequestRefused, SpecError, UsageError
from contracts.guard import RequestGuard
from contracts.http import Exchange
from contracts.infrastructure import classify
from contracts.junit import build
from contracts.narrowing import narrow
from contracts.options import OPTION_SPECS, THEMES, build_options
from contracts.redaction import MASK, Redactor
from contracts.results import CheckResult, Finding, Status
from contracts.runner import RunReport
from contracts.spec import Spec

TOKEN = "0123456789abcdef0123456789abcdef01234567"
REQUIRED = {"base_url": "http://127.0.0.1:1/v1", "org_sid": "org1", "token": TOKEN}


# -- options ----------------------------------------------------------------------------------
def test_every_option_has_a_flag_and_an_environment_variable():
    assert {spec.cli for spec in OPTION_SPECS} >= {
        "--base-url", "--org-sid", "--token", "--member-token", "--foreign-org-sid", "--foreign-token",
        "--allow-writes", "--max-writes", "--max-examples", "--seed", "--junitxml", "--spec", "--lenient-messages"}
    assert all(spec.env == "CONTRACT_" + spec.name.upper() for spec in OPTION_SPECS)


def test_environment_fills_in_and_the_command_line_wins():
    env = {"CONTRACT_BASE_URL": "https://api.example.com/v1", "CONTRACT_ORG_SID": "envorg",
           "CONTRACT_TOKEN": "envtoken", "CONTRACT_ALLOW_WRITES": "yes", "CONTRACT_MAX_WRITES": "2"}
    options = build_options({"org_sid": "cliorg"}, env)
    assert (options.base_url, options.org_sid, options.token) == ("https://api.example.com/v1", "cliorg", "envtoken")
    assert options.allow_writes is True and options.max_writes == 2


def test_defaults_are_read_only_with_a_random_seed_and_every_theme():
    options = build_options(REQUIRED, {})
    assert options.allow_writes is False and options.max_writes == 5 and options.max_examples == 100
    assert options.checks == THEMES and options.seed > 0 and not options.seed_given


@pytest.mark.parametrize("given, message", [
    ({}, "missing required option(s): --base-url"),
    ({**REQUIRED, "max_writes": "-1"}, "--max-writes: invalid value"),
    ({**REQUIRED, "max_examples": "0"}, "--max-examples: invalid value"),
    ({**REQUIRED, "allow_writes": "perhaps"}, "--allow-writes: invalid value"),
    ({**REQUIRED, "checks": "pagination,nonsense"}, "--checks: invalid value"),
    ({**REQUIRED, "base_url": "ftp://host/v1"}, "must be an http(s) URL"),
    ({**REQUIRED, "foreign_org_sid": "other"}, "go together"),
    ({**REQUIRED, "member_token": TOKEN}, "must be different tokens"),
    ({**REQUIRED, "spec": "/nonexistent/openapi.yaml"}, "no such file"),
])
def test_bad_options_are_usage_errors(given, message):
    with pytest.raises(UsageError, match=None) as raised:
        build_options(given, {})
    assert message in str(raised.value)


def test_a_bad_secret_value_is_never_echoed():
    with pytest.raises(UsageError) as raised:
        build_options(REQUIRED, {"CONTRACT_MAX_WRITES": "x"})
    assert TOKEN not in str(raised.value)


# -- redaction ----------------------------------------------------------------------------------
def test_redactor_masks_secrets_everywhere_and_credential_headers_always():
    redact = Redactor([TOKEN, None, ""])
    assert redact(f"token={TOKEN}&x") == f"token={MASK}&x"
    assert redact("https://user:pw@host/v1") == f"https://{MASK}@host/v1"
    assert redact.headers({"Authorization": "Token other", "token": "zzz", "Accept": "x"}) == {
        "Authorization": f"Token {MASK}", "token": MASK, "Accept": "x"}


def test_curl_lines_mask_the_token_and_quote_the_url():
    exchange = Exchange("GET", "http://h/v1/x/?page=2&page_size=3", {"Authorization": f"Token {TOKEN}",
                                                                        "User-Agent": "kit"})
    line = exchange.curl(Redactor([TOKEN]))
    assert line == f"curl -i -X GET -H 'Authorization: Token {MASK}' 'http://h/v1/x/?page=2&page_size=3'"


# -- guard -------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "put", "CONNECT"])
def test_the_guard_never_lets_through_other_methods(method):
    guard = RequestGuard(allow_writes=True, max_writes=100)
    with pytest.raises(RequestRefused):
        guard.before(method)


def test_without_writes_no_post_is_sent():
    guard = RequestGuard(allow_writes=False, max_writes=5)
    for method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        guard.before(method)
    with pytest.raises(RequestRefused, match="--allow-writes"):
        guard.before("POST")


def test_the_budget_counts_posts_that_may_have_created_and_refunds_refusals():
    guard = RequestGuard(allow_writes=True, max_writes=2)
    for status in (406, 200, None):  # refused: nothing created; created; no answer: may have created
        guard.before("POST")
        guard.after("POST", status)
    assert guard.used == 2 and guard.remaining == 0
    with pytest.raises(RequestRefused, match="budget exhausted"):
        guard.before("POST")


# -- spec and narrowing --------------------------------------------------------------------------
def test_the_kit_reads_messages_and_facts_from_the_spec():
    spec = Spec.load()
    assert spec.message("wrongId") == "Wrong id - the provided sid is not correct"
    assert spec.message("invalidPage") == "Invalid page."
    assert {name: spec.schema_name(ref) for name, ref in spec.serializers.items()} == {
        "name": "BackupName", "list": "Backup", "detail": "Backup"}
    assert (spec.page_size_default, spec.page_size_max, spec.www_authenticate) == (10, 1000, "Token")
    assert spec.role("create").success_statuses() == {200, 201}
    assert spec.prefix == "/v1"
    assert [form.name for form in spec.credential_forms] == [
        "Authorization: Token", "Authorization: Bearer", "token header"]


def test_a_spec_without_a_list_operation_is_a_spec_error(tmp_path: Path):
    broken = tmp_path / "openapi.yaml"
    broken.write_text("openapi: 3.1.0\npaths: {}\n")
    with pytest.raises(SpecError, match="x-role 'list'"):
        Spec.load(broken)


def test_narrowing_pins_the_sids_by_role_in_a_copy_and_leaves_the_spec_alone():
    spec = Spec.load()
    before = json.dumps(spec.document, sort_keys=True)
    document = narrow(spec, "myorg", ["b1", "b2"])
    assert json.dumps(spec.document, sort_keys=True) == before
    narrowed = Spec(document)
    assert narrowed.list_op.needs("organization").schema == {"type": "string", "enum": ["myorg"]}
    assert narrowed.role("create").needs("organization").definition["examples"] == {"real": {"value": "myorg"}}
    assert narrowed.role("detail").needs("backup").schema["enum"] == ["b1", "b2"]


# -- infrastructure --------------------------------------------------------------------------------
LIST = "http://h/v1/organizations/backup/list/organization/o1/list/"
BAD_PATH = "http://h/v1/organizations/backup/list/organization/bad%25sid/list/"
HTML = b"<html>no</html>"


@pytest.mark.parametrize("method, url, status, content, tolerated", [
    ("GET", LIST, 414, HTML, True),
    ("GET", LIST, 431, HTML, True),
    ("POST", LIST, 413, HTML, True),
    ("POST", LIST, 413, b'{"detail": "Request body is larger than 2621440 bytes."}', False),
    ("GET", LIST + "?page=0", 400, HTML, True),
    ("GET", LIST, 400, HTML, False),
    ("GET", LIST + "?page=0", 400, b'{"detail": "bad"}', False),
    ("GET", BAD_PATH, 404, b'{"detail": "Not found."}', True),
    ("GET", LIST + "?page=0", 404, b'{"detail": "Not found."}', False),
    ("TRACE", LIST, 405, HTML, True),
    ("GET", LIST, 500, HTML, False),
    ("GET", LIST, 200, HTML, False),
])
def test_infrastructure_answers_are_told_apart_by_the_shared_rules(method, url, status, content, tolerated):
    assert (classify(Spec.load(), method, url, status, content) is not None) is tolerated


# -- reports --------------------------------------------------------------------------------------
def _report() -> RunReport:
    options = build_options({**REQUIRED, "seed": "9"}, {})
    report = RunReport(options, duration=1.5, spec_path="openapi.yaml")
    report.results = [
        CheckResult("pagination.walk", "walk", Status.PASSED, duration=0.1),
        CheckResult("errors.no_credentials", "401s", Status.FAILED, findings=[Finding(
            summary="list without credentials: status 200 \x00", expected="401", status=200,
            body=f'{{"echo": "{TOKEN}"}}', curl=f"curl -H 'Authorization: Token {TOKEN}' http://h/")]),
        CheckResult("writes.create", "writes", Status.SKIPPED, reason="needs --allow-writes"),
        CheckResult("schemathesis.run", "ran", Status.ERROR, reason="no answer"),
    ]
    return report


def test_junit_shows_passes_failures_skips_and_errors_without_secrets():
    report = _report()
    tree = build(report, Redactor([TOKEN]))
    text = ET.tostring(tree.getroot(), encoding="unicode")
    assert TOKEN not in text and "\x00" not in text
    root = tree.getroot()
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == ("4", "1", "1", "1")
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert list(cases["pagination.walk"]) == [cases["pagination.walk"].find("system-out")]
    failure = cases["errors.no_credentials"].find("failure")
    assert "seed 9" in failure.text and MASK in failure.text and failure.get("message").startswith("1 problem")
    assert cases["writes.create"].find("skipped").get("message") == "needs --allow-writes"
    assert cases["schemathesis.run"].find("error") is not None
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert properties["seed"] == "9" and properties["token"] == "set" and properties["spec"] == "openapi.yaml"


def test_exit_codes_follow_the_worst_result():
    report = _report()
    assert report.exit_code == 2
    report.results.pop()
    assert report.exit_code == 1
    report.results = report.results[:1]
    assert report.exit_code == 0
    report.errors.append("cannot connect")
    assert report.exit_code == 2


def test_the_public_api_is_what_it_says():
    assert set(contracts.__all__) <= set(dir(contracts))
    assert issubclass(UsageError, contracts.ContractKitError)


def test_the_kit_does_not_import_the_mock():
    package = Path(contracts.__file__).parent
    for path in package.rglob("*.py"):
        assert "mockserver" not in path.read_text(), path
