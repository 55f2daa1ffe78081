"""Load the fixture files and check every entry before the server starts.

A fixture directory holds three YAML files (read with libyaml's safe loader only):
`organizations.yaml`, `users.yaml` and `backups.yaml`. Backups are checked against the record
schema the spec's schemas make (records.py) with jsonschema_rs, plus the documented
conventions a schema cannot say (the name and description share one time stamp; backups
cannot be changed; a size is a realistic one). Values JSON cannot hold (YAML dates, sets,
huge numbers, deep nesting) are refused first. The first problem found stops the server with
a FixtureError that names the file and the entry, on one line. A large backups file that
passed once is read back from the fixture cache (fixture_cache.py) instead of parsed.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from mockserver.data import bulk
from mockserver.data.factory import parse_size
from mockserver.data.fixture_cache import MIN_BYTES, FixtureCache, key_of
from mockserver.data.jsonvalues import json_problem
from mockserver.data.models import DEMO_TAGS, MISSING, ROLES, Backup, Organization, User
from mockserver.data.records import RecordShape
from mockserver.exceptions import FixtureError
from mockserver.resources import project_path
from mockserver.spec.values import validator
from mockserver.text import one_line, shown

DEFAULT_FIXTURES_DIR = project_path("fixtures")
FILES = ("organizations.yaml", "users.yaml", "backups.yaml")
_TOKEN = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces: DRF splits on them


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic GC while a file becomes millions of new objects, none of them garbage:
    each collection would walk them all again (most of the load time of 100,000 backups)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class FixtureSet:
    """Everything the fixtures define, checked and ready for the store."""

    directory: Path
    organizations: dict[str, Organization]
    users: tuple[User, ...]
    backups: tuple[Backup, ...]
    presorted: bool = False  # each organization's backups come newest first already (rows read from a file)

    def demo_organization(self, tag: str) -> Organization | None:
        return next((org for org in self.organizations.values() if org.demo == tag), None)

    def first_user(self, organization_sid: str, role: str) -> User | None:
        return next((user for user in self.users if user.role_in(organization_sid) == role), None)


def load_fixtures(directory: str | Path, shape: RecordShape, cache: FixtureCache | None = None) -> FixtureSet:
    """`cache`, when given, keeps large backup files parsed and checked across starts."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FixtureError(f"{directory}: fixture directory not found")
    organizations = _organizations(directory / "organizations.yaml", shape)
    users = _users(directory / "users.yaml", organizations)
    backups, presorted = _backups(directory / "backups.yaml", shape, organizations, cache)
    return FixtureSet(directory, organizations, users, backups, presorted)


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FixtureError(f"{path}: file not found") from None
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read ({exc})") from None


def _read(path: Path, key: str) -> list[Any]:
    with _gc_paused():
        return bulk.list_under(path, bulk.load_yaml(path, _bytes(path)), key)


def _entry(path: Path, index: int, raw: Any, key: str) -> str:
    """`file: entry N (key 'value')`, the way every fixture error names its entry."""
    label = f"{key} {shown(raw.get(key), 80)}" if isinstance(raw, dict) and key in raw else ""
    name = f" ({label})" if label else ""
    return f"{path}: entry {index + 1}{name}"


def _organizations(path: Path, shape: RecordShape) -> dict[str, Organization]:
    check_sid = validator(shape.organization_schema)
    found: dict[str, Organization] = {}
    for index, raw in enumerate(_read(path, "organizations")):
        where = _entry(path, index, raw, "sid")
        if not isinstance(raw, dict) or set(raw) - {"sid", "name", "demo"} or not {"sid", "name"} <= set(raw):
            raise FixtureError(f"{where}: expected keys sid, name and optionally demo")
        problem = json_problem(raw, "organization")
        if problem:
            raise FixtureError(one_line(f"{where}: {problem}"))
        for error in check_sid.iter_errors(raw["sid"]):
            raise FixtureError(one_line(f"{where}: sid {shown(raw['sid'], 80)} is not a valid sid ({error.message})"))
        if not isinstance(raw["name"], str) or not raw["name"].strip():
            raise FixtureError(f"{where}: name must be a non-empty string")
        demo = raw.get("demo")
        if demo is not None and demo not in DEMO_TAGS:
            raise FixtureError(f"{where}: demo must be one of {', '.join(DEMO_TAGS)}")
        if demo is not None and any(org.demo == demo for org in found.values()):
            raise FixtureError(f"{where}: another organization is already demo {demo!r}")
        if raw["sid"] in found:
            raise FixtureError(f"{where}: duplicate sid")
        found[raw["sid"]] = Organization(raw["sid"], raw["name"], demo)
    return found


