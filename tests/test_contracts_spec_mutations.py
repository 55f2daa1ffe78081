"""The kit follows openapi.yaml when it changes, or refuses it with one line (issue 9, item 5).

Each test edits a copy of openapi.yaml with names of its own and reads it through the kit: the
spec model, the rule inventory and its coverage, URL building, narrowing and the shared validation.
The end-to-end runs use the reference server of tests/broken where it still conforms to the mutated
spec; the mock's end-to-end runs belong with the mock's own spec-driven tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import Status, build_options, execute
from contracts.context import KitContext, api_base
from contracts.coverage import coverage
from contracts.errors import SpecError
from contracts.narrowing import narrow
from contracts.rules import Answer, Request, validate
from contracts.spec import Spec
from tests.broken import credentials
from tests.contracts_helpers import run_kit
from tests.spec_validation import mutated

pytest_plugins = ["tests.contracts_servers"]

JSON = {"Content-Type": "application/json"}
BACKUP = {"sid": "abc", "name": "20180803031606.gz", "description": "Data backup on 20180803031606",
          "database_size": "47.0 MB", "date_created": "2018-08-03T03:17:41.438432Z", "change_permission": False}


def components(document: dict[str, Any], kind: str) -> dict[str, Any]:
    return document["components"][kind]


def page(*results: dict[str, Any]) -> bytes:
    return json.dumps({"page_size": 10, "page_number": 1, "page_count": 1, "count": len(results), "next": None,
                       "previous": None, "add_permission": True, "results": list(results)}).encode()


def list_path(serializer: str = "list", prefix: str = "/v1") -> str:
    return f"{prefix}/organizations/backup/list/organization/ehkn0a40x1glqvAFKP/{serializer}/"


def context(path: Path, base_url: str = "http://127.0.0.1:9/v1") -> KitContext:
    options = build_options({"base_url": base_url, "org_sid": "org1", "token": "t" * 40, "spec": str(path)}, env={})
    return KitContext(options, Spec.load(path))


def assert_fully_covered(spec: Spec) -> None:
    assert [rule.rule_id for rule, checks in coverage(spec) if not checks] == []


# -- changes the kit follows ---------------------------------------------------------------------
def test_a_new_required_property_is_required_of_every_full_result(tmp_path):
    def change(document: dict[str, Any]) -> None:
        backup = components(document, "schemas")["Backup"]
        backup["properties"]["retention_days"] = {"type": "integer", "minimum": 1}
        backup["required"].append("retention_days")
    spec = Spec.load(mutated(tmp_path, change))
    assert "retention_days" in spec.required_fields("list")
    [missing] = validate(spec, Request("GET", list_path()), Answer(200, JSON, page(BACKUP)))
    assert (missing.rule, missing.pointer, missing.received) == (
        "listBackups.param.serializer.list", "/body/results/0/retention_days", "missing")
    assert validate(spec, Request("GET", list_path()), Answer(200, JSON, page({**BACKUP, "retention_days": 30}))) == []
    assert "schema.Backup.retention_days" in {rule.rule_id for rule, _ in coverage(spec)}
    assert_fully_covered(spec)


def test_a_new_optional_property_may_be_returned_or_not_but_is_typed(tmp_path):
    def change(document: dict[str, Any]) -> None:
        components(document, "schemas")["Backup"]["properties"]["label"] = {"type": "string", "maxLength": 40}
    spec = Spec.load(mutated(tmp_path, change))
    assert "label" in spec.fields("list") and "label" not in spec.required_fields("list")
    for backup in (BACKUP, {**BACKUP, "label": "before the upgrade"}):
        assert validate(spec, Request("GET", list_path()), Answer(200, JSON, page(backup))) == []
    [wrong] = validate(spec, Request("GET", list_path()), Answer(200, JSON, page({**BACKUP, "label": 7})))
    assert (wrong.rule, wrong.pointer) == ("schema.Backup.label", "/body/results/0/label")
    assert_fully_covered(spec)


def test_a_new_serializer_gets_its_own_rules_and_judgement(tmp_path):
    def change(document: dict[str, Any]) -> None:
        schemas = components(document, "schemas")
        schemas["BackupAudit"] = {"type": "object", "additionalProperties": False, "required": ["sid", "checksum"],
                                  "properties": {"sid": {"$ref": "#/components/schemas/Sid"},
                                                 "checksum": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}}
        schemas["BackupPage"]["properties"]["results"]["items"]["oneOf"].append(
            {"$ref": "#/components/schemas/BackupAudit"})
        serializer = components(document, "parameters")["Serializer"]
        serializer["schema"]["enum"].append("audit")
        serializer["x-serializer-schemas"]["audit"] = "#/components/schemas/BackupAudit"
    spec = Spec.load(mutated(tmp_path, change))
    assert list(spec.serializers) == ["name", "list", "detail", "audit"]
    rules = {rule.rule_id: checks for rule, checks in coverage(spec)}
    assert "serializers.fields" in rules["listBackups.param.serializer.audit"]
    assert "serializers.fields" in rules["schema.BackupAudit.checksum"]
    audit = {"sid": "abc", "checksum": "0" * 64}
    assert validate(spec, Request("GET", list_path("audit")), Answer(200, JSON, page(audit))) == []
    [extra] = validate(spec, Request("GET", list_path("audit")), Answer(200, JSON, page({**audit, "name": "x"})))
    assert extra.rule == "listBackups.param.serializer.audit"


def test_a_serializer_missing_from_the_page_schema_makes_no_false_alarm_in_generation(tmp_path):
    def change(document: dict[str, Any]) -> None:  # enum and mapping only: the page's oneOf is left alone
        serializer = components(document, "parameters")["Serializer"]
        serializer["schema"]["enum"].append("short")
        serializer["x-serializer-schemas"]["short"] = "#/components/schemas/BackupName"
    spec = Spec.load(mutated(tmp_path, change))
    results = narrow(spec, "org1", [])["components"]["schemas"]["BackupPage"]["properties"]["results"]
    assert results["items"] == {"anyOf": [{"$ref": "#/components/schemas/BackupName"},
                                          {"$ref": "#/components/schemas/Backup"}]}
    assert validate(spec, Request("GET", list_path("short")), Answer(200, JSON, page(
        {"sid": "abc", "name": "20180803031606.gz"}))) == []


def test_a_serializer_returns_only_what_it_declares_even_without_additional_properties_false(tmp_path):
    def change(document: dict[str, Any]) -> None:
        components(document, "schemas")["BackupName"].pop("additionalProperties")
    spec = Spec.load(mutated(tmp_path, change))
    named = {"sid": "abc", "name": "20180803031606.gz"}
    assert validate(spec, Request("GET", list_path("name")), Answer(200, JSON, page(named))) == []
    [extra] = validate(spec, Request("GET", list_path("name")), Answer(200, JSON, page({**named, "secret": 1})))
    assert (extra.rule, extra.pointer, extra.received) == ("listBackups.param.serializer.name", "/body/results/0",
                                                           "also secret")
    assert_fully_covered(spec)


def test_a_new_servers_prefix_is_used_for_a_base_url_without_a_path(tmp_path):
    def change(document: dict[str, Any]) -> None:
        for server in document["servers"]:
            server["url"] = server["url"].replace("/v1", "/api/v9")
    spec = Spec.load(mutated(tmp_path, change))
    assert spec.prefix == "/api/v9"
    assert api_base("http://127.0.0.1:4010", spec) == "http://127.0.0.1:4010/api/v9"
    assert api_base("http://127.0.0.1:4010/", spec) == "http://127.0.0.1:4010/api/v9"
    assert api_base("https://staging.example.com/backup-api", spec) == "https://staging.example.com/backup-api"
    ctx = context(mutated(tmp_path, change), "http://127.0.0.1:4010")
    assert ctx.list_url().startswith("http://127.0.0.1:4010/api/v9/organizations/backup/list/organization/org1/")
    for path in (list_path(prefix="/api/v9"), list_path(prefix="")):
        assert validate(spec, Request("GET", path), Answer(200, JSON, page(BACKUP))) == []


def test_a_renamed_path_parameter_is_found_by_its_role(tmp_path):
    def change(document: dict[str, Any]) -> None:
        old, new = "/organizations/backup/list/{level}/{sid}/{serializer}/", \
            "/organizations/backup/list/{level}/{organization_sid}/{serializer}/"
        document["paths"] = {new if key == old else key: value for key, value in document["paths"].items()}
        components(document, "parameters")["OrganizationSid"]["name"] = "organization_sid"
    path = mutated(tmp_path, change)
    spec = Spec.load(path)
    assert spec.list_op.needs("organization").name == "organization_sid"
    ctx = context(path)
    assert ctx.list_url(page=2) == "http://127.0.0.1:9/v1/organizations/backup/list/organization/org1/list/?page=2"
    assert ctx.create_url("other", "name") == "http://127.0.0.1:9/v1/organizations/backup/list/organization/other/name/"
    narrowed = Spec(narrow(spec, "org1", ["b1"]))
    assert narrowed.list_op.needs("organization").schema == {"type": "string", "enum": ["org1"]}
    [stray] = validate(spec, Request("GET", "/organizations/backup/list/organization/bad!sid/list/"))
    assert (stray.rule, stray.pointer) == ("listBackups.param.organization", "/request/path/organization_sid")
    assert_fully_covered(spec)


def add_summary_operation(document: dict[str, Any]) -> None:
    """A fourth operation, without x-role: a summary of an organization's backups."""
    document["paths"]["/organizations/backup/summary/{sid}/"] = {"get": {
        "operationId": "backupSummary", "parameters": [{"$ref": "#/components/parameters/OrganizationSid"}],
        "responses": {"200": {"description": "Totals.", "content": {"application/json": {
            "schema": {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}},
            "example": {"count": 32}}}}, "401": {"$ref": "#/components/responses/NotAuthenticated"}}}}


