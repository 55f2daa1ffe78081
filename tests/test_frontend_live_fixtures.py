"""Live fixtures (reload on edit, previous state kept on a bad edit) and `--state FILE` persistence."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.cli import demo_credentials
from mockserver.data.fixtures import DEFAULT_FIXTURES_DIR
from mockserver.exceptions import FixtureError, StateError
from mockserver.settings import Settings
from tests.frontend_server import running
from tests.urls import detail_url, list_url

pytestmark = pytest.mark.integration

NEW_TOKEN = "0123456789abcdef0123456789abcdef01234567"
NEW_USER = f"""
  - name: Nora New
    token: {NEW_TOKEN}
    memberships:
      - organization: wqtz0a40x4kDmRb8Hs
        role: Admin
"""
NEW_BACKUP = """
  - organization: wqtz0a40x4kDmRb8Hs
    sid: newb0a40xAbCdEfGhIj
    name: "20261120031600.gz"
    description: Data backup on 20261120031600
    database_size: 1.2 MB
    date_created: "2026-11-20T03:16:41.000000Z"
    change_permission: false
"""
BAD_BACKUP = NEW_BACKUP.replace("1.2 MB", "1.2MB")


@pytest.fixture
def fixtures_dir(tmp_path: Path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(DEFAULT_FIXTURES_DIR, target)
    return target


def eventually(check, what: str, touch=None, timeout: float = 15.0):
    """Wait until check() is true; `touch` is redone every second (the watcher may start late)."""
    deadline, next_touch = time.monotonic() + timeout, time.monotonic() + 1
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if touch is not None and time.monotonic() > next_touch:
            touch()
            next_touch = time.monotonic() + 1
        time.sleep(0.05)


def test_editing_a_fixture_reloads_it_and_a_bad_edit_keeps_the_previous(fixtures_dir: Path, capsys):
    users, backups = fixtures_dir / "users.yaml", fixtures_dir / "backups.yaml"
    original_users, original_backups = users.read_text(), backups.read_text()
    with running(Settings(fixtures_dir=fixtures_dir, watch_fixtures=True)) as mock:
        empty = mock.creds["empty_org_sid"]
        new_admin = {"Authorization": f"Token {NEW_TOKEN}"}
        created = mock.request("POST", list_url(mock.creds["org_sid"], "detail"), mock.admin()).json()
        assert mock.request("GET", list_url(empty), new_admin).status_code == 401

        def edit() -> None:
            users.write_text(original_users + NEW_USER)
            backups.write_text(original_backups + NEW_BACKUP)

        edit()
        eventually(lambda: mock.request("GET", list_url(empty), new_admin).status_code == 200
                   and mock.request("GET", list_url(empty), new_admin).json()["count"] == 1, "the reload", edit)
        assert "fixtures reloaded from" in capsys.readouterr().out
        # the backup created before the reload is still there
        assert mock.request("GET", detail_url(created["sid"]), mock.admin()).json() == created
        assert mock.app.state.mock.fixtures.users[-1].name == "Nora New"

        backups.write_text(original_backups + BAD_BACKUP)
        seen: list[str] = []

        def reported() -> bool:
            seen.append(capsys.readouterr().err)
            return "fixtures NOT reloaded" in "".join(seen)

        eventually(reported, "the error message", lambda: backups.write_text(original_backups + BAD_BACKUP + "\n"))
        message = "".join(seen)
        entry = original_backups.count("- organization:") + 1
        assert f"backups.yaml: entry {entry} (sid 'newb0a40xAbCdEfGhIj')" in message and "1.2MB" in message
        assert mock.request("GET", list_url(empty), new_admin).json()["count"] == 1  # still the previous fixtures

        assert mock.request("POST", "/__mock/reset").status_code == 200  # back to the fixtures last loaded
        assert mock.request("GET", detail_url(created["sid"]), mock.admin()).status_code == 406
        assert mock.request("GET", list_url(empty), new_admin).json()["count"] == 1

        def fix() -> None:  # a valid set again, without the new user
            users.write_text(original_users)
            backups.write_text(original_backups)

        fix()
        eventually(lambda: mock.request("GET", list_url(empty), new_admin).status_code == 401, "the user's removal",
                   fix)
        empty_admin = {"Authorization": f"Token {mock.creds['empty_token']}"}
        assert mock.request("GET", list_url(empty), empty_admin).json()["count"] == 0


def saved(path: Path) -> list[dict]:
    """The state database's backups, read as any SQLite tool would, oldest first per organization."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT organization, record FROM backups ORDER BY organization, pos").fetchall()
    return [{"organization": organization, **json.loads(record)} for organization, record in rows]