def _users(path: Path, organizations: dict[str, Organization]) -> tuple[User, ...]:
    users: list[User] = []
    tokens: set[str] = set()
    for index, raw in enumerate(_read(path, "users")):
        where = _entry(path, index, raw, "name")
        if not isinstance(raw, dict) or not {"name", "token", "memberships"} <= set(raw):
            raise FixtureError(f"{where}: expected keys name, token and memberships")
        problem = json_problem(raw, "user")
        if problem:
            raise FixtureError(one_line(f"{where}: {problem}"))
        if not isinstance(raw["name"], str) or not raw["name"].strip():
            raise FixtureError(f"{where}: name must be a non-empty string")
        token = raw["token"]
        if not isinstance(token, str) or not _TOKEN.match(token):
            raise FixtureError(f"{where}: token must be printable ASCII without spaces")
        if token in tokens:
            raise FixtureError(f"{where}: token is used by another user")
        tokens.add(token)
        memberships = raw["memberships"]
        if not isinstance(memberships, list):
            raise FixtureError(f"{where}: memberships must be a list")
        roles: dict[str, str] = {}
        for membership in memberships:
            if not isinstance(membership, dict) or set(membership) != {"organization", "role"}:
                raise FixtureError(f"{where}: each membership needs exactly organization and role")
            if not isinstance(membership["organization"], str) or membership["organization"] not in organizations:
                raise FixtureError(one_line(f"{where}: unknown organization {shown(membership['organization'], 80)}"))
            if membership["role"] not in ROLES:
                raise FixtureError(one_line(f"{where}: role must be one of {', '.join(ROLES)}"))
            roles[membership["organization"]] = membership["role"]
        users.append(User(raw["name"], token, roles))
    return tuple(users)


def _backups(
    path: Path, shape: RecordShape, organizations: dict[str, Organization], cache: FixtureCache | None
) -> tuple[tuple[Backup, ...], bool]:
    """The file's backups, and whether they are already in the list's order (rows from bulk.py)."""
    json_path = path.with_suffix(".json")
    if json_path.exists():  # backups.json: the same document, written as JSON (read with a JSON parser)
        path = json_path
    threshold = cache.min_bytes if cache is not None else MIN_BYTES
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FixtureError(f"{path}: file not found") from None
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read ({exc})") from None
    if size < threshold or not Path(shape.source).is_file():
        return check_backups(path, bulk.parse(path, _bytes(path)), shape, organizations), False
    try:
        key = key_of(path, shape.entry_schema)
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read ({exc})") from None
    if cache is not None and cache.trusted(cache.path(key)):
        with _gc_paused():
            stored = bulk.read(cache.path(key), key, shape)
        if stored is not None and {*map(attrgetter("organization"), stored)}.issubset(organizations):
            cache.touch(key)
            return tuple(stored), True
    return _in_child(path, key, shape, organizations, cache)


def _in_child(path: Path, key: str, shape: RecordShape, organizations: dict[str, Organization],
              cache: FixtureCache | None) -> tuple[tuple[Backup, ...], bool]:
    """Parse and check a large file in a child process (its garbage dies with it), then read its rows."""
    out = cache.new_path() if cache is not None else None
    temporary = None
    if out is None:
        temporary = tempfile.TemporaryDirectory(prefix="backup-mock-rows-")
        out = Path(temporary.name) / "rows"
    try:
        code, message = _child(shape, path, list(organizations), key, out)
        if code == 2:
            raise FixtureError(one_line(message or f"{path}: could not be read"))
        with _gc_paused():
            stored = bulk.read(out, key, shape) if code == 0 and (cache is None or cache.trusted(out)) else None
        if stored is None:  # rows cannot hold these backups, or the child failed: do it here
            entries = bulk.parse(path, _bytes(path))
            return check_backups(path, entries, shape, organizations), False
        if cache is not None and temporary is None:
            cache.keep_entry(out, key)
        return tuple(stored), True
    finally:
        if temporary is not None:
            temporary.cleanup()
        elif out.exists() and cache is not None and out != cache.path(key):
            out.unlink(missing_ok=True)