def test_a_fourth_operation_without_a_role_is_checked_from_what_it_documents(tmp_path):
    change = add_summary_operation
    path = mutated(tmp_path, change)
    spec = Spec.load(path)
    [summary] = spec.unroled
    assert summary.operation_id == "backupSummary" and spec.role("list").operation_id == "listBackups"
    rules = {rule.rule_id: checks for rule, checks in coverage(spec)}
    for rule in ("backupSummary.status", "backupSummary.200", "backupSummary.401.header.WWW-Authenticate",
                 "backupSummary.access.anonymous", "backupSummary.security.tokenAuth"):
        assert "operations.documented" in rules[rule], rule
    assert_fully_covered(spec)
    assert context(path).op_url(summary, {}).endswith("/v1/organizations/backup/summary/ehkn0a40x1glqvAFKP/")
    assert narrow(spec, "org1", [])["paths"]["/organizations/backup/summary/{sid}/"]["get"]["parameters"][0][
        "schema"] == {"type": "string", "enum": ["org1"]}
    request = Request("GET", "/v1/organizations/backup/summary/org1/")
    assert validate(spec, request, Answer(200, JSON, b'{"count": 3}')) == []
    assert validate(spec, request, Answer(200, JSON, b'{"count": "3"}'))[0].pointer == "/body/count"


