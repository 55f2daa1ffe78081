"""The store: fixtures in memory and created backups in SQLite, listed as one sequence, newest first.

The order of the list is checked against a plain sort of every backup, whatever the dates of
the fixtures relative to the created backups (a reload or an old state file can put fixture
backups ahead of created ones), and for every page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.data.factory import documented_values
from mockserver.data.fixtures import FixtureSet
from mockserver.data.models import Organization
from mockserver.data.records import RecordShape, shape_of
from mockserver.data.serializers import Serializers
from mockserver.spec import Spec, load_model
from mockserver.store.backups import BackupStore
from mockserver.store.created import CreatedBackups
from mockserver.store.database import Database
from mockserver.store.entry import sort_key

MODEL = load_model(Spec.load())
SHAPE = RecordShape(MODEL)
SERIALIZERS = Serializers(MODEL, SHAPE)
ORG = "orga0a40xAbCdEfGhIj"
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def backup(index: int, minutes: int, organization: str = ORG) -> object:
    moment = BASE + timedelta(minutes=minutes)
    return SHAPE.make(organization, documented_values(f"s{index:05d}0a40xAbCdEf", moment, moment, 1e6 + index))


def store_of(fixture_minutes: list[int], created_minutes: list[int], path: Path | None = None) -> BackupStore:
    fixtures = FixtureSet(Path("."), {ORG: Organization(ORG, "Org")}, (),
                          tuple(backup(index, minutes) for index, minutes in enumerate(fixture_minutes)))
    created = CreatedBackups(Database(path), SERIALIZERS)
    for offset, minutes in enumerate(sorted(set(created_minutes))):  # one by one in date order, as the factory does
        created.add(backup(10_000 + offset, minutes))
    return BackupStore(fixtures, SERIALIZERS, created)


def expected_sids(store: BackupStore) -> list[str]:
    everything = list(store._by_org[ORG]) + store.created.slice(ORG, 0, 10**6)
    return [entry.backup.sid for entry in sorted(everything, key=sort_key)]


@settings(max_examples=60, deadline=None)
@given(fixtures=st.lists(st.integers(0, 500), max_size=25), created=st.lists(st.integers(0, 500), max_size=25),
       size=st.integers(1, 7))
def test_every_page_is_a_slice_of_the_one_sorted_list(fixtures: list[int], created: list[int], size: int) -> None:
    store = store_of(fixtures, created)
    everything = expected_sids(store)
    assert store.count(ORG) == len(everything) == len(fixtures) + len(set(created))
    for start in range(0, len(everything) + size, size):
        page = [entry.backup.sid for entry in store.slice(ORG, start, start + size)]
        assert page == everything[start:start + size], (start, size)


def test_created_backups_normally_come_first_without_a_merge() -> None:
    store = store_of([1, 2, 3], [10, 11])
    assert [entry.backup.sid for entry in store.slice(ORG, 0, 5)] == [
        "s100010a40xAbCdEf", "s100000a40xAbCdEf", "s000020a40xAbCdEf", "s000010a40xAbCdEf", "s000000a40xAbCdEf"]
    assert store._created_first[ORG] is True


def test_a_created_backup_is_newer_than_every_backup_of_its_organization() -> None:
    store = store_of([5, 900_000], [10])  # a fixture far in the future (clock skew, reloaded data)
    entry = store.create(ORG)
    assert sort_key(entry) < min(sort_key(other) for other in store.slice(ORG, 1, 10))
    assert store.slice(ORG, 0, 1)[0].backup.sid == entry.backup.sid


def test_created_backups_survive_in_the_file_and_cost_no_memory_per_backup(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = store_of([1], [], path)
    for _ in range(3000):
        store.create(ORG)
    assert len(store.created._cache) <= 2048 and store.created.count(ORG) == 3000
    store.created.db.close()
    again = CreatedBackups(Database(path), SERIALIZERS)
    assert again.restore(str(path)) == 3000
    assert again.count(ORG) == 3000
    again.db.close()


def test_shape_of_reads_the_packaged_spec() -> None:
    assert shape_of(Spec.load()).fields == SHAPE.fields
