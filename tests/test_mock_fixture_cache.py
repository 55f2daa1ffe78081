"""Large backup files: parsed and checked in a child process, kept as rows in the fixture cache.

A hit gives exactly what parsing and checking the file gives; the cache can be damaged,
outdated or unwritable without the mock ever serving wrong data; YAML cut into pieces parses
as the whole file does; a JSON file is read as JSON.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mockserver.data.fixtures as fixtures_module
from mockserver.data import bulk
from mockserver.data.fixture_cache import FixtureCache, default_directory, key_of
from mockserver.data.fixtures import DEFAULT_FIXTURES_DIR, FixtureSet, load_fixtures
from mockserver.data.records import RecordShape, shape_of
from mockserver.exceptions import FixtureError
from mockserver.spec.document import Spec
from mockserver.store.entry import sort_key
from tests.test_plainyaml import documents

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shape() -> RecordShape:
    return shape_of(Spec.load())


@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    target = tmp_path / "fixtures"
    shutil.copytree(DEFAULT_FIXTURES_DIR, target)
    return target


@pytest.fixture
def cache(tmp_path: Path) -> FixtureCache:
    return FixtureCache(tmp_path / "cache", min_bytes=0)  # every file, however small


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The child processes the loader starts to parse a file (forked or new interpreters): their files."""
    seen: list[Path] = []
    real = fixtures_module._child

    def spy(shape: RecordShape, path: Path, *args: Any) -> Any:
        seen.append(path)
        return real(shape, path, *args)

    monkeypatch.setattr(fixtures_module, "_child", spy)
    return seen


def entries(cache: FixtureCache) -> list[Path]:
    return sorted(cache.directory.glob("*.rows"))


def records(fixtures: FixtureSet, shape: RecordShape) -> list[tuple[str, dict[str, Any]]]:
    """Every backup with its organization, in the list's order (however it was loaded)."""
    ordered = sorted(fixtures.backups, key=lambda backup: (backup.organization, sort_key(backup)))
    return [(backup.organization, shape.as_dict(backup)) for backup in ordered]


def test_a_hit_gives_what_parsing_gives_and_starts_no_child(fixture_dir, shape, cache, children):
    first = load_fixtures(fixture_dir, shape, cache)
    assert len(children) == 1 and len(entries(cache)) == 1 and first.presorted
    second = load_fixtures(fixture_dir, shape, cache)
    assert len(children) == 1, "the second load parsed backups.yaml again"
    parsed = load_fixtures(fixture_dir, shape)  # small: parsed in process, no cache
    assert not parsed.presorted and len(children) == 1
    assert records(second, shape) == records(first, shape) == records(parsed, shape)
    # rows come in the list's order: each organization's newest first
    for organization in first.organizations:
        own = [backup for backup in first.backups if backup.organization == organization]
        assert own == sorted(own, key=sort_key)


def test_a_changed_file_is_parsed_again_and_its_new_content_served(fixture_dir, shape, cache, children):
    load_fixtures(fixture_dir, shape, cache)
    path = fixture_dir / "backups.yaml"
    document = yaml.safe_load(path.read_text())
    document["backups"][0]["database_size"] = "1.5 GB"
    changed_sid = document["backups"][0]["sid"]
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    changed = load_fixtures(fixture_dir, shape, cache)
    assert len(children) == 2 and len(entries(cache)) == 2
    [backup] = [backup for backup in changed.backups if backup.sid == changed_sid]
    assert shape.value(backup, "database_size") == "1.5 GB"


def test_an_invalid_file_is_never_cached(fixture_dir, shape, cache):
    path = fixture_dir / "backups.yaml"
    document = yaml.safe_load(path.read_text())
    document["backups"][3]["sid"] = "not a sid!"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    for _ in range(2):  # the second time too: refused, not served from a cache
        with pytest.raises(FixtureError, match=r"backups.yaml: entry 4 \(sid 'not a sid!'\): backup.sid"):
            load_fixtures(fixture_dir, shape, cache)
    assert entries(cache) == [] and not list(cache.directory.glob(".*.tmp"))