# -- changes the kit refuses, in one line --------------------------------------------------------
REFUSALS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("serializer enum and mapping differ",
     lambda d: components(d, "parameters")["Serializer"]["schema"]["enum"].append("full"),
     "#/components/parameters/Serializer: the serializer enum and x-serializer-schemas differ (only in enum: full)"),
    ("a mapping to a missing schema",
     lambda d: components(d, "parameters")["Serializer"]["x-serializer-schemas"].update(
         detail="#/components/schemas/Nowhere"),
     "#/components/schemas/Nowhere: unresolvable reference"),
    ("no page-size default",
     lambda d: components(d, "parameters")["PageSize"]["schema"].pop("default"),
     "#/components/parameters/PageSize/schema/default: the page-size parameter needs an integer default"),
    ("no page-size cap",
     lambda d: components(d, "parameters")["PageSize"].pop("x-max-page-size"),
     "#/components/parameters/PageSize/x-max-page-size: the page-size parameter needs an integer cap"),
    ("an unknown operation role",
     lambda d: d["paths"]["/organizations/backup/detail/{sid}/"]["get"].update({"x-role": "read"}),
     "/get/x-role: unknown role 'read'"),
    ("two list operations",
     lambda d: d["paths"]["/organizations/backup/detail/{sid}/"]["get"].update({"x-role": "list"}),
     "'list' is also the role of listBackups"),
    ("a renamed parameter left in the path",
     lambda d: components(d, "parameters")["OrganizationSid"].update({"name": "org"}),
     "#/components/parameters/OrganizationSid/name: path parameter 'org' does not appear in"),
    ("an unknown reference",
     lambda d: d["paths"]["/organizations/backup/detail/{sid}/"]["get"]["responses"].update(
         {"418": {"$ref": "#/components/responses/Teapot"}}),
     "#/components/responses/Teapot: unresolvable reference"),
]


