"""Every organization's backups, newest first: the fixtures (memory) and the created ones (SQLite).

Each organization's fixture backups are kept sorted (date_created descending, then sid), so
a page of them is a slice, whatever the collection's size or the page number. Created
backups live in SQLite (created.py). A created backup is newer than every backup its
organization had when it was made, so normally all of them come first and a page is a range
of them followed by a slice of the fixtures. When reloaded fixtures (or an old state file)
put some fixture backups ahead of created ones, a page is found by a binary search for where
the two sequences meet and a merge of one page of each: still proportional to the page, not
to the organization. The store runs on the event loop's single thread; nothing awaits while
it changes, so no lock is needed.

With a `create_delay`, a new backup joins its list only once the delay has passed; its
detail URL answers at once (the spec links the POST to it).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from itertools import groupby
from operator import attrgetter

from mockserver.data.factory import new_backup
from mockserver.data.fixtures import FixtureSet
from mockserver.data.models import Backup, Organization
from mockserver.data.serializers import Serializers
from mockserver.store.created import CreatedBackups
from mockserver.store.entry import Entry, sort_key, stored_all


class BackupStore:
    def __init__(self, fixtures: FixtureSet, serializers: Serializers, created: CreatedBackups,
                 create_delay: float = 0.0) -> None:
        self.fixtures = fixtures
        self.serializers = serializers
        self.created = created
        self.create_delay = create_delay  # seconds before a created backup joins its list
        self.on_change: Callable[[], None] | None = None  # called when created backups change
        self._version = 0  # changes with every change to any list (see version())
        self._created_first: dict[str, bool] = {}  # organization -> all its created backups come first
        self._rebuild()

    def reset(self) -> None:
        """Forget created backups: back to the fixtures."""
        self.created.clear()
        self._created_first.clear()
        self._changed()

    def _rebuild(self) -> None:
        """Index the fixtures' backups by organization and by sid (C loops: 100,000 of them at start-up)."""
        self._by_org: dict[str, list[Entry]] = {sid: [] for sid in self.fixtures.organizations}
        entries = stored_all(self.fixtures.backups, self.serializers)
        self._by_sid: dict[str, Entry] = dict(zip(map(attrgetter("sid"), entries), entries, strict=True))
        for organization, run in groupby(entries, attrgetter("organization")):
            self._by_org[organization].extend(run)
        if not self.fixtures.presorted:  # rows from a file come in the list's order already
            for listed in self._by_org.values():
                listed.sort(key=sort_key)
        self._created_first.clear()
        self._version += 1

    def version(self) -> int:
        """A number that changes whenever any list may have changed (page caches compare it)."""
        if self.created.pending and self.created.promote():
            self._version += 1
        return self._version

    def _changed(self) -> None:
        self._version += 1
        if self.on_change is not None:
            self.on_change()

    # -- reads ----------------------------------------------------------------------------------

    @property
    def organizations(self) -> dict[str, Organization]:
        return self.fixtures.organizations

    def count(self, organization: str) -> int:
        self.version()
        if organization not in self._by_org:
            return 0
        return len(self._by_org[organization]) + self.created.count(organization)

    def slice(self, organization: str, start: int, stop: int) -> list[Entry]:
        self.version()
        fixtures = self._by_org.get(organization)
        if fixtures is None:
            return []
        made = self.created.count(organization)
        if made == 0:
            return fixtures[start:stop]
        if self._all_created_first(organization, fixtures, made):
            return self.created.slice(organization, start, stop) + \
                fixtures[max(0, start - made):max(0, stop - made)]
        return self._merged(organization, fixtures, made, start, stop)

    def created_count(self, organization: str) -> int:
        self.version()
        return self.created.count(organization) if organization in self._by_org else 0

    def created_slice(self, organization: str, start: int, stop: int) -> list[Entry]:
        """The organization's listed created backups alone, newest first (dynamic data)."""
        self.version()
        return self.created.slice(organization, start, stop) if organization in self._by_org else []

    def get(self, sid: str) -> Entry | None:
        return self._by_sid.get(sid) or self.created.get(sid)

    def organization_of(self, sid: str) -> str | None:
        entry = self.get(sid)
        return entry.backup.organization if entry is not None else None

    def _all_created_first(self, organization: str, fixtures: list[Entry], made: int) -> bool:
        known = self._created_first.get(organization)
        if known is None:
            known = not fixtures or self.created.key_at(organization, made - 1) < sort_key(fixtures[0])
            self._created_first[organization] = known
        return known

    def _merged(self, organization: str, fixtures: list[Entry], made: int, start: int, stop: int) -> list[Entry]:
        """[start:stop] of the two sorted sequences merged, from one page of each."""
        count = len(fixtures) + made
        start, stop = min(start, count), min(stop, count)
        taken = self._fixtures_before(organization, fixtures, made, start)
        size = stop - start
        left = fixtures[taken:taken + size]
        right = self.created.slice(organization, start - taken, start - taken + size)
        merged: list[Entry] = []
        while len(merged) < size and (left or right):
            if right and (not left or sort_key(right[0]) < sort_key(left[0])):
                merged.append(right.pop(0))
            else:
                merged.append(left.pop(0))
        return merged

    def _fixtures_before(self, organization: str, fixtures: list[Entry], made: int, position: int) -> int:
        """How many fixture backups are among the first `position` of the merged list."""
        low, high = max(0, position - made), min(position, len(fixtures))
        while low < high:
            taken = (low + high) // 2
            # taken fixtures and (position - taken) created ones: too few fixtures when the next
            # fixture comes before the last created one counted
            if sort_key(fixtures[taken]) < self.created.key_at(organization, position - taken - 1):
                low = taken + 1
            else:
                high = taken
        return low

    # -- changes --------------------------------------------------------------------------------

    def newest_fixture(self, organization: str) -> Backup | None:
        fixtures = self._by_org.get(organization)
        return fixtures[0].backup if fixtures else None

    def newest(self, organization: str) -> Backup | None:
        """The organization's newest backup, listed or not yet (a new one must follow it)."""
        fixtures = self._by_org.get(organization) or []
        candidates = [entry.backup for entry in (self.created.newest(organization), *fixtures[:1]) if entry]
        return max(candidates, key=lambda backup: (backup.created_at, backup.sid), default=None)

    def create(self, organization: str) -> Entry:
        backup = new_backup(self.serializers.shape, organization, self, self.newest(organization))
        entry = self.created.add(backup, self.create_delay)
        self._changed()
        return entry

    def __contains__(self, sid: object) -> bool:
        """Whether a sid is taken (by a fixture or a created backup): new sids must not be."""
        return isinstance(sid, str) and self.get(sid) is not None

    def sample(self) -> Backup:
        """A backup as `create` would make it, for the start-up check of answers (not stored)."""
        organization = next(iter(self.fixtures.organizations), "sample")
        return new_backup(self.serializers.shape, organization, self, self.newest(organization))

    def replace_fixtures(self, fixtures: FixtureSet) -> list[str]:
        """Serve new fixtures beside the created backups; returns the created sids dropped because
        a fixture now uses them. Created backups of organizations the new fixtures lack are kept,
        unlisted, until the organization is back."""
        dropped = self.created.drop(self.created.colliding({backup.sid for backup in fixtures.backups}))
        self.fixtures = fixtures
        self._rebuild()
        if dropped:
            self._changed()
        return dropped

    def orphans(self) -> dict[str, int]:
        """Created backups kept for organizations the fixtures do not have: organization -> count."""
        return {organization: count for organization, count in self.created.total.items()
                if count and organization not in self.fixtures.organizations}


def insort(entries: list[Entry], entry: Entry) -> None:
    bisect.insort(entries, entry, key=sort_key)
