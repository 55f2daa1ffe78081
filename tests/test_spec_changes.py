"""The spec drives everything: each change to a copy of openapi.yaml (and the fixtures) is
served with no Python edit, or refused at start with one line naming the file and pointer.

Each accepted change is also judged by the contract kit, run with the same `--spec` against a
real server started with it: the kit must find the changed mock conforming.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.cli import demo_credentials
from mockserver.data.fixtures import DEFAULT_FIXTURES_DIR
from mockserver.data.records import RecordShape
from mockserver.data.serializers import Serializers
from mockserver.exceptions import FixtureError, SpecError
from mockserver.settings import Settings
from mockserver.spec import Spec, load_model
from tests.conftest import LiveServer, free_port
from tests.contracts_helpers import ROOT, run_kit
from tests.spec_validation import resolve, validate_schema

SPEC = ROOT / "openapi.yaml"
Edit = Callable[[dict[str, Any]], None]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dump(path: Path, document: Any) -> None:
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def mutate(tmp_path: Path, spec: Edit | None = None, backups: Edit | None = None) -> Settings:
    """Copies of openapi.yaml and the fixtures with the given edits, and settings that use them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    document = load(SPEC)
    if spec is not None:
        spec(document)
    dump(tmp_path / "openapi.yaml", document)
    fixtures = tmp_path / "fixtures"
    shutil.copytree(DEFAULT_FIXTURES_DIR, fixtures)
    if backups is not None:
        data = load(fixtures / "backups.yaml")
        backups(data)
        dump(fixtures / "backups.yaml", data)
    return Settings(spec_path=tmp_path / "openapi.yaml", fixtures_dir=fixtures, port=free_port())


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    app = create_app(settings)
    state = app.state.mock
    creds = demo_credentials(settings, state.fixtures, state.model.api_prefix)
    with TestClient(app, base_url="http://testserver") as client:
        yield client, creds