def _child(shape: RecordShape, path: Path, organizations: list[str], key: str, out: Path) -> tuple[int, str]:
    """`bulk.run` in a child process: its code and message. Forked at start-up, when this process
    has a single thread and no event loop runs (no interpreter to start, no module to import, no
    spec to read again: a tenth of a second); otherwise a new interpreter, since a fork copies no
    other thread and could inherit a lock one of them held, nor should a child share a running
    server's loop and sockets (a reload, or a recording checked, while serving)."""
    if hasattr(os, "fork") and threading.active_count() == 1 and not _loop_running():
        return _forked(lambda: bulk.run(shape, path, organizations, key, out))
    done = subprocess.run([sys.executable, "-m", "mockserver.data.bulk", shape.source, str(path),
                           json.dumps(organizations), key, str(out)],
                          capture_output=True, text=True, env=os.environ.copy())
    return done.returncode, done.stderr.strip()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _forked(work: Callable[[], tuple[int, str]]) -> tuple[int, str]:
    """`work` in a forked child: its code and message (code 1 if it raised)."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers or flushes its buffers
        code = 1
        try:
            os.close(reader)
            code, message = work()
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(message.encode("utf-8", "replace"))
        except BaseException:  # noqa: BLE001, S110 - the exit code says it failed; the parent does it again
            code = 1
        finally:
            os._exit(code)
    os.close(writer)
    try:
        with os.fdopen(reader, "rb") as pipe:
            said = pipe.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:  # interrupted while waiting: the child goes too
        with suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        raise
    return os.waitstatus_to_exitcode(status), said.decode("utf-8", "replace").strip()


def check_backups(
    path: Path, entries: list[Any], shape: RecordShape, organizations: dict[str, Organization] | Any,
    schema_checked: bool = False, first: int = 0,
) -> tuple[Backup, ...]:
    """Backups from raw entries (a fixture file's, or the --state file's), checked the same way.

    `schema_checked`: the entries passed the same record schema already; the checks against
    the other files still run. `first`: the index in the file of entries[0] (a part of a file
    checked on its own, bulk.py), for the entry numbers of the errors."""
    return tuple(map(shape.backup, checked_entries(path, entries, shape, organizations, schema_checked, first)))


def checked_entries(
    path: Path, entries: list[Any], shape: RecordShape, organizations: dict[str, Organization] | Any,
    schema_checked: bool = False, first: int = 0,
) -> Iterator[dict[str, Any]]:
    """The entries, each once it passed every check (check_backups), in order; a FixtureError that
    names the first entry with a problem. The one definition of the checks (bulk.py uses it too)."""
    sids: set[str] = set()
    for index, raw in enumerate(entries, first):
        problem = _backup_problem(raw, shape, schema_checked, organizations, sids)
        if problem:
            raise FixtureError(one_line(f"{_entry(path, index, raw, 'sid')}: {problem}"))
        sids.add(raw["sid"])
        yield raw


def all_pass(entries: list[Any], shape: RecordShape, organizations: dict[str, Organization] | Any) -> bool:
    """Whether every entry passes every check of checked_entries, tested for the whole list at once
    (C loops, and one call of the schema validator: half the time of checking them one by one; a large
    file's parts are checked so). True only when each entry would pass; False when one may not, and
    checked_entries then finds the first problem, or finds none (these tests do not cover every
    value a schema allows). The conventions are convention_problem's, called for each entry."""
    if not entries:
        return True
    if {*map(type, entries)} != _DICT or not shape.all_valid(entries):
        return False
    try:
        sids = {*map(itemgetter("sid"), entries)}
        known = {*map(itemgetter("organization"), entries)}.issubset(organizations)
    except (KeyError, TypeError):  # a spec that does not require sid, or allows it to be a mapping
        return False
    return len(sids) == len(entries) and known and not any(map(convention_problem, entries))


_DICT = frozenset((dict,))


def _backup_problem(
    raw: Any, shape: RecordShape, schema_checked: bool, organizations: dict[str, Organization] | Any, sids: set[str]
) -> str | None:
    """What is wrong with one backup entry, or None. `schema_checked`: the entry passed the record
    schema before it was cached; only its keys are looked at again."""
    if not isinstance(raw, dict):
        return "expected a mapping"
    if schema_checked:
        if not isinstance(raw.get("sid"), str) or not set(raw) <= {"organization", *shape.fields} \
                or not shape.required <= set(raw):
            return "not an entry of this record schema"
    else:
        problem = shape.problem(raw)
        if problem:
            return problem
    organization = raw.get("organization")
    if not isinstance(organization, str) or organization not in organizations:
        return f"unknown organization {shown(organization, 80)}"
    if raw["sid"] in sids:
        return "duplicate sid"
    return convention_problem(raw)


def convention_problem(raw: dict[str, Any]) -> str | None:
    """The documented conventions a schema cannot state, for the fields the entry has."""
    name, description = raw.get("name", MISSING), raw.get("description", MISSING)
    if isinstance(name, str) and isinstance(description, str) and description[-14:] != name[:14]:
        return "description and name must carry the same time stamp"
    if raw.get("change_permission", False) is not False:
        return "change_permission must be false (backups cannot be changed)"
    size = raw.get("database_size")
    return _size_problem(size) if isinstance(size, str) else None


@lru_cache(maxsize=1024)
def _size_problem(size: str) -> str | None:
    """What is wrong with a database_size, or None. Remembered: a backup's size repeats in the
    backups after it (one decimal), so a large file checks a tenth of its sizes (a quarter of the
    checks' time)."""
    try:
        parse_size(size)
    except ValueError as exc:
        return f"backup.database_size: {exc}"
    return None
