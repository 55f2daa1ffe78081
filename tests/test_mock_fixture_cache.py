"""The fixture cache: a hit gives exactly what parsing and checking the file gives, and the
cache can be damaged, outdated or unwritable without the mock ever serving wrong data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import mockserver.data.fixtures as fixtures_module
from mockserver.exceptions import FixtureError
from mockserver.data.fixture_cache import FixtureCache, default_directory
from mockserver.data.fixtures import DEFAULT_FIXTURES_DIR, load_fixtures
from mockserver.data.records import RecordShape, shape_of
from mockserver.spec.document import Spec

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def spec() -> RecordShape:
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
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the fixture loader hands to the YAML parser, in order."""
    seen: list[str] = []
    real = fixtures_module._read

    def spy(path: Path, key: str, content: bytes | None = None):
        seen.append(path.name)
        return real(path, key, content)

    monkeypatch.setattr(fixtures_module, "_read", spy)
    return seen


def entries(cache: FixtureCache) -> list[Path]:
    return sorted(cache.directory.glob("*.json"))


def test_a_hit_gives_what_parsing_gives_and_skips_the_parser(fixture_dir, spec, cache, parses):
    first = load_fixtures(fixture_dir, spec, cache)
    assert parses.count("backups.yaml") == 1 and len(entries(cache)) == 1
    second = load_fixtures(fixture_dir, spec, cache)
    assert parses.count("backups.yaml") == 1, "the second load parsed backups.yaml again"
    assert second.backups == first.backups == load_fixtures(fixture_dir, spec).backups


def test_a_changed_file_is_parsed_again_and_its_new_content_served(fixture_dir, spec, cache, parses):
    load_fixtures(fixture_dir, spec, cache)
    path = fixture_dir / "backups.yaml"
    document = yaml.safe_load(path.read_text())
    document["backups"][0]["database_size"] = "1.5 GB"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    changed = load_fixtures(fixture_dir, spec, cache)
    assert parses.count("backups.yaml") == 2
    assert spec.value(changed.backups[0], "database_size") == "1.5 GB"
    assert len(entries(cache)) == 2


def test_an_invalid_file_is_never_cached(fixture_dir, spec, cache):
    path = fixture_dir / "backups.yaml"
    document = yaml.safe_load(path.read_text())
    document["backups"][3]["sid"] = "not a sid!"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    for _ in range(2):  # the second time too: refused, not served from a cache
        with pytest.raises(FixtureError, match=r"backups.yaml: entry 4"):
            load_fixtures(fixture_dir, spec, cache)
    assert entries(cache) == []


def test_checks_against_the_other_files_run_on_a_hit(fixture_dir, spec, cache, parses):
    load_fixtures(fixture_dir, spec, cache)
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
        load_fixtures(fixture_dir, spec, cache)


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],  # truncated
    lambda text: "not json at all",
    lambda text: json.dumps({"key": "another key", "entries": []}),
    lambda text: text.replace('"change_permission":false', '"change_permission":true', 1),
    lambda text: text.replace('"sid":', '"sjd":', 1),
    lambda text: json.dumps({"key": json.loads(text)["key"], "entries": [1, 2]}),
])
def test_a_damaged_entry_is_a_miss_and_is_rewritten(fixture_dir, spec, cache, parses, damage):
    expected = load_fixtures(fixture_dir, spec, cache).backups
    [entry] = entries(cache)
    entry.write_text(damage(entry.read_text()))
    assert load_fixtures(fixture_dir, spec, cache).backups == expected
    assert parses.count("backups.yaml") == 2
    assert json.loads(entry.read_text())["key"] == entry.stem  # whole again


def test_an_unwritable_cache_costs_nothing_but_time(fixture_dir, spec, tmp_path, parses):
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way of the cache directory")
    cache = FixtureCache(blocked / "cache", min_bytes=0)
    assert load_fixtures(fixture_dir, spec, cache).backups == load_fixtures(fixture_dir, spec).backups
    assert not (blocked / "cache").exists()


def test_small_files_are_not_cached_by_default(fixture_dir, spec, tmp_path):
    cache = FixtureCache(tmp_path / "cache")
    assert (fixture_dir / "backups.yaml").stat().st_size < cache.min_bytes
    load_fixtures(fixture_dir, spec, cache)
    assert not cache.directory.exists()


def test_only_the_most_recently_used_entries_are_kept(tmp_path):
    cache = FixtureCache(tmp_path / "cache", min_bytes=0, keep=2)
    for number in range(4):
        cache.put(f"key{number}", [{"n": number}])
        os.utime(cache.directory / f"key{number}.json", (number, number))
    cache.put("key4", [{"n": 4}])
    assert sorted(path.stem for path in cache.directory.glob("*.json")) == ["key3", "key4"]
    assert not list(cache.directory.glob(".*.tmp")), "a temporary file was left behind"


def test_the_key_covers_the_content_the_schema_and_the_parser():
    schema = {"type": "object", "properties": {"sid": {"type": "string"}}}
    other = {"type": "object", "properties": {"sid": {"type": "string", "maxLength": 5}}}
    key = FixtureCache.key(b"backups: []", schema, "CSafeLoader")
    assert key == FixtureCache.key(b"backups: []", dict(reversed(list(schema.items()))), "CSafeLoader")
    assert len({key, FixtureCache.key(b"backups: [] ", schema, "CSafeLoader"),
                FixtureCache.key(b"backups: []", other, "CSafeLoader"),
                FixtureCache.key(b"backups: []", schema, "SafeLoader")}) == 4


def test_the_default_directory_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_directory() == tmp_path / "labii-backup-mock"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_directory() == Path.home() / ".cache" / "labii-backup-mock"


def _grow(directory: Path) -> None:
    """Make backups.yaml a little over a mebibyte: copies of the fixtures' backups under new sids."""
    path = directory / "backups.yaml"
    document = yaml.safe_load(path.read_text())
    originals = list(document["backups"])
    size = len(path.read_bytes())
    for copies in range(2 * (1 << 20) // size):  # twice the bytes needed: the file has comments
        document["backups"] += [{**original, "sid": f"{original['sid'][:10]}c{copies:06d}"} for original in originals]
    with path.open("w") as out:
        yaml.dump(document, out, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


def test_the_command_line_caches_a_large_file_in_xdg_cache_home(fixture_dir, tmp_path):
    _grow(fixture_dir)
    assert (fixture_dir / "backups.yaml").stat().st_size >= 1 << 20
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    command = [sys.executable, "-m", "mockserver", "credentials", "--json", "--fixtures", str(fixture_dir)]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    [entry] = (tmp_path / "xdg" / "labii-backup-mock").glob("*.json")
    os.utime(entry, (0, 0))
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert entry.stat().st_mtime > 0, "the second run did not use the cache entry"
    uncached = subprocess.run(command + ["--no-cache"], cwd=ROOT, env={**env, "XDG_CACHE_HOME": str(tmp_path / "none")},
                              capture_output=True, text=True, timeout=120)
    assert uncached.returncode == 0 and uncached.stdout == first.stdout
    assert not (tmp_path / "none").exists()