def kit_passes(settings: Settings, prefix: str = "/v1") -> None:
    """The contract kit, with the same spec, finds a real server on these settings conforming."""
    app = create_app(settings)
    state = app.state.mock
    creds = demo_credentials(settings, state.fixtures, prefix)
    with LiveServer(app, settings.port) as server:
        result = run_kit("--spec", str(settings.spec_path), "--base-url", server.url + prefix,
                         "--org-sid", creds["org_sid"], "--token", creds["admin_token"],
                         "--member-token", creds["member_token"], "--foreign-org-sid", creds["foreign_org_sid"],
                         "--foreign-token", creds["foreign_token"], "--allow-writes", "--max-writes", "3",
                         "--max-examples", "15", "--seed", "7")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def admin(creds: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Token {creds['admin_token']}"}


def backup_schema(document: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"]["Backup"]


# -- a new required property ---------------------------------------------------------------------

def add_required_retention(document: dict[str, Any]) -> None:
    schema = backup_schema(document)
    schema["properties"]["retention_days"] = {"type": "integer", "minimum": 1, "maximum": 3650, "default": 90,
                                              "description": "Days the backup is kept."}
    schema["required"].append("retention_days")
    document["components"]["examples"]["DocumentedBackup"]["value"]["retention_days"] = 90
    for example in document["paths"]["/organizations/backup/list/{level}/{sid}/{serializer}/"]["get"][
            "responses"]["200"]["content"]["application/json"]["examples"].values():
        for item in example["value"]["results"]:
            if "description" in item:
                item["retention_days"] = 30


def retention_in_fixtures(data: dict[str, Any]) -> None:
    for index, entry in enumerate(data["backups"]):
        entry["retention_days"] = 30 + index


def test_a_new_required_property_is_served_created_and_checked(tmp_path: Path) -> None:
    settings = mutate(tmp_path, add_required_retention, retention_in_fixtures)
    document = load(settings.spec_path)
    with serving(settings) as (client, creds):
        listed = client.get(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/list/",
                            headers=admin(creds)).json()
        assert all(isinstance(item["retention_days"], int) for item in listed["results"])
        named = client.get(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/name/",
                           headers=admin(creds)).json()
        assert all(set(item) == {"sid", "name"} for item in named["results"])
        created = client.post(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/detail/",
                              headers=admin(creds))
        assert created.status_code == 200 and created.json()["retention_days"] == 90  # its default
        validate_schema(resolve(backup_schema(document), document), created.json())
        detail = client.get(f"/v1/organizations/backup/detail/{created.json()['sid']}/", headers=admin(creds))
        assert detail.json() == created.json()
    # a fixture entry without it is refused, naming the entry and the field
    broken = mutate(tmp_path / "broken", add_required_retention,
                    lambda data: (retention_in_fixtures(data), data["backups"][2].pop("retention_days")))
    with pytest.raises(FixtureError, match=r"backups.yaml: entry 3 .*missing field 'retention_days'"):
        create_app(broken)
    kit_passes(settings)


# -- a new optional property ---------------------------------------------------------------------

def add_optional_region(document: dict[str, Any]) -> None:
    backup_schema(document)["properties"]["storage_region"] = {"type": "string", "enum": ["eu-west", "us-east"]}


def test_a_new_optional_property_is_shown_where_present_and_given_to_new_backups(tmp_path: Path) -> None:
    def some_regions(data: dict[str, Any]) -> None:
        for entry in data["backups"][::2]:
            entry["storage_region"] = "us-east"

    settings = mutate(tmp_path, add_optional_region, some_regions)
    with serving(settings) as (client, creds):
        listed = client.get(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/list/?page_size=100",
                            headers=admin(creds)).json()["results"]
        with_region = [item for item in listed if "storage_region" in item]
        assert with_region and len(with_region) < len(listed)
        assert {item["storage_region"] for item in with_region} == {"us-east"}
        created = client.post(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/list/",
                              headers=admin(creds)).json()
        assert created["storage_region"] == "eu-west"  # the first enum value
    kit_passes(settings)


def test_a_property_the_mock_cannot_fill_is_a_start_up_error_naming_it(tmp_path: Path) -> None:
    def add_patterned(document: dict[str, Any]) -> None:
        backup_schema(document)["properties"]["checksum"] = {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}

    settings = mutate(tmp_path, add_patterned)
    with pytest.raises(SpecError, match=r"cannot fill the backup property 'checksum'.*default.*example"):
        create_app(settings)
    # with an example it can
    settings = mutate(tmp_path / "fixed", lambda document: (add_patterned(document), backup_schema(document)[
        "properties"]["checksum"].update(examples=["sha256:" + "ab" * 32])))
    with serving(settings) as (client, creds):
        created = client.post(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/detail/",
                              headers=admin(creds)).json()
        assert created["checksum"] == "sha256:" + "ab" * 32


# -- a new serializer ------------------------------------------------------------------------------

def add_summary_serializer(document: dict[str, Any]) -> None:
    serializer = document["components"]["parameters"]["Serializer"]
    serializer["schema"]["enum"].append("summary")
    serializer["x-serializer-schemas"]["summary"] = "#/components/schemas/BackupSummary"
    schemas = document["components"]["schemas"]
    schemas["BackupSummary"] = {
        "type": "object", "additionalProperties": False, "required": ["sid", "database_size"],
        "properties": {"sid": {"$ref": "#/components/schemas/Sid"},
                       "database_size": {"$ref": "#/components/schemas/Backup/properties/database_size"},
                       "date_created": {"$ref": "#/components/schemas/Backup/properties/date_created"}},
    }
    schemas["BackupPage"]["properties"]["results"]["items"]["oneOf"].append(
        {"$ref": "#/components/schemas/BackupSummary"})


def test_a_new_serializer_is_served_with_its_own_fields(tmp_path: Path) -> None:
    settings = mutate(tmp_path, add_summary_serializer)
    with serving(settings) as (client, creds):
        page = client.get(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/summary/",
                          headers=admin(creds))
        assert page.status_code == 200
        assert all(list(item) == ["sid", "database_size", "date_created"] for item in page.json()["results"])
        assert client.get(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/full/",
                          headers=admin(creds)).status_code == 406
    kit_passes(settings)


def test_a_serializer_only_in_the_mapping_stops_the_mock(tmp_path: Path) -> None:
    def mapping_only(document: dict[str, Any]) -> None:
        add_summary_serializer(document)
        document["components"]["parameters"]["Serializer"]["schema"]["enum"].remove("summary")

    settings = mutate(tmp_path, mapping_only)
    with pytest.raises(SpecError, match=r"openapi.yaml#/components/parameters/Serializer: the serializer enum and "
                                        r"x-serializer-schemas differ \(only in x-serializer-schemas: summary\)"):
        create_app(settings)


# -- prefixes and parameter names ----------------------------------------------------------------

def test_a_new_servers_prefix_is_served_and_the_old_one_is_gone(tmp_path: Path) -> None:
    def v2(document: dict[str, Any]) -> None:
        for server in document["servers"]:
            server["url"] = server["url"].replace("/v1", "/api/v2")

    settings = mutate(tmp_path, v2)
    with serving(settings) as (client, creds):
        assert creds["base_url"].endswith("/api/v2")
        path = f"/organizations/backup/list/organization/{creds['org_sid']}/list/"
        for prefix in ("/api/v2", ""):
            answer = client.get(prefix + path, headers=admin(creds))
            assert answer.status_code == 200 and answer.json()["count"] == 32
        assert client.get("/v1" + path, headers=admin(creds)).status_code == 404
        second = client.get("/api/v2" + path + "?page=2", headers=admin(creds)).json()
        assert second["previous"] == "http://testserver/api/v2" + path
    kit_passes(settings, prefix="/api/v2")


def rename_parameters(document: dict[str, Any]) -> None:
    paths = document["paths"]
    document["components"]["parameters"]["OrganizationSid"]["name"] = "organization_sid"
    paths["/organizations/backup/list/{level}/{organization_sid}/{serializer}/"] = paths.pop(
        "/organizations/backup/list/{level}/{sid}/{serializer}/")
    detail = paths.pop("/organizations/backup/detail/{sid}/")
    detail["parameters"][0]["name"] = "backup_sid"
    paths["/organizations/backup/detail/{backup_sid}/"] = detail
    for response in ("200", "201"):
        link = paths["/organizations/backup/list/{level}/{organization_sid}/{serializer}/"]["post"]["responses"][
            response]["links"]["GetCreatedBackup"]
        assert link == {"$ref": "#/components/links/GetCreatedBackup"}
    document["components"]["links"]["GetCreatedBackup"]["parameters"] = {"backup_sid": "$response.body#/sid"}


def test_renamed_path_parameters_are_found_by_their_role(tmp_path: Path) -> None:
    settings = mutate(tmp_path, rename_parameters)
    with serving(settings) as (client, creds):
        page = client.get(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/list/",
                          headers=admin(creds))
        assert page.status_code == 200 and page.json()["count"] == 32
        sid = page.json()["results"][0]["sid"]
        assert client.get(f"/v1/organizations/backup/detail/{sid}/", headers=admin(creds)).json()["sid"] == sid
        assert client.get(f"/v1/organizations/backup/list/organization/{creds['foreign_org_sid']}/list/",
                          headers=admin(creds)).status_code == 406
    kit_passes(settings)


# -- a new operation ---------------------------------------------------------------------------------

def add_download(document: dict[str, Any]) -> None:
    document["paths"]["/organizations/backup/detail/{sid}/download/"] = {
        "parameters": [{"name": "sid", "in": "path", "required": True, "x-role": "backup",
                        "schema": {"$ref": "#/components/schemas/Sid"}}],
        "get": {
            "operationId": "downloadBackup",
            "summary": "Where to download a backup",
            "x-allowed-roles": ["Admin"],
            "responses": {
                "200": {"description": "A download link.", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["url"], "additionalProperties": False,
                               "properties": {"url": {"type": "string", "format": "uri"}}},
                    "examples": {"link": {"value": {"url": "https://files.labii.com/backups/b.gz"}}}}}},
                "401": {"$ref": "#/components/responses/NotAuthenticated"},
                "403": {"$ref": "#/components/responses/PermissionDenied"},
                "406": {"$ref": "#/components/responses/NotAcceptableDetail"},
            },
        },
    }