def test_checks_against_the_other_files_run_on_a_hit(fixture_dir, shape, cache):
    load_fixtures(fixture_dir, shape, cache)
    organizations = fixture_dir / "organizations.yaml"
    document = yaml.safe_load(organizations.read_text())
    document["organizations"] = [org for org in document["organizations"] if org.get("demo") != "foreign"]
    organizations.write_text(yaml.safe_dump(document, sort_keys=False))
    users = fixture_dir / "users.yaml"
    kept = {org["sid"] for org in document["organizations"]}
    people = yaml.safe_load(users.read_text())
    for user in people["users"]:
        user["memberships"] = [m for m in user["memberships"] if m["organization"] in kept]
    users.write_text(yaml.safe_dump(people, sort_keys=False))
    with pytest.raises(FixtureError, match=r"backups.yaml: entry \d+ .*unknown organization"):
        load_fixtures(fixture_dir, shape, cache)


def _rewritten(data: bytes, columns: Any, **header: Any) -> bytes:
    """A rows file with another body, its header saying the body is whole (length and CRC right)."""
    body = marshal.dumps(columns)
    first = {**json.loads(data.split(b"\n", 1)[0]), "bytes": len(body), "crc32": zlib.crc32(body), **header}
    return json.dumps(first).encode() + b"\n" + body


def _flipped(data: bytes) -> bytes:
    at = len(data) * 2 // 3  # in the body
    return data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1:]


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # truncated
    lambda data: b"not rows at all",
    lambda data: b"",
    lambda data: json.dumps({"format": bulk.FORMAT, "key": "another key", "count": 0}).encode() + b"\n",
    lambda data: data.replace(b'"format": 3', b'"format": 2', 1),  # an older format
    _flipped,  # one bit of the body changed: the CRC says so
    lambda data: data + b"more",  # longer than the header says
    lambda data: _rewritten(data, ([], [], [])),  # fewer rows than the header counts
    lambda data: _rewritten(data, (["ehkn0a40x1glqvAFKP"], [7], [b""]), count=1),  # a sid that is no text
    lambda data: _rewritten(data, (["ehkn0a40x1glqvAFKP"], ["qh520a40xEPyYngFb51"], ["{}"]), count=1),  # not bytes
    lambda data: _rewritten(data, {"backups": []}),  # not three columns
    lambda data: data.split(b"\n", 1)[0] + b"\n" + b"\xff" * (len(data) - len(data.split(b"\n", 1)[0]) - 1),
])
def test_a_damaged_entry_is_a_miss_and_is_rewritten(fixture_dir, shape, cache, children, damage):
    expected = records(load_fixtures(fixture_dir, shape, cache), shape)
    [entry] = entries(cache)
    entry.write_bytes(damage(entry.read_bytes()))
    assert records(load_fixtures(fixture_dir, shape, cache), shape) == expected
    assert len(children) == 2
    assert bulk.read(entry, entry.stem, shape) is not None  # whole again


def test_an_unwritable_cache_costs_nothing_but_time(fixture_dir, shape, tmp_path, children):
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way of the cache directory")
    cache = FixtureCache(blocked / "cache", min_bytes=0)
    assert records(load_fixtures(fixture_dir, shape, cache), shape) == records(load_fixtures(fixture_dir, shape),
                                                                                shape)
    assert len(children) == 1 and not (blocked / "cache").exists()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="owners and modes are POSIX's")
def test_an_entry_anyone_else_could_have_written_is_never_read(fixture_dir, shape, cache, children):
    """Entries are marshal data, read only when the file and its directory are the user's alone."""
    expected = records(load_fixtures(fixture_dir, shape, cache), shape)
    [entry] = entries(cache)
    os.utime(entry, (0, 0))
    cache.directory.chmod(0o770)  # a directory the group may write to: a planted entry, say
    assert records(load_fixtures(fixture_dir, shape, cache), shape) == expected
    assert len(children) == 2 and entries(cache) == [entry] and entry.stat().st_mtime == 0  # not read, not kept
    assert not list(cache.directory.glob(".*.tmp")), "a temporary file was left behind"
    cache.directory.chmod(0o700)
    entry.chmod(0o622)  # the entry itself writable by others
    assert records(load_fixtures(fixture_dir, shape, cache), shape) == expected
    assert len(children) == 3 and (entry.stat().st_mode & 0o777) == 0o600  # parsed again, and rewritten
    if os.getuid() == 0:  # root may give the entry to someone else
        os.chown(entry, 12345, -1)
        assert records(load_fixtures(fixture_dir, shape, cache), shape) == expected
        assert len(children) == 4 and entry.stat().st_uid == 0
    assert records(load_fixtures(fixture_dir, shape, cache), shape) == expected
    assert len(children) == (4 if os.getuid() == 0 else 3)  # the user's own entry: read


