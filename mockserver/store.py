"""In-memory backups: newest first per organization, found by sid, restorable.

Each organization's backups are kept sorted (date_created descending, then sid) so a page
is a slice, whatever the collection's size or the page number. Every entry carries its
pre-rendered JSON. The store runs on the event loop's single thread; nothing awaits while
it changes, so no lock is needed.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass

from .factory import new_backup
from .fixtures import FixtureSet
from .models import Backup
from .serializers import Serializers

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Entry:
    backup: Backup
    rendered: dict[str, bytes]  # serializer name -> JSON bytes


def sort_key(entry: Entry) -> tuple[int, str]:
    """Newest first, then by sid; whole microseconds so no float rounding ties two backups."""
    backup = entry.backup
    return (-((backup.created_at - _EPOCH) // _MICROSECOND), backup.sid)


class BackupStore:
    def __init__(self, fixtures: FixtureSet, serializers: Serializers) -> None:
        self.fixtures = fixtures
        self.serializers = serializers
        self.reset()

    def reset(self) -> None:
        """Forget created backups: back to the fixtures."""
        self._by_org: dict[str, list[Entry]] = {sid: [] for sid in self.fixtures.organizations}
        self._by_sid: dict[str, Entry] = {}
        for backup in self.fixtures.backups:
            entry = Entry(backup, self.serializers.render(backup))
            self._by_org[backup.organization].append(entry)
            self._by_sid[backup.sid] = entry
        for entries in self._by_org.values():
            entries.sort(key=sort_key)

    def count(self, organization: str) -> int:
        return len(self._by_org.get(organization, ()))

    def slice(self, organization: str, start: int, stop: int) -> list[Entry]:
        return self._by_org.get(organization, [])[start:stop]

    def get(self, sid: str) -> Entry | None:
        return self._by_sid.get(sid)

    def create(self, organization: str) -> Entry:
        entries = self._by_org[organization]
        newest = entries[0].backup if entries else None
        backup = new_backup(organization, self._by_sid, newest)
        entry = Entry(backup, self.serializers.render(backup))
        bisect.insort(entries, entry, key=sort_key)
        self._by_sid[backup.sid] = entry
        return entry