@pytest.mark.parametrize("change, message", [(change, message) for _, change, message in REFUSALS],
                         ids=[name for name, _, _ in REFUSALS])
def test_a_spec_the_kit_cannot_follow_is_refused_in_one_line(tmp_path, change, message):
    path = mutated(tmp_path, change)
    with pytest.raises(SpecError) as raised:
        Spec.load(path)
    assert message in str(raised.value) and str(path) in str(raised.value)
    assert "\n" not in str(raised.value)
    result = run_kit("--list-rules", "--spec", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"backup-contracts: error: {raised.value}"]


def test_a_run_with_a_refused_spec_exits_2_before_sending_anything(tmp_path):
    path = mutated(tmp_path, REFUSALS[0][1])
    result = run_kit("--base-url", "http://127.0.0.1:9/v1", "--org-sid", "o", "--token", "t" * 40, "--spec", str(path))
    assert result.returncode == 2 and "the serializer enum and x-serializer-schemas differ" in result.stdout
    assert "preflight" not in result.stdout


# -- end to end, against the reference server where it still conforms ------------------------------
@pytest.mark.integration
@pytest.mark.parametrize("name, change", [
    ("renamed", lambda d: (d["paths"].update({
        "/organizations/backup/list/{level}/{org}/{serializer}/":
            d["paths"].pop("/organizations/backup/list/{level}/{sid}/{serializer}/")}),
        components(d, "parameters")["OrganizationSid"].update({"name": "org"}))),
    ("optional", lambda d: components(d, "schemas")["Backup"]["properties"].update(
        {"label": {"type": "string"}})),
])
def test_the_kit_passes_the_reference_server_with_the_mutated_spec(broken_server, tmp_path, name, change):
    creds = credentials(f"{broken_server.url}/correct--mutated-{name}/v1")
    options = build_options({**{key: creds[key] for key in ("base_url", "org_sid", "token", "member_token",
                                                           "foreign_org_sid", "foreign_token")},
                             "spec": str(mutated(tmp_path, change)), "max_examples": "10", "seed": "3"}, env={})
    report = execute(options)
    failures = [finding.render() for result in report.results for finding in result.findings]
    assert report.exit_code == 0, failures[:3]
    assert not [result.check_id for result in report.results if result.status is Status.ERROR]


# -- an operation without a role, against a stand-in that answers from the spec's examples ---------------
class ExampleServer:
    """Answers GET /v1/organizations/backup/summary/<org>/ from its documented example, with security
    enforced as the spec declares it (or not); other paths are 404."""

    def __init__(self, token: str, org: str, *, enforce: bool = True) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                header = self.headers.get("Authorization", "")
                given = header.split(" ", 1)[1] if " " in header else self.headers.get("token")
                if server.enforce and given != token:
                    text = "Invalid token." if given else "Authentication credentials were not provided."
                    self.answer(401, {"detail": text}, {"WWW-Authenticate": "Token"})
                elif self.path == f"/v1/organizations/backup/summary/{org}/":
                    self.answer(200, {"count": 32})
                else:
                    self.answer(404, {"detail": "Not found."})

            def answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.enforce = enforce
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("enforce, problems", [(True, []), (False, ["backupSummary.access.anonymous",
                                                                     "backupSummary.access.unknown-token"])])
def test_operations_without_a_role_are_called_and_judged_from_their_documentation(tmp_path, enforce, problems):
    from contracts.checks.base import Recorder
    from contracts.checks.operations import check_documented
    from contracts.results import CheckResult

    token = "d" * 40
    server = ExampleServer(token, "org1", enforce=enforce)  # the spec's example names another organization
    try:
        options = build_options({"base_url": server.url, "org_sid": "org1", "token": token,
                                 "spec": str(mutated(tmp_path, add_summary_operation))}, env={})
        ctx = KitContext(options, Spec.load(options.spec))
        result = CheckResult("operations.documented", "")
        check_documented(ctx, Recorder(ctx, result))
    finally:
        server.close()
    assert sorted({finding.rule for finding in result.findings}) == problems
    assert ctx.client.sent == len(ctx.forms) + 2