def test_small_files_are_parsed_in_process_and_not_cached(fixture_dir, shape, tmp_path, children):
    cache = FixtureCache(tmp_path / "cache")
    assert (fixture_dir / "backups.yaml").stat().st_size < cache.min_bytes
    load_fixtures(fixture_dir, shape, cache)
    assert not cache.directory.exists() and children == []


def test_only_the_most_recently_used_entries_are_kept(tmp_path):
    cache = FixtureCache(tmp_path / "cache", min_bytes=0, keep=2)
    for number in range(4):
        written = cache.new_path()
        assert written is not None
        bulk.write(written, f"key{number}", bulk.Rows([], [], []))
        cache.keep_entry(written, f"key{number}")
        os.utime(cache.path(f"key{number}"), (number, number))
    written = cache.new_path()
    assert written is not None
    bulk.write(written, "key4", bulk.Rows([], [], []))
    cache.keep_entry(written, "key4")
    assert sorted(path.stem for path in entries(cache)) == ["key3", "key4"]
    assert not list(cache.directory.glob(".*.tmp")), "a temporary file was left behind"


def test_the_key_covers_the_content_the_schema_and_the_parser(tmp_path, monkeypatch):
    schema = {"type": "object", "properties": {"sid": {"type": "string"}}}
    other = {"type": "object", "properties": {"sid": {"type": "string", "maxLength": 5}}}
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_bytes(b"backups: []")
    two.write_bytes(b"backups: [] ")
    key = key_of(one, schema)
    assert key == key_of(one, dict(reversed(list(schema.items()))))
    different = {key, key_of(two, schema), key_of(one, other)}
    monkeypatch.setattr(yaml, "__version__", "0.0")
    different.add(key_of(one, schema))
    monkeypatch.setattr(marshal, "version", marshal.version + 1)  # the values are packed by marshal
    different.add(key_of(one, schema))
    assert len(different) == 5


def test_the_default_directory_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_directory() == tmp_path / "labii-backup-mock"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_directory() == Path.home() / ".cache" / "labii-backup-mock"


def _grow(directory: Path, megabytes: float = 2.5) -> list[dict[str, Any]]:
    """Make backups.yaml a few mebibytes: copies of the fixtures' backups under new sids. Its entries."""
    path = directory / "backups.yaml"
    originals = yaml.safe_load(path.read_text())["backups"]
    size = len(path.read_bytes())
    grown = list(originals)
    for copies in range(int(megabytes * 2 * (1 << 20) / size)):  # twice the bytes needed: the file has comments
        grown += [{**original, "sid": f"{original['sid'][:10]}c{copies:06d}"} for original in originals]
    _write_backups(path, grown)
    return grown


def _write_backups(path: Path, entries: list[dict[str, Any]]) -> None:
    """Block-style YAML, each value a JSON scalar (YAML reads JSON's): PyYAML's representer takes seconds for
    a few MB."""
    with path.open("w") as out:
        out.write("backups:\n")
        for entry in entries:
            out.write("".join(("- " if index == 0 else "  ") + f"{key}: {json.dumps(value)}\n"
                              for index, (key, value) in enumerate(entry.items())))


FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_yaml_cut_into_pieces_parses_as_the_whole_file(fixture_dir, monkeypatch):
    monkeypatch.setattr(bulk, "MIN_PIECE_BYTES", 0)  # the fixtures' own file, cut as a large one would be
    path = fixture_dir / "backups.yaml"
    content = path.read_bytes()
    pieces = bulk._pieces(content)
    assert len(pieces) == min(os.cpu_count() or 1, 8) > 1
    whole = yaml.load(content, Loader=FAST)["backups"]
    assert bulk.parse(path, content) == whole
    assert len(bulk._pieces(b"# a comment\n\nbackups:\n- {a: 1}\n- {a: 2}\n")) == len(pieces)  # items at column 0
    for uncuttable in (b"%YAML 1.1\n---\nbackups:\n  - a\n  - b\n", b"backups: [a, b]\n",
                       b"backups:\n  - a\n  - b\nother: 1\n", b"backups:\n  - a\n---\nbackups:\n  - b\n"):
        assert bulk._pieces(uncuttable) == [], uncuttable
    # an alias of an anchor in another piece: the pieces cannot be parsed alone, the whole file is
    text = content.decode()
    first_size = text.index("\n  database_size: ") if "\n  database_size: " in text else text.index("database_size: ")
    anchored = text[:first_size] + text[first_size:].replace("database_size: ", "database_size: &size ", 1)
    last = anchored.rindex("database_size: ")
    aliased = anchored[:last] + "database_size: *size\n" + anchored[anchored.index("\n", last) + 1:]
    assert bulk._parse_pieces(bulk._pieces(aliased.encode())) is None
    reparsed = bulk.parse(path, aliased.encode())
    assert reparsed == yaml.load(aliased, Loader=FAST)["backups"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents(), cores=st.integers(2, 5))
def test_pieces_that_all_parse_give_what_the_whole_file_gives(text: str, cores: int) -> None:
    """Cut where each core's share of the bytes ends: whatever the file, pieces that all parse
    alone hold the whole file's entries, in order (otherwise the whole file is parsed)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "MIN_PIECE_BYTES", 0)
        patch.setattr(bulk, "_cores", lambda: cores)
        pieces = bulk._pieces(text.encode())
    if len(pieces) < 2:
        return
    assert len(pieces) <= cores and all(piece.startswith(b"backups:\n") for piece in pieces)
    parsed = [bulk._parse_piece(piece) for piece in pieces]
    if any(part is None for part in parsed):
        return  # the whole file is parsed instead
    whole = yaml.load(text, Loader=FAST)  # noqa: S506 - libyaml's safe loader
    assert [entry for part in parsed if part is not None for entry in part] == whole["backups"]


def test_json_cut_into_parts_parses_as_the_whole_file(fixture_dir, shape, monkeypatch):
    monkeypatch.setattr(bulk, "MIN_PIECE_BYTES", 0)  # the fixtures' own backups, cut as a large file would be
    monkeypatch.setattr(bulk.os, "cpu_count", lambda: 3)
    whole = yaml.safe_load((fixture_dir / "backups.yaml").read_text())["backups"]
    for content in (json.dumps({"backups": whole}), json.dumps({"backups": whole}, indent=2),
                    json.dumps({"backups": whole}, separators=(",", ":")) + "\r\n",
                    " \n{ \"backups\" :\t[" + ",\n".join(map(json.dumps, whole)) + "\n] }\n"):
        parts = bulk.json_parts(content.encode())
        assert len(parts) == 3, content[:60]
        parsed = [bulk._json_entries(content.encode(), part) for part in parts]
        assert [entry for entries in parsed if entries is not None for entry in entries] == whole
    # other forms are parsed whole
    for uncuttable in ('{"other": 1, "backups": [{}, {}]}', '[{"backups": [{}, {}]}]', '{"backups": [{}, {}]} x',
                       '{"backups": [{}, {}]'):
        assert bulk.json_parts(uncuttable.encode()) == [], uncuttable
    assert len(bulk.json_parts(b'{"backups": [1, 2, 3, 4]}')) == 1  # no object follows another: one part
    # a key after the list: cut, but its last part does not parse, so the whole document is read as JSON reads it
    organizations = [entry["sid"] for entry in yaml.safe_load((fixture_dir / "organizations.yaml").read_text())
                     ["organizations"]]
    path = fixture_dir / "backups.json"
    braced = [{**entry, "description": entry["description"] + ' "}, {"x": [1]}, {"'} for entry in whole]
    for content in (json.dumps({"backups": whole, "backups_later": [1]}),
                    # the key twice: JSON keeps the last
                    json.dumps({"backups": whole[:2]})[:-1] + ', "backups": ' + json.dumps(whole) + "}",
                    json.dumps({"backups": braced})):  # a cut inside a string: not valid, and said as JSON says it
        on_every_core = _outcome(lambda text=content: bulk.checked_rows(path, text.encode(), shape, organizations))
        in_order = _outcome(lambda text=content: bulk.rows(path, json.loads(text)["backups"], shape, organizations))
        assert on_every_core == in_order


def _json_values() -> st.SearchStrategy[Any]:
    """JSON values whose strings are made of the characters a cut looks for, nested lists of objects included."""
    text = st.text(alphabet='{}[],:" \\\nab', max_size=8)
    scalars = st.none() | st.booleans() | st.integers(-10, 10) | text
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(text, inner, max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(st.dictionaries(st.sampled_from(["a", "b", "}, {"]), _json_values(), max_size=3), max_size=8),
       indent=st.sampled_from([None, 0, 2]), cores=st.integers(2, 5))
def test_json_parts_that_all_parse_give_what_the_whole_file_gives(entries: list[Any], indent: int | None,
                                                                  cores: int) -> None:
    """Cut where `}`, a comma and `{` follow each other after each core's share of the bytes, in strings and
    inside entries too: when every part parses, the parts' entries are the whole list's, in order."""
    content = json.dumps({"backups": entries}, indent=indent).encode()
    original_cores, original_min = bulk._cores, bulk.MIN_PIECE_BYTES
    bulk._cores, bulk.MIN_PIECE_BYTES = (lambda: cores), 0  # type: ignore[assignment]
    try:
        parts = bulk.json_parts(content)
    finally:
        bulk._cores, bulk.MIN_PIECE_BYTES = original_cores, original_min  # type: ignore[assignment]
    parsed = [bulk._json_entries(content, part) for part in parts]
    if parts and all(entries_ is not None for entries_ in parsed):
        assert [entry for entries_ in parsed if entries_ is not None for entry in entries_] == entries


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_json_values() | st.floats(allow_nan=False) | st.text(), min_size=6, max_size=6),
       missing=st.sets(st.integers(1, 5)))  # a backup always has its sid
def test_packed_values_unpack_as_they_were(shape, values: list[Any], missing: set[int]) -> None:
    """What the fixture cache keeps of a backup: every field's value (dict order too), and which are missing."""
    raw = {"organization": "ehkn0a40x1glqvAFKP"}
    raw.update({name: value for index, (name, value) in enumerate(zip(shape.fields, values, strict=True))
                if index not in missing})
    unpacked = shape.decode(shape.pack(raw))
    assert unpacked == shape.backup(raw).values
    assert json.dumps(unpacked, default=repr) == json.dumps(shape.backup(raw).values, default=repr)


