"""Fixture checking: a bad file stops the server with a message naming the file and entry."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mockserver.data.fixtures import DEFAULT_FIXTURES_DIR, load_fixtures
from mockserver.data.models import ADMIN, MEMBER
from mockserver.data.records import shape_of
from mockserver.exceptions import FixtureError
from mockserver.spec.document import Spec
from tests.spec_validation import resolve, spec_document, validate_schema

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(DEFAULT_FIXTURES_DIR, target)
    return target


def edit(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_default_fixtures_cover_the_demo_cases():
    fixtures = load_fixtures(DEFAULT_FIXTURES_DIR, shape_of(Spec.load()))
    primary = fixtures.demo_organization("primary")
    foreign = fixtures.demo_organization("foreign")
    empty = fixtures.demo_organization("empty")
    assert primary and foreign and empty
    per_org = {sid: sum(b.organization == sid for b in fixtures.backups) for sid in fixtures.organizations}
    assert per_org[primary.sid] >= 25
    assert 0 < per_org[foreign.sid] < 10
    assert per_org[empty.sid] == 0
    assert fixtures.first_user(primary.sid, ADMIN) and fixtures.first_user(primary.sid, MEMBER)
    assert fixtures.first_user(foreign.sid, ADMIN) and fixtures.first_user(empty.sid, ADMIN)


def test_default_fixture_backups_validate_with_a_full_json_schema_validator():
    schema = resolve(spec_document()["components"]["schemas"]["Backup"])
    for raw in yaml.safe_load((DEFAULT_FIXTURES_DIR / "backups.yaml").read_text())["backups"]:
        validate_schema(schema, {k: v for k, v in raw.items() if k != "organization"})


BAD_BACKUPS = [
    (lambda b: b.update(name="2018-08-03.gz"), "does not match"),
    (lambda b: b.update(description="Backup of today"), "does not match"),
    (lambda b: b.update(database_size="47MB"), "does not match"),
    (lambda b: b.update(date_created="yesterday"), "date_created"),
    (lambda b: b.update(change_permission="no"), "not of type boolean"),
    (lambda b: b.update(change_permission=True), "change_permission must be false"),
    (lambda b: b.update(organization="nowhere"), "unknown organization"),
    (lambda b: b.update(extra=1), "unexpected field 'extra'"),
    (lambda b: b.pop("database_size"), "missing field 'database_size'"),
    (lambda b: b.update(description="Data backup on 19990101000000"), "same time stamp"),
    (lambda b: b.update(sid="has space"), "does not match"),
]


@pytest.mark.parametrize("change, message", BAD_BACKUPS)
def test_bad_backup_entries_are_named(fixture_dir, change, message):
    edit(fixture_dir / "backups.yaml", lambda doc: change(doc["backups"][4]))
    with pytest.raises(FixtureError) as error:
        load_fixtures(fixture_dir, shape_of(Spec.load()))
    text = str(error.value)
    assert "backups.yaml: entry 5" in text and message in text


def test_unquoted_date_is_refused_with_a_hint_of_the_type(fixture_dir):
    path = fixture_dir / "backups.yaml"
    text = path.read_text()
    quoted = 'date_created: "2024-09-03T03:16:43.677244Z"'
    path.write_text(text.replace(quoted, "date_created: 2024-09-03T03:16:43.677244Z"))
    message = "entry 1 .*date_created: 2024-09-03T03:16:43.677244.* was read as a YAML date, not a string: quote it"
    with pytest.raises(FixtureError, match=message):
        load_fixtures(fixture_dir, shape_of(Spec.load()))


def test_duplicate_backup_sid(fixture_dir):
    edit(fixture_dir / "backups.yaml", lambda doc: doc["backups"][3].update(sid=doc["backups"][0]["sid"]))
    with pytest.raises(FixtureError, match="entry 4 .*duplicate sid"):
        load_fixtures(fixture_dir, shape_of(Spec.load()))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["users"][1].update(token="two words"), "entry 2 .*printable ASCII"),
        (lambda d: d["users"][1].update(token=d["users"][0]["token"]), "entry 2 .*used by another user"),
        (lambda d: d["users"][0]["memberships"][0].update(role="Owner"), "entry 1 .*role must be one of"),
        (lambda d: d["users"][0]["memberships"][0].update(organization="x"), "entry 1 .*unknown organization"),
        (lambda d: d["users"][0].pop("token"), "entry 1 .*expected keys"),
    ],
)
def test_bad_users_are_named(fixture_dir, change, message):
    edit(fixture_dir / "users.yaml", change)
    with pytest.raises(FixtureError, match=f"users.yaml: {message}"):
        load_fixtures(fixture_dir, shape_of(Spec.load()))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["organizations"][1].update(sid=d["organizations"][0]["sid"]), "entry 2 .*duplicate sid"),
        (lambda d: d["organizations"][1].update(demo="primary"), "entry 2 .*already demo"),
        (lambda d: d["organizations"][0].update(sid="a/b"), "entry 1 .*does not match"),
    ],
)
def test_bad_organizations_are_named(fixture_dir, change, message):
    edit(fixture_dir / "organizations.yaml", change)
    with pytest.raises(FixtureError, match=f"organizations.yaml: {message}"):
        load_fixtures(fixture_dir, shape_of(Spec.load()))


def test_missing_and_malformed_files(fixture_dir):
    (fixture_dir / "users.yaml").unlink()
    with pytest.raises(FixtureError, match="users.yaml: file not found"):
        load_fixtures(fixture_dir, shape_of(Spec.load()))
    (fixture_dir / "users.yaml").write_text("users: [unclosed")
    with pytest.raises(FixtureError, match="users.yaml: not valid YAML"):
        load_fixtures(fixture_dir, shape_of(Spec.load()))
    (fixture_dir / "users.yaml").write_text("!!python/object:os.system {}\n")
    with pytest.raises(FixtureError, match="users.yaml: not valid YAML"):
        load_fixtures(fixture_dir, shape_of(Spec.load()))


def test_the_server_refuses_to_start_on_bad_fixtures(fixture_dir):
    edit(fixture_dir / "backups.yaml", lambda doc: doc["backups"][2].update(database_size="big"))
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "--port", "1", "--fixtures", str(fixture_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "backups.yaml: entry 3" in result.stderr and "database_size" in result.stderr
