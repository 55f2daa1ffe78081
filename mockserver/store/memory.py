"""In-memory backups: newest first per organization, found by sid, restorable.

Each organization's backups are kept sorted (date_created descending, then sid) so a page
is a slice, whatever the collection's size or the page number. Every entry renders its
JSON once, when it is first served. The store runs on the event loop's single thread;
nothing awaits while it changes, so no lock is needed.

Created backups are remembered apart from the fixtures, so the fixtures can be reloaded
under them (`replace_fixtures`), they can be saved and restored (`created`, `restore`,
`on_change`), and with a `create_delay` a new backup joins its list only once the delay
has passed (its detail URL answers at once: the spec links the POST to it).
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from mockserver.data.factory import new_backup
from mockserver.data.fixtures import FixtureSet
from mockserver.data.models import Backup, Organization
from mockserver.data.serializers import Serializers

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Entry:
    """A stored backup and its JSON per serializer, rendered on first use: a large fixture set
    starts without rendering 100,000 backups, and only what is served takes memory."""

    __slots__ = ("backup", "_serializers", "_rendered")

    def __init__(self, backup: Backup, serializers: Serializers) -> None:
        self.backup = backup
        self._serializers = serializers
        self._rendered: list[bytes] | None = None

    @property
    def rendered(self) -> list[bytes]:
        """JSON bytes per view slot (Serializers.slot(view) says which)."""
        rendered = self._rendered
        if rendered is None:
            rendered = self._rendered = self._serializers.render(self.backup)
        return rendered


def sort_key(entry: Entry) -> tuple[int, str]:
    """Newest first, then by sid; whole microseconds so no float rounding ties two backups."""
    backup = entry.backup
    return (-((backup.created_at - _EPOCH) // _MICROSECOND), backup.sid)


class BackupStore:
    def __init__(self, fixtures: FixtureSet, serializers: Serializers, create_delay: float = 0.0) -> None:
        self.fixtures = fixtures
        self.serializers = serializers
        self.create_delay = create_delay  # seconds before a created backup joins its list
        self.on_change: Callable[[], None] | None = None  # called when created backups change
        self._version = 0  # changes with every change to any list (see version())
        self.reset()

    def reset(self) -> None:
        """Forget created backups: back to the fixtures."""
        self._created: dict[str, Entry] = {}  # sid -> entry, in creation order
        self._pending: deque[tuple[float, Entry]] = deque()  # (monotonic due time, entry), FIFO
        self._rebuild()
        self._changed()

    def _rebuild(self) -> None:
        self._by_org: dict[str, list[Entry]] = {sid: [] for sid in self.fixtures.organizations}
        self._by_sid: dict[str, Entry] = {}
        for backup in self.fixtures.backups:
            entry = Entry(backup, self.serializers)
            self._by_org[backup.organization].append(entry)
            self._by_sid[backup.sid] = entry
        waiting = {entry.backup.sid for _, entry in self._pending}
        for sid, entry in self._created.items():
            self._by_sid[sid] = entry
            if sid not in waiting:
                self._by_org[entry.backup.organization].append(entry)
        for entries in self._by_org.values():
            entries.sort(key=sort_key)
        self._version += 1

    def version(self) -> int:
        """A number that changes whenever any list may have changed (page caches compare it)."""
        if self._pending:
            self._promote()
        return self._version

    def _changed(self) -> None:
        self._version += 1
        if self.on_change is not None:
            self.on_change()

    def _promote(self) -> None:
        """Move created backups whose delay has passed into their lists."""
        now = time.monotonic()
        while self._pending and self._pending[0][0] <= now:
            _, entry = self._pending.popleft()
            bisect.insort(self._by_org[entry.backup.organization], entry, key=sort_key)
            self._version += 1

    def count(self, organization: str) -> int:
        if self._pending:
            self._promote()
        return len(self._by_org.get(organization, ()))

    def slice(self, organization: str, start: int, stop: int) -> list[Entry]:
        if self._pending:
            self._promote()
        return self._by_org.get(organization, [])[start:stop]

    def get(self, sid: str) -> Entry | None:
        return self._by_sid.get(sid)

    @property
    def organizations(self) -> dict[str, Organization]:
        return self.fixtures.organizations

    def organization_of(self, sid: str) -> str | None:
        entry = self._by_sid.get(sid)
        return entry.backup.organization if entry is not None else None

    def sample(self) -> Backup:
        """A backup as `create` would make it, for the start-up check of answers (not stored)."""
        organization = next(iter(self.fixtures.organizations), "sample")
        entries = self._by_org.get(organization) or []
        return new_backup(self.serializers.shape, organization, self._by_sid, entries[0].backup if entries else None)

    def create(self, organization: str) -> Entry:
        entries = self._by_org[organization]
        newest = entries[0].backup if entries else None
        for _, waiting in reversed(self._pending):
            if waiting.backup.organization == organization:
                newest = waiting.backup  # the newest of the organization, listed or not yet
                break
        backup = new_backup(self.serializers.shape, organization, self._by_sid, newest)
        entry = Entry(backup, self.serializers)
        if self.create_delay > 0:
            self._pending.append((time.monotonic() + self.create_delay, entry))
        else:
            bisect.insort(entries, entry, key=sort_key)
        self._by_sid[backup.sid] = entry
        self._created[backup.sid] = entry
        self._changed()
        return entry

    # -- created backups: reload, persistence, dynamic data -------------------------------

    def created(self) -> list[Backup]:
        """Every created backup (listed or still waiting), oldest creation first."""
        return [entry.backup for entry in self._created.values()]

    def created_in(self, organization: str) -> list[Entry]:
        """The organization's created backups that its list shows, newest first."""
        if self._pending:
            self._promote()
        return [entry for entry in self._by_org.get(organization, ()) if entry.backup.sid in self._created]

    def restore(self, backups: Iterable[Backup]) -> None:
        """Add backups created by an earlier run (already checked), listed at once."""
        for backup in backups:
            self._created[backup.sid] = Entry(backup, self.serializers)
        self._rebuild()

    def replace_fixtures(self, fixtures: FixtureSet) -> list[Backup]:
        """Serve new fixtures under the created backups; returns the created ones dropped
        because their organization is gone or a fixture now uses their sid."""
        fixture_sids = {backup.sid for backup in fixtures.backups}
        dropped = [
            entry.backup
            for entry in self._created.values()
            if entry.backup.organization not in fixtures.organizations or entry.backup.sid in fixture_sids
        ]
        for backup in dropped:
            del self._created[backup.sid]
        self._pending = deque(item for item in self._pending if item[1].backup.sid in self._created)
        self.fixtures = fixtures
        self._rebuild()
        if dropped:
            self._changed()
        return dropped