_MUTATIONS: list[Any] = [
    lambda entry: {**entry, "organization": "nobodys0a40x000000"},
    lambda entry: {**entry, "database_size": "a lot"},
    lambda entry: {**entry, "database_size": "2000000 TB"},
    lambda entry: {**entry, "change_permission": True},
    lambda entry: {**entry, "change_permission": None},
    lambda entry: {**entry, "description": "Data backup on 20990101000000"},
    lambda entry: {**entry, "date_created": "2016-13-45T99:99:99Z"},
    lambda entry: {**entry, "name": 7},
    lambda entry: {**entry, "name": float("nan")},
    lambda entry: {**entry, "name": ["a"]},
    lambda entry: {**entry, "extra": "x"},
    lambda entry: {key: value for key, value in entry.items() if key != "database_size"},
    lambda entry: {key: value for key, value in entry.items() if key != "sid"},
    lambda entry: {**entry, 1: "x"},
    lambda entry: [entry],
    lambda entry: None,
]


@lru_cache(maxsize=1)
def _default_fixtures() -> tuple[set[str], list[dict[str, Any]]]:
    """The built-in fixtures' organizations and backups, read once."""
    organizations = yaml.safe_load((DEFAULT_FIXTURES_DIR / "organizations.yaml").read_text())["organizations"]
    return {entry["sid"] for entry in organizations}, yaml.safe_load((DEFAULT_FIXTURES_DIR / "backups.yaml")
                                                                     .read_text())["backups"]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_all_pass_says_so_only_when_every_entry_passes_one_by_one(shape, data) -> None:
    """The checks of a large file's part, all at once (fixtures.all_pass), against the same checks entry by
    entry: never True where one entry has a problem, and True for the fixtures' own backups."""
    organizations, entries = _default_fixtures()
    assert fixtures_module.all_pass(entries, shape, organizations)
    chosen = data.draw(st.lists(st.sampled_from(range(len(entries))), min_size=1, max_size=6))
    part: list[Any] = [entries[index] for index in chosen]  # a repeated index: a duplicate sid
    for _ in range(data.draw(st.integers(0, 2))):
        at = data.draw(st.integers(0, len(part) - 1))
        if isinstance(part[at], dict):
            part[at] = data.draw(st.sampled_from(_MUTATIONS))(part[at])
    try:
        list(fixtures_module.checked_entries(Path("backups.yaml"), part, shape, organizations))
    except FixtureError:
        assert not fixtures_module.all_pass(part, shape, organizations)
    else:
        assert fixtures_module.all_pass(part, shape, organizations) or any(
            not isinstance(entry, dict) or type(entry.get("name")) is not str for entry in part)