GOOD = {"organization": "ehkn0a40x1glqvAFKP", "sid": "keep0a40xAbCdEfGhIj", "name": "20261125031600.gz",
        "description": "Data backup on 20261125031600", "database_size": "50.1 MB",
        "date_created": "2026-11-25T03:16:41.000000Z", "change_permission": False}


def test_state_file_keeps_created_backups_across_restarts(tmp_path: Path):
    state = tmp_path / "state.db"
    with running(Settings(state_path=state)) as mock:
        org = mock.creds["org_sid"]
        count = mock.request("GET", list_url(org), mock.admin()).json()["count"]
        created = [mock.request("POST", list_url(org, "detail"), mock.admin()).json() for _ in range(2)]
        assert [entry["sid"] for entry in saved(state)] == [backup["sid"] for backup in created]  # while running
        assert saved(state)[0] == {"organization": org, **created[0]}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state.db"]  # no log or temporary file left

    with running(Settings(state_path=state)) as mock:
        assert mock.app.state.mock.restored == 2
        page = mock.request("GET", list_url(org), mock.admin()).json()
        assert page["count"] == count + 2 and page["results"][:2] == created[::-1]
        assert mock.request("GET", detail_url(created[0]["sid"]), mock.admin()).json() == created[0]
        mock.request("POST", "/__mock/reset")
        assert saved(state) == []


def test_an_old_json_state_file_is_moved_into_the_database(tmp_path: Path, capsys):
    state = tmp_path / "state.json"
    older = {**GOOD, "sid": "oldr0a40xAbCdEfGhIj", "name": "20261124031600.gz",
             "description": "Data backup on 20261124031600", "date_created": "2026-11-24T03:16:41Z"}
    state.write_text(json.dumps({"format": "labii-backup-mock/state", "version": 1, "backups": [GOOD, older]}))
    app = create_app(Settings(state_path=state))
    assert app.state.mock.restored == 2
    assert "2 backup(s) moved from the old JSON state file" in capsys.readouterr().err
    assert [entry["sid"] for entry in saved(state)] == ["oldr0a40xAbCdEfGhIj", "keep0a40xAbCdEfGhIj"]  # date order
    assert json.loads((tmp_path / "state.json.json-migrated").read_text())["backups"][0] == GOOD
    store = app.state.mock.store
    assert [entry.backup.sid for entry in store.slice("ehkn0a40x1glqvAFKP", 0, 2)] == [
        "keep0a40xAbCdEfGhIj", "oldr0a40xAbCdEfGhIj"]


def test_backups_of_organizations_the_fixtures_lack_are_kept_not_served(tmp_path: Path, capsys):
    state = tmp_path / "state.db"
    gone = {**GOOD, "organization": "gone0a40x1glqvAFKP", "sid": "gone0a40xAbCdEfGhIj"}
    (tmp_path / "old.json").write_text(json.dumps({"format": "labii-backup-mock/state", "backups": [GOOD, gone]}))
    (tmp_path / "old.json").rename(state)
    with running(Settings(state_path=state)) as mock:
        assert "1 created backup(s) of organization 'gone0a40x1glqvAFKP'" in capsys.readouterr().err
        assert mock.request("GET", detail_url("keep0a40xAbCdEfGhIj"), mock.admin()).status_code == 200
        assert mock.request("GET", detail_url("gone0a40xAbCdEfGhIj"), mock.admin()).status_code == 406
    assert {entry["sid"] for entry in saved(state)} == {"keep0a40xAbCdEfGhIj", "gone0a40xAbCdEfGhIj"}


def _database_with(tmp_path: Path, record: str) -> Path:
    state = tmp_path / "state.db"
    with running(Settings(state_path=state)) as mock:
        mock.request("POST", list_url(mock.creds["org_sid"], "detail"), mock.admin())
    with contextlib.closing(sqlite3.connect(state)) as db:
        db.execute("UPDATE backups SET record = ?", (record,))
        db.commit()
    return state