def test_a_new_operation_is_answered_from_its_examples_with_its_security(tmp_path: Path) -> None:
    settings = mutate(tmp_path, add_download)
    with serving(settings) as (client, creds):
        listed = client.get(f"/v1/organizations/backup/list/organization/{creds['org_sid']}/list/",
                            headers=admin(creds)).json()
        path = f"/v1/organizations/backup/detail/{listed['results'][0]['sid']}/download/"
        answer = client.get(path, headers=admin(creds))
        assert answer.status_code == 200 and answer.json() == {"url": "https://files.labii.com/backups/b.gz"}
        refused = client.get(path)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Token"
        assert refused.json() == {"detail": "Authentication credentials were not provided."}
        member = client.get(path, headers={"Authorization": f"Token {creds['member_token']}"})
        assert member.status_code == 403
        assert client.get("/v1/organizations/backup/detail/zzzz0a40xNoSuchOne/download/",
                          headers=admin(creds)).status_code == 406
        forced = client.get(path, headers={"Prefer": "code=403"})
        assert forced.status_code == 403 and forced.headers["preference-applied"] == \
            "code=403, example=permissionDenied"
        assert client.delete(path, headers=admin(creds)).headers["allow"] == "GET, HEAD, OPTIONS"
    result = subprocess.run([sys.executable, "-m", "mockserver", "--spec", str(settings.spec_path), "--fixtures",
                             str(settings.fixtures_dir), "--port", "1", "credentials"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    kit_passes(settings)


# -- an inconsistent spec: one line, exit 2 ------------------------------------------------------------

INCONSISTENT: list[tuple[str, Edit, str]] = [
    ("unknown $ref", lambda d: d["components"]["responses"]["NotAuthenticated"]["content"]["application/json"][
        "schema"].update({"$ref": "#/components/schemas/Nope"}),
     r"openapi.yaml#/components/responses/NotAuthenticated/content/application~1json/schema: unresolvable "
     r"\$ref #/components/schemas/Nope"),
    ("an example its schema refuses", lambda d: d["components"]["examples"]["DocumentedBackup"]["value"].update(
        database_size="47MB"),
     r"openapi.yaml#/paths/~1organizations~1backup~1list~1\{level\}~1\{sid\}~1\{serializer\}~1/post/responses/200/"
     r"content/application~1json/examples/documented: the example does not match its schema: database_size"),
    ("no page-size default", lambda d: d["components"]["parameters"]["PageSize"]["schema"].pop("default"),
     r"openapi.yaml#/components/parameters/PageSize/schema/default: the page-size parameter needs a whole number"),
    ("no page-size cap", lambda d: d["components"]["parameters"]["PageSize"].pop("x-max-page-size"),
     r"openapi.yaml#/components/parameters/PageSize/x-max-page-size: the page-size parameter needs a whole number"),
    ("a cap below the default", lambda d: d["components"]["parameters"]["PageSize"].update({"x-max-page-size": 5}),
     r"default 10 is above x-max-page-size 5"),
    ("a path shadowing the mock", lambda d: d["paths"].update(
        {"/__mock/reset": {"post": {"operationId": "evil", "responses": {"200": {"description": "ok"}}}}}),
     r"openapi.yaml#/paths/~1__mock~1reset/post: evil \(/__mock/reset\) would hide the mock's /__mock"),
    ("an undeclared path parameter", lambda d: d["paths"].update(
        {"/organizations/backup/{kind}/": {"get": {"operationId": "kinds",
                                                   "responses": {"200": {"description": "ok"}}}}}),
     r"openapi.yaml#/paths/~1organizations~1backup~1\{kind\}~1/get: path parameters and .* disagree \(not declared: "
     r"kind\)"),
    ("a list without its organization", lambda d: d["components"]["parameters"]["OrganizationSid"].pop("x-role"),
     r"x-role list needs a parameter with x-role organization"),
    ("an unknown role", lambda d: d["paths"]["/organizations/backup/detail/{sid}/"]["get"].update(
        {"x-role": "destroy"}),
     r"openapi.yaml#/paths/~1organizations~1backup~1detail~1\{sid\}~1/get/x-role: 'destroy' is not one of"),
    ("examples are checked before answers", lambda d: d["components"]["schemas"]["BackupPage"]["properties"][
        "add_permission"].update(const=False),
     r"examples/documented: the example does not match its schema: add_permission: false was expected"),
    ("paths not a mapping", lambda d: d.update(paths=["/a"]),
     r"openapi.yaml#/paths: not an OpenAPI document: expected a mapping of paths"),
]


@pytest.mark.parametrize("what, edit, message", INCONSISTENT, ids=[case[0] for case in INCONSISTENT])
def test_an_inconsistent_spec_is_refused_at_start_with_one_line(tmp_path: Path, what: str, edit: Edit,
                                                                message: str) -> None:
    settings = mutate(tmp_path, edit)
    with pytest.raises(SpecError, match=message):
        create_app(settings)


def test_the_command_line_says_it_in_one_line_and_exits_2(tmp_path: Path) -> None:
    settings = mutate(tmp_path, INCONSISTENT[0][1])
    result = subprocess.run([sys.executable, "-m", "mockserver", "--spec", str(settings.spec_path), "--no-watch"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backup-mock: ") and "#/components/responses" in lines[0]
    assert "Traceback" not in result.stderr


def test_credentials_follow_the_global_port() -> None:
    for args in (["--port", "4110", "credentials", "--json"], ["credentials", "--port", "4110", "--json"]):
        result = subprocess.run([sys.executable, "-m", "mockserver", *args], cwd=ROOT, capture_output=True,
                                text=True, timeout=60)
        assert json.loads(result.stdout)["base_url"] == "http://127.0.0.1:4110/v1", args
    result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "99999"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a port number from 1 to 65535" in result.stderr


def test_answers_that_would_break_the_spec_stop_the_mock_at_start() -> None:
    """The start-up check renders a new backup in every view and a page of it, and validates them."""
    model = load_model(Spec.load(SPEC))
    shape = RecordShape(model)
    serializers = Serializers(model, shape)
    good = shape.make("org", {"sid": "abc0a40xAbCdEfGhIj", "name": "20260101030000.gz",
                              "description": "Data backup on 20260101030000", "database_size": "1.0 MB",
                              "date_created": "2026-01-01T03:00:00.000000Z", "change_permission": False})
    serializers.verify(good, "openapi.yaml")
    bad = shape.make("org", {**shape.as_dict(good), "database_size": "a lot"})
    with pytest.raises(SpecError, match=r"openapi.yaml: the mock's serializer list answer would not follow the spec "
                                        r"\(database_size: "):
        serializers.verify(bad, "openapi.yaml")


# -- the page's own keys ---------------------------------------------------------------------------

LIST_PATH = "/organizations/backup/list/{level}/{sid}/{serializer}/"


def reshape_page(document: dict[str, Any]) -> None:
    """The page's keys in another order (`previous` before `next`), `add_permission` gone, a new key."""
    page = document["components"]["schemas"]["BackupPage"]
    properties = page["properties"]
    del properties["add_permission"]
    page["required"].remove("add_permission")
    order = ["results", "count", "previous", "api_revision", "next", "page_count", "page_number", "page_size"]
    properties["api_revision"] = {"type": "string", "default": "2026-12"}
    page["properties"] = {name: properties[name] for name in order}
    for example in document["paths"][LIST_PATH]["get"]["responses"]["200"]["content"]["application/json"][
            "examples"].values():
        example["value"].pop("add_permission", None)


def test_the_page_keys_follow_the_spec_order_and_set(tmp_path: Path) -> None:
    settings = mutate(tmp_path, reshape_page)
    with serving(settings) as (client, creds):
        url = f"/v1/organizations/backup/list/organization/{creds['org_sid']}/list/?page=2&page_size=5"
        for _ in range(3):  # the third answer comes from the page cache: the same bytes
            answer = client.get(url, headers=admin(creds))
            assert answer.status_code == 200
            page = answer.json()
            assert list(page) == ["results", "count", "previous", "api_revision", "next", "page_count",
                                  "page_number", "page_size"]
            assert (page["count"], page["page_number"], page["page_size"], page["api_revision"]) == \
                (32, 2, 5, "2026-12")
            assert page["page_count"] == 7 and len(page["results"]) == 5
            assert page["next"].endswith("?page=3&page_size=5") and page["previous"].endswith("?page_size=5")
    kit_passes(settings)


@pytest.mark.parametrize("keys", [["results"], ["next", "results"], ["count"]], ids=["results", "two", "count"])
def test_a_page_with_one_or_two_computed_keys_renders(keys: list[str]) -> None:
    """The page template takes its computed values by position: one value alone, or a few, each in its
    place (the start-up check validates a page, so a wrong one could not start)."""
    document = load(SPEC)
    page = document["components"]["schemas"]["BackupPage"]
    kept = {name: page["properties"][name] for name in keys}
    if "results" not in kept:
        kept["results"] = page["properties"]["results"]  # a page needs its one array
        keys = [*keys, "results"]
    page["properties"] = kept
    page["required"] = keys
    for example in document["paths"][LIST_PATH]["get"]["responses"]["200"]["content"]["application/json"][
            "examples"].values():
        example["value"] = {name: value for name, value in example["value"].items() if name in keys}
    model = load_model(Spec(document))
    serializers = Serializers(model, RecordShape(model))
    rendered = serializers.page_bytes(5, 2, 7, 32, "http://x/?page=3", None, True, [b'{"sid":"a"}', b'{"sid":"b"}'])
    expected = {"results": [{"sid": "a"}, {"sid": "b"}], "next": "http://x/?page=3", "count": 32}
    assert json.loads(rendered) == {name: expected[name] for name in keys}
    assert list(json.loads(rendered)) == keys