def test_a_json_file_is_read_as_json(fixture_dir, shape, cache):
    document = yaml.safe_load((fixture_dir / "backups.yaml").read_text())
    expected = records(load_fixtures(fixture_dir, shape), shape)
    (fixture_dir / "backups.yaml").write_text(json.dumps(document))  # JSON is YAML: a JSON-formatted backups.yaml
    assert records(load_fixtures(fixture_dir, shape), shape) == expected
    assert records(load_fixtures(fixture_dir, shape, cache), shape) == expected
    (fixture_dir / "backups.yaml").write_text("backups: [oops")  # backups.json, beside it, wins
    (fixture_dir / "backups.json").write_text(json.dumps(document))
    assert records(load_fixtures(fixture_dir, shape), shape) == expected
    (fixture_dir / "backups.json").write_text('{"backups": [1,')
    with pytest.raises(FixtureError, match=r"backups.json: not valid JSON"):
        load_fixtures(fixture_dir, shape)


def test_the_command_line_caches_a_large_file_in_xdg_cache_home(fixture_dir, tmp_path):
    _grow(fixture_dir)
    assert (fixture_dir / "backups.yaml").stat().st_size >= 1 << 20
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    command = [sys.executable, "-m", "mockserver", "credentials", "--json", "--fixtures", str(fixture_dir)]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    [entry] = (tmp_path / "xdg" / "labii-backup-mock").glob("*.rows")
    os.utime(entry, (0, 0))
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert entry.stat().st_mtime > 0, "the second run did not use the cache entry"
    uncached = subprocess.run(command + ["--no-cache"], cwd=ROOT, env={**env, "XDG_CACHE_HOME": str(tmp_path / "none")},
                              capture_output=True, text=True, timeout=120)
    assert uncached.returncode == 0 and uncached.stdout == first.stdout
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("threads", [1, 2, 0], ids=["forked", "new-interpreter", "new-interpreter-in-a-loop"])
def test_a_child_forked_or_new_gives_the_same_rows_and_the_same_error(fixture_dir, shape, monkeypatch, threads):
    """A single-threaded mock (at start-up) forks its child; one with threads, or with its event loop
    running (a reload while serving), starts a new interpreter. The child of this test is made in a
    process of its own, so the fork happens with one thread, as in the mock. threads=0: one thread,
    the load inside a running event loop."""
    grown = _grow(fixture_dir)
    expected = records(load_fixtures(fixture_dir, shape), shape)
    script = f"""
import asyncio, json, sys, threading
from mockserver.data import fixtures
from mockserver.data.records import shape_of
from mockserver.spec.document import Spec
threads = []
if {threads} > 1:  # a second thread, as a serving mock has
    threads.append(threading.Thread(target=threading.Event().wait, args=(30,), daemon=True))
    threads[0].start()
started = []
real_fork, real_run = fixtures.os.fork, fixtures.subprocess.run
fixtures.os.fork = lambda: started.append("fork") or real_fork()
fixtures.subprocess.run = lambda *a, **k: started.append("exec") or real_run(*a, **k)
shape = shape_of(Spec.load())


async def in_a_loop():
    return fixtures.load_fixtures(sys.argv[1], shape)


try:
    loaded = asyncio.run(in_a_loop()) if {threads} == 0 else fixtures.load_fixtures(sys.argv[1], shape)
    print(json.dumps([started, [[b.organization, shape.as_dict(b)] for b in loaded.backups]]))
except fixtures.FixtureError as exc:
    print(json.dumps([started, str(exc)]))
"""
    run = [sys.executable, "-c", script, str(fixture_dir)]
    started, got = json.loads(subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120,
                                             check=True).stdout)
    assert started == (["fork"] if threads == 1 else ["exec"])
    def by_sid(item: Any) -> tuple[str, str]:
        return item[0], item[1]["sid"]

    assert sorted(map(tuple, got), key=by_sid) == sorted(expected, key=by_sid)
    grown[-2] = {**grown[-2], "database_size": "a lot"}
    _write_backups(fixture_dir / "backups.yaml", grown)
    with pytest.raises(FixtureError) as raised:
        load_fixtures(fixture_dir, shape)
    started, message = json.loads(subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120,
                                                 check=True).stdout)
    assert started == (["fork"] if threads == 1 else ["exec"]) and message == str(raised.value)
    assert "'a lot'" in message and f"entry {len(grown) - 1} " in message


