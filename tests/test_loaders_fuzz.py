"""No fixture or state file, however wrong, makes a loader fail with anything but a one-line error.

Hypothesis writes documents of every shape (values of any type where entries belong, lists,
maps, nulls, huge numbers, deep nesting, YAML dates and sets, bytes that are not UTF-8) into
the three fixture files and into state files (the old JSON format and the SQLite database);
the loaders must accept them or refuse them with a FixtureError or StateError of one line
that names the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.data.fixtures import DEFAULT_FIXTURES_DIR, load_fixtures
from mockserver.data.records import RecordShape
from mockserver.data.serializers import Serializers
from mockserver.exceptions import FixtureError, StateError
from mockserver.spec import Spec, load_model
from mockserver.store.created import CreatedBackups
from mockserver.store.database import Database

MODEL = load_model(Spec.load())
SHAPE = RecordShape(MODEL)
SERIALIZERS = Serializers(MODEL, SHAPE)
FILES = ("organizations.yaml", "users.yaml", "backups.yaml")
VALID = {name: yaml.safe_load((DEFAULT_FIXTURES_DIR / name).read_text()) for name in FILES}
SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.just(10**400), st.just(-(10**30)),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["ehkn0a40x1glqvAFKP", "Admin", "Member", "47.0 MB", "9" * 320 + " TB", "2026-01-01T00:00:00Z",
                     "20260101000000.gz", "\x1b[31m", "a\nb", ""]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.one_of(st.text(max_size=12), st.sampled_from(["sid", "name", "organization", "token", "memberships", "role",
                                                     "demo", "database_size", "date_created"])),
    inner, max_size=5), max_leaves=12)
yaml_only = st.sampled_from(["2026-01-01", "2026-01-01T00:00:00Z", "!!set {a, b}", "!!binary aGVsbG8=", "[[[[[[[[",
                             "{a: 1, a: 2}", "? [1, 2]\n: x", "&a [*a]", "- !!python/object:os.system x"])


def _mutate(document: Any, path: list[Any], value: Any) -> Any:
    """The document with the node at `path` (as far as it exists) replaced by `value`."""
    if not path:
        return value
    if isinstance(document, dict) and document:
        key = list(document)[path[0] % len(document)]
        return {**document, key: _mutate(document[key], path[1:], value)}
    if isinstance(document, list) and document:
        index = path[0] % len(document)
        return [*document[:index], _mutate(document[index], path[1:], value), *document[index + 1:]]
    return value


@settings(max_examples=int(os.environ.get("LOADER_FUZZ_EXAMPLES", "120")), deadline=None, suppress_health_check=SLOW)
@given(name=st.sampled_from(FILES), path=st.lists(st.integers(0, 40), max_size=4), value=values,
       raw=st.one_of(st.none(), yaml_only, st.binary(max_size=40)))
def test_any_fixture_file_loads_or_is_refused_in_one_line(tmp_path: Path, name: str, path: list[int], value: Any,
                                                         raw: str | bytes | None) -> None:
    folder = tmp_path / "fixtures"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(DEFAULT_FIXTURES_DIR, folder)
    target = folder / name
    if isinstance(raw, bytes):
        target.write_bytes(raw)
    elif isinstance(raw, str):
        target.write_text(raw)
    else:
        target.write_text(yaml.safe_dump(_mutate(VALID[name], path, value), allow_unicode=True))
    try:
        load_fixtures(folder, SHAPE)
    except FixtureError as exc:
        message = str(exc)
        assert "\n" not in message and str(folder) in message and len(message) < 3000, message


@settings(max_examples=int(os.environ.get("LOADER_FUZZ_EXAMPLES", "80")), deadline=None, suppress_health_check=SLOW)
@given(document=st.one_of(values, st.builds(lambda backups: {"format": "labii-backup-mock/state", "backups": backups},
                                            st.lists(values, max_size=4))))
def test_any_old_json_state_file_is_migrated_or_refused_in_one_line(tmp_path: Path, document: Any) -> None:
    state = tmp_path / "state.json"
    with contextlib.suppress(FileNotFoundError):
        state.unlink()
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    state.write_text(json.dumps(document))
    _restore_or_refuse(state)


@settings(max_examples=int(os.environ.get("LOADER_FUZZ_EXAMPLES", "80")), deadline=None, suppress_health_check=SLOW)
@given(record=st.one_of(values.map(json.dumps), st.text(max_size=40)), organization=st.text(max_size=20),
       pos=st.integers(-5, 5))
def test_any_hand_edited_state_database_is_restored_or_refused_in_one_line(tmp_path: Path, record: str,
                                                                           organization: str, pos: int) -> None:
    state = tmp_path / "state.db"
    with contextlib.suppress(FileNotFoundError):
        state.unlink()
    database = Database(state)
    database.execute("INSERT INTO backups VALUES (?, ?, ?, ?, ?, ?)",
                     (organization, pos, "sid0a40xAbCdEfGhIj", "2026", 0, record))
    database.close()
    _restore_or_refuse(state)


def _restore_or_refuse(state: Path) -> None:
    database = None
    try:
        database = Database(state)
        CreatedBackups(database, SERIALIZERS).restore(str(state))
    except StateError as exc:
        message = str(exc)
        assert "\n" not in message and str(state) in message and len(message) < 3000, message
    finally:
        if database is not None:
            database.close()


def test_a_database_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(state)) as db:
        db.execute("PRAGMA user_version = 7")
        db.commit()
    try:
        Database(state)
    except StateError as exc:
        assert "another version" in str(exc)
    else:
        raise AssertionError("a database of another version was taken")
