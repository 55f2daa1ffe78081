"""The rule inventory and the shared validation (contracts.rules): what a validating proxy reuses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from contracts.coverage import coverage
from contracts.rules import Answer, Request, inventory, validate
from contracts.spec import Spec
from tests.contracts_helpers import ROOT, run_kit

JSON = {"Content-Type": "application/json"}
LIST = "/v1/organizations/backup/list/organization/ehkn0a40x1glqvAFKP/{serializer}/"
DETAIL = "/organizations/backup/detail/abc/"
BACKUP = {"sid": "abc", "name": "20180803031606.gz", "description": "Data backup on 20180803031606",
          "database_size": "47.0 MB", "date_created": "2018-08-03T03:17:41.438432Z", "change_permission": False}


def page(*results: dict, **fields: object) -> bytes:
    body = {"page_size": 10, "page_number": 1, "page_count": 1, "count": len(results), "next": None,
            "previous": None, "add_permission": True, "results": list(results)}
    body.update(fields)
    return json.dumps(body).encode()


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.load()


def test_every_rule_of_the_spec_has_a_check(spec):
    rows = coverage(spec)
    assert len(rows) >= 150
    assert [rule.rule_id for rule, checks in rows if not checks] == []


def test_the_inventory_states_each_kind_of_rule_the_issue_lists(spec):
    ids = {rule.rule_id for rule in inventory(spec)}
    assert {"listBackups.401.header.WWW-Authenticate", "listBackups.401.message.tokenHasInvalidCharacters",
            "listBackups.param.page-size.cap", "listBackups.param.page-size.fallback", "listBackups.param.page.last",
            "listBackups.param.page.empty", "listBackups.param.page.past-end", "listBackups.order",
            "schema.Backup.database_size", "schema.BackupPage.next", "createBackup.access.member.own",
            "getBackup.access.foreign-admin.own", "createBackup.effect", "createBackup.link.GetCreatedBackup",
            "listBackups.param.serializer.name", "createBackup.413.message.tooLarge"} <= ids
    cells = {rule.rule_id for rule in inventory(spec) if rule.kind == "access"}
    assert len(cells) == 3 * 14  # every caller x organization, for each of the three operations


def test_list_rules_prints_every_rule_with_its_checks_and_needs_no_server():
    result = run_kit("--list-rules")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("listBackups.param.page-size.cap ") and "pagination.page_size" in line
               for line in lines)
    assert "NO CHECK" not in result.stdout and lines[-1].endswith("0 without")


def test_the_rules_import_with_the_base_dependencies_only():
    code = ("import sys, contracts.rules, contracts.spec; "
            "print(sorted(m for m in ('schemathesis', 'hypothesis', 'requests', 'mockserver') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_conforming_exchange_has_no_violation(spec):
    assert validate(spec, Request("GET", LIST.format(serializer="list")), Answer(200, JSON, page(BACKUP))) == []
    assert validate(spec, Request("GET", DETAIL), Answer(200, JSON, json.dumps(BACKUP).encode())) == []


def test_a_wrong_field_is_named_with_its_rule_expected_and_received_value(spec):
    wrong = {**BACKUP, "database_size": 47.0}
    [violation] = validate(spec, Request("GET", LIST.format(serializer="list")), Answer(200, JSON, page(wrong)))
    assert (violation.rule, violation.pointer) == ("schema.Backup.database_size", "/body/results/0/database_size")
    assert "string" in violation.expected and violation.received == "47.0" and violation.side == "answer"


def test_results_are_judged_by_the_serializer_in_the_path_never_as_a_oneof(spec):
    violations = validate(spec, Request("GET", LIST.format(serializer="name")), Answer(200, JSON, page(BACKUP)))
    assert [v.rule for v in violations] == ["listBackups.param.serializer.name"]
    assert "oneOf" not in violations[0].message and "description" in violations[0].received
    missing = {key: value for key, value in BACKUP.items() if key != "description"}
    [violation] = validate(spec, Request("GET", LIST.format(serializer="list")), Answer(200, JSON, page(missing)))
    assert violation.pointer == "/body/results/0/description" and violation.received == "missing"


def test_documented_headers_and_texts_are_required(spec):
    body = b'{"detail": "Authentication credentials were not provided."}'
    assert validate(spec, Request("GET", DETAIL), Answer(401, {**JSON, "WWW-Authenticate": "Token"}, body)) == []
    violations = validate(spec, Request("GET", DETAIL), Answer(401, JSON, b'{"detail": "Go away."}'))
    assert {v.rule for v in violations} == {"getBackup.401.header.WWW-Authenticate", "getBackup.401.message"}
    assert validate(spec, Request("GET", DETAIL), Answer(401, JSON, b'{"detail": "Go away."}'), messages=False)[0] \
        .rule == "getBackup.401.header.WWW-Authenticate"


def test_status_content_type_and_json_are_judged(spec):
    assert [v.rule for v in validate(spec, Request("GET", DETAIL), Answer(500, JSON, b"{}"))] == ["getBackup.status"]
    [text] = validate(spec, Request("GET", DETAIL), Answer(406, {"Content-Type": "text/plain"}, b"Wrong id"))
    assert (text.rule, text.pointer, text.received) == ("getBackup.406", "/headers/content-type", "text/plain")
    [broken] = validate(spec, Request("GET", DETAIL), Answer(200, JSON, b"{not json"))
    assert broken.pointer == "/body"


def test_unknown_paths_methods_and_parameters_are_the_requests(spec):
    [path] = validate(spec, Request("GET", "/v2/organizations/"))
    assert (path.rule, path.side) == ("request.path", "request")
    method = validate(spec, Request("DELETE", DETAIL), Answer(204, {}, b""))
    assert [v.pointer for v in method] == ["/request/method", "/status"]
    assert validate(spec, Request("DELETE", DETAIL), Answer(405, {"Allow": "GET"}, b"{}"))[1:] == []
    [page_value] = validate(spec, Request("GET", LIST.format(serializer="list"), "page=0"))
    assert (page_value.rule, page_value.pointer) == ("listBackups.param.page", "/request/query/page")
    assert validate(spec, Request("GET", LIST.format(serializer="list"), "page=last&page_size=abc")) == []


def test_the_validator_takes_a_plain_document_too(spec):
    [violation] = validate(spec.copy_document(), Request("GET", DETAIL), Answer(500, JSON, b"{}"))
    assert violation.rule == "getBackup.status"