@pytest.mark.parametrize("content, message", [
    ("{not json", "neither a state database nor a JSON state file"),
    ('{"backups": []}', "not a state file of this mock"),
    (json.dumps({"format": "labii-backup-mock/state", "backups": [{"organization": "ehkn0a40x1glqvAFKP", "sid": "x"}]}),
     "entry 1"),
])
def test_a_bad_state_file_stops_the_mock_with_its_name(tmp_path: Path, content: str, message: str):
    state = tmp_path / "state.json"
    state.write_text(content)
    with pytest.raises(StateError, match=message) as error:
        create_app(Settings(state_path=state))
    assert str(state) in str(error.value)


@pytest.mark.parametrize("record, message", [
    ("{", "its record is not JSON"),
    ("[1, 2]", "its record is not a JSON object"),
    (json.dumps({**{k: v for k, v in GOOD.items() if k != "organization"}, "database_size": "9" * 400 + " TB"}),
     "larger than a million TB"),
    (json.dumps({**{k: v for k, v in GOOD.items() if k != "organization"}, "name": ["x"]}), "backup.name"),
])
def test_a_hand_edited_state_database_is_refused_in_one_line(tmp_path: Path, record: str, message: str):
    state = _database_with(tmp_path, record)
    with pytest.raises(StateError, match=message) as error:
        create_app(Settings(state_path=state))
    assert str(state) in str(error.value) and "\n" not in str(error.value)


def test_an_unwritable_state_file_stops_the_mock(tmp_path: Path):
    with pytest.raises(StateError, match="cannot open or create the state file"):
        create_app(Settings(state_path=tmp_path / "missing-folder" / "state.json"))


def test_the_watcher_survives_any_bad_edit_and_keeps_watching(fixtures_dir: Path, capsys):
    users, backups = fixtures_dir / "users.yaml", fixtures_dir / "backups.yaml"
    original_backups = backups.read_text()
    with running(Settings(fixtures_dir=fixtures_dir, watch_fixtures=True)) as mock:
        org, token = mock.creds["org_sid"], mock.creds["admin_token"]
        # an unhashable organization, non-UTF-8 bytes, a YAML bomb of nesting: each refused, none fatal
        for bad in ("backups:\n  - organization: [x]\n    sid: [y]\n", b"backups: \xff\xfe\n", "[" * 5000):
            def write(content=bad) -> None:
                backups.write_bytes(content if isinstance(content, bytes) else content.encode())

            write()
            eventually(lambda: "fixtures NOT reloaded" in capsys.readouterr().err, "the refusal", write)
            assert mock.request("GET", list_url(org), mock.admin()).status_code == 200
        backups.write_text(original_backups)
        # the watcher still works: a new token for the admin is taken, the old one refused
        new_token = "f" * 40

        def rotate() -> None:
            users.write_text(users.read_text().replace(token, new_token))

        rotate()
        eventually(lambda: mock.request("GET", list_url(org), {"Authorization": f"Token {new_token}"}).status_code
                   == 200, "the new token", rotate)
        assert mock.request("GET", list_url(org), {"Authorization": f"Token {token}"}).status_code == 401


def test_sizes_cannot_overflow_whatever_the_newest_backup_says(fixtures_dir: Path):
    backups = fixtures_dir / "backups.yaml"
    backups.write_text(re.sub(r"database_size: .*", "database_size: 999999.9 TB", backups.read_text()))
    app = create_app(Settings(fixtures_dir=fixtures_dir))
    with TestClient(app) as client:
        creds = demo_credentials(app.state.mock.settings, app.state.mock.fixtures, "/v1")
        headers = {"Authorization": f"Token {creds['admin_token']}"}
        sizes = [client.post(list_url(creds["org_sid"], "detail"), headers=headers).json()["database_size"]
                 for _ in range(3)]
        assert sizes == ["1000000.0 TB"] * 3  # at the cap, still a size the spec's pattern allows
        assert client.get(list_url(creds["org_sid"]), headers=headers).status_code == 200


def test_an_absurd_size_in_the_fixtures_is_refused_in_one_line(fixtures_dir: Path):
    backups = fixtures_dir / "backups.yaml"
    backups.write_text(backups.read_text().replace("database_size: 38.7 MB", "database_size: " + "9" * 320 + " TB", 1))
    with pytest.raises(FixtureError, match=r"backups.yaml: entry 1 .*database_size: .* larger than a million TB"):
        create_app(Settings(fixtures_dir=fixtures_dir))


def test_leftover_temporary_files_of_an_old_state_writer_are_removed(tmp_path: Path):
    state = tmp_path / "state.json"
    leftover = tmp_path / ".state.json.abc123.tmp"
    leftover.write_text("{partial")
    create_app(Settings(state_path=state))
    assert not leftover.exists()