def test_a_forked_child_that_fails_is_code_1_and_its_message_comes_back_whole():
    script = """
from mockserver.data.fixtures import _forked
print(_forked(lambda: (2, "f.yaml: entry 3: " + "x" * 100000))[1].count("x"))
print(_forked(lambda: 1 / 0))
print(_forked(lambda: (3, "not kept as rows")))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == ["100000", "(1, '')", "(3, 'not kept as rows')"], done.stderr


def _outcome(run: Any) -> Any:
    try:
        return run()
    except FixtureError as exc:
        return f"FixtureError: {exc}"


def _broken(entries: list[dict[str, Any]], case: str) -> list[dict[str, Any]]:
    """The default backups with problems placed in the first, second or third part of the file."""
    entries = [dict(entry) for entry in entries]
    n = len(entries)
    a, b, c = 2, n // 2, n - 3  # in three different parts when the file is cut in three
    if "dup-across" in case:
        entries[b]["sid"] = entries[a]["sid"]  # a sid of an earlier part comes back
    if "dup-inside" in case:
        entries[b + 1]["sid"] = entries[b]["sid"]
    if "bad-late" in case:
        entries[c]["organization"] = "nobodys0a40x000000"
    if "bad-early" in case:
        entries[a]["change_permission"] = True
    if "bad-middle" in case:
        entries[b]["database_size"] = "a lot"
    return entries


@pytest.mark.parametrize("kind", ["json", "yaml"])
@pytest.mark.parametrize("case", ["none", "bad-late", "bad-early+bad-late", "bad-middle", "dup-across",
                                  "dup-across+bad-late", "bad-early+dup-across", "dup-inside", "dup-inside+bad-late"])
def test_checks_on_every_core_answer_as_a_check_in_order(fixture_dir, shape, monkeypatch, kind, case):
    """The file cut in three parts checked by three workers: the same rows, or the same first
    error (entry number and text) as one check of the whole file in order."""
    monkeypatch.setattr(bulk.os, "cpu_count", lambda: 3)
    monkeypatch.setattr(bulk, "MIN_PARALLEL_ENTRIES", 1)
    monkeypatch.setattr(bulk, "MIN_PIECE_BYTES", 0)
    organizations = [entry["sid"] for entry in yaml.safe_load((fixture_dir / "organizations.yaml").read_text())
                     ["organizations"]]
    entries = _broken(yaml.safe_load((fixture_dir / "backups.yaml").read_text())["backups"], case)
    path = fixture_dir / f"backups.{kind}"
    document = {"backups": entries}
    content = (json.dumps(document) if kind == "json" else
               yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)).encode()
    assert len(bulk._pieces(content) if kind == "yaml" else bulk.json_parts(content)) == 3  # really cut
    in_order = _outcome(lambda: bulk.rows(path, bulk.parse(path, content), shape, organizations))
    on_every_core = _outcome(lambda: bulk.checked_rows(path, content, shape, organizations))
    assert on_every_core == in_order
    assert isinstance(in_order, str) == (case != "none"), in_order
