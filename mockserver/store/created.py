"""Backups created through the API, kept in SQLite (database.py), never in an ever-growing list.

Each organization's created backups are numbered by `pos`, 0 for its first. A new backup is
always newer than every backup of its organization (factory.py), so `pos` order is date
order: the organization's created backups, newest first, are `pos` from the highest down, and
any page of them is one range of the primary key. Memory holds two numbers per organization
(how many were created, how many of those the list shows yet: `--create-delay` holds a new
one back) and a bounded cache of the entries last served; the rest stays on disk.

What was saved by an earlier run is checked at start like a fixture entry (record schema and
conventions); a property the spec has since made required is filled as a new backup's would
be, one it no longer declares is left out (both with a warning). Backups of organizations
the fixtures do not have are kept, not served, and served again once the organization is back.
"""

from __future__ import annotations

import json
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mockserver.data.fixtures import convention_problem
from mockserver.data.models import Backup, micros_of
from mockserver.data.records import RecordShape
from mockserver.data.serializers import Serializers
from mockserver.exceptions import StateError
from mockserver.store.database import Database
from mockserver.store.entry import Entry, stored
from mockserver.text import one_line, shown

CACHE_ENTRIES = 2048  # entries last served, kept rendered: a page of 1,000 and its details fit


def _micros(date_created: str, where: str) -> int:
    try:
        return micros_of(date_created)
    except ValueError:
        raise StateError(one_line(f"{where}: date_created {shown(date_created, 60)} is not a date")) from None


def warn(message: str) -> None:
    print(one_line(f"backup-mock: {message}"), file=sys.stderr, flush=True)


class CreatedBackups:
    def __init__(self, database: Database, serializers: Serializers) -> None:
        self.db = database
        self.serializers = serializers
        self.shape: RecordShape = serializers.shape
        self.total: dict[str, int] = {}  # organization -> created backups (listed or not yet)
        self.listed: dict[str, int] = {}  # organization -> created backups its list shows
        self.pending: deque[tuple[float, str]] = deque()  # (monotonic due time, organization), FIFO
        self._cache: OrderedDict[str, Entry] = OrderedDict()  # sid -> entry, least recently used first
        self.on_listed: Callable[[], None] | None = None

    # -- start-up -----------------------------------------------------------------------------

    def restore(self, source: str) -> int:
        """Check what the database holds (and what an old JSON state file held); returns how many."""
        if self.db.migrated:
            self._migrate(self.db.migrated, source)
        filled: set[str] = set()
        dropped: set[str] = set()
        rows = self.db.execute("SELECT organization, pos, sid, record FROM backups ORDER BY organization, pos")
        updates: list[tuple[str, str]] = []
        count = 0
        for organization, pos, sid, text in rows.fetchall():
            where = f"{source}: backup {shown(sid, 60)}"
            raw = self._raw(organization, text, where)
            missing = {name for name in self.shape.required if name not in raw and name in self.shape.filled}
            extra = {name for name in raw if name != "organization" and not self.shape.has(name)}
            raw = {key: value for key, value in raw.items() if key not in extra}
            raw.update({name: self.shape.filled[name] for name in missing})
            problem = self.shape.problem(raw) or convention_problem(raw)
            if problem:
                raise StateError(one_line(f"{where}: {problem}; fix or delete the file"))
            if raw["sid"] != sid:
                raise StateError(one_line(f"{where}: its record names another sid; fix or delete the file"))
            if missing or extra:
                filled |= missing
                dropped |= extra
                updates.append((json.dumps(self.shape.as_dict(self.shape.backup(raw)), ensure_ascii=False), sid))
            self.total[organization] = max(self.total.get(organization, 0), pos + 1)
            count += 1
        for text, sid in updates:
            self.db.execute("UPDATE backups SET record = ? WHERE sid = ?", (text, sid))
        if filled:
            warn(f"{source}: saved backups got the new required field(s) {', '.join(sorted(filled))}")
        if dropped:
            warn(f"{source}: field(s) the spec no longer declares left out of saved backups: "
                 f"{', '.join(sorted(dropped))}")
        self._renumber_gaps()
        self.listed = dict(self.total)
        return count

    def _raw(self, organization: str, text: str, where: str) -> dict[str, Any]:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            raise StateError(one_line(f"{where}: its record is not JSON; fix or delete the file")) from None
        if not isinstance(value, dict):
            raise StateError(one_line(f"{where}: its record is not a JSON object; fix or delete the file"))
        return {**value, "organization": organization}

    def _migrate(self, entries: list[Any], source: str) -> None:
        """Backups of an old JSON state file, put in the database in date order per organization."""
        rows: list[tuple[str, int, str, str, str]] = []
        for index, raw in enumerate(entries):
            where = f"{source}: entry {index + 1}"
            if not isinstance(raw, dict) or not isinstance(raw.get("organization"), str) \
                    or not isinstance(raw.get("sid"), str) or not isinstance(raw.get("date_created"), str):
                raise StateError(f"{where}: not a saved backup; fix or delete the file")
            fields = {key: value for key, value in raw.items() if key != "organization"}
            rows.append((raw["organization"], _micros(raw["date_created"], where), raw["sid"],
                         raw["date_created"], json.dumps(fields, ensure_ascii=False)))
        rows.sort(key=lambda row: (row[0], -row[1], row[2]), reverse=True)  # pos 0 last in the list's order
        next_pos: dict[str, int] = {}
        with self._transaction():
            for organization, micros, sid, created_at, record in rows:
                pos = next_pos.get(organization, 0)
                next_pos[organization] = pos + 1
                self.db.execute("INSERT OR IGNORE INTO backups VALUES (?, ?, ?, ?, ?, ?)",
                                (organization, pos, sid, created_at, micros, record))
        warn(f"{source}: {len(rows)} backup(s) moved from the old JSON state file into this SQLite database "
             f"(the JSON is kept as {Path(source).name}.json-migrated)")

    def _renumber_gaps(self) -> None:
        """`pos` must be 0..n-1 in date order: after a hand edit of the file it may not be."""
        for organization in list(self.total):
            rows = self.db.execute("SELECT pos, micros, sid FROM backups WHERE organization = ? ORDER BY pos",
                                   (organization,)).fetchall()
            ordered = sorted(rows, key=lambda row: (-row[1], row[2]), reverse=True)  # pos 0: last in the list
            if [row[0] for row in rows] == list(range(len(rows))) and rows == ordered:
                continue
            with self._transaction():
                for offset, (_, _, sid) in enumerate(ordered):
                    self.db.execute("UPDATE backups SET pos = ? WHERE sid = ?", (-1 - offset, sid))
                self.db.execute("UPDATE backups SET pos = -1 - pos WHERE organization = ?", (organization,))
            self.total[organization] = len(rows)

    # -- changes --------------------------------------------------------------------------------

    def add(self, backup: Backup, delay: float = 0.0) -> Entry:
        """Save a new backup (newer than all of its organization's); listed now or after `delay`."""
        organization = backup.organization
        pos = self.total.get(organization, 0)
        record = json.dumps(self.shape.as_dict(backup), ensure_ascii=False)
        self.db.execute("INSERT INTO backups VALUES (?, ?, ?, ?, ?, ?)",
                        (organization, pos, backup.sid, backup.date_created, micros_of(backup), record))
        self.total[organization] = pos + 1
        if delay > 0:
            self.pending.append((time.monotonic() + delay, organization))
        else:
            self.listed[organization] = pos + 1
        entry = stored(backup, self.serializers)
        self._remember(entry)
        return entry

    def promote(self) -> bool:
        """List the created backups whose delay has passed; True when any was."""
        now = time.monotonic()
        moved = False
        while self.pending and self.pending[0][0] <= now:
            _, organization = self.pending.popleft()
            self.listed[organization] = self.listed.get(organization, 0) + 1
            moved = True
        return moved

    def clear(self) -> None:
        self.db.execute("DELETE FROM backups")
        self.total.clear()
        self.listed.clear()
        self.pending.clear()
        self._cache.clear()

    def drop(self, sids: Iterable[str]) -> list[str]:
        """Remove created backups (their sid is now a fixture's); returns the sids dropped."""
        dropped = []
        for sid in sids:
            row = self.db.execute("SELECT organization FROM backups WHERE sid = ?", (sid,)).fetchone()
            if row is None:
                continue
            with self._transaction():
                self.db.execute("DELETE FROM backups WHERE sid = ?", (sid,))
            self._cache.pop(sid, None)
            dropped.append(sid)
            self.total[row[0]] -= 1
            self.listed[row[0]] = min(self.listed.get(row[0], 0), self.total[row[0]])
            self._renumber_gaps()
        return dropped

    def colliding(self, fixture_sids: set[str]) -> list[str]:
        """Created sids that a fixture backup now uses."""
        if not self.total:
            return []
        found = []
        for (sid,) in self.db.execute("SELECT sid FROM backups"):
            if sid in fixture_sids:
                found.append(sid)
        return found

    # -- reads ----------------------------------------------------------------------------------

    def count(self, organization: str) -> int:
        return self.listed.get(organization, 0)

    def newest(self, organization: str) -> Entry | None:
        """The organization's newest created backup, listed or not yet."""
        total = self.total.get(organization, 0)
        return self._at(organization, total - 1) if total else None

    def slice(self, organization: str, start: int, stop: int) -> list[Entry]:
        """The listed created backups of an organization, newest first, [start:stop]."""
        listed = self.listed.get(organization, 0)
        stop = min(stop, listed)
        if start >= stop:
            return []
        high, low = listed - 1 - start, listed - stop  # pos range, inclusive
        rows = self.db.execute("SELECT sid, record FROM backups WHERE organization = ? AND pos BETWEEN ? AND ? "
                               "ORDER BY pos DESC", (organization, low, high)).fetchall()
        return [self._entry(organization, sid, text) for sid, text in rows]

    def key_at(self, organization: str, index: int) -> tuple[int, str]:
        """The sort key (entry.py) of the index-th listed created backup, newest first."""
        row = self.db.execute("SELECT micros, sid FROM backups WHERE organization = ? AND pos = ?",
                              (organization, self.listed.get(organization, 0) - 1 - index)).fetchone()
        return (-row[0], row[1])

    def get(self, sid: str) -> Entry | None:
        cached = self._cache.get(sid)
        if cached is not None:
            self._cache.move_to_end(sid)
            return cached
        row = self.db.execute("SELECT organization, record FROM backups WHERE sid = ?", (sid,)).fetchone()
        return self._entry(row[0], sid, row[1]) if row is not None else None

    def organization_of(self, sid: str) -> str | None:
        entry = self.get(sid)
        return entry.backup.organization if entry is not None else None

    def _at(self, organization: str, pos: int) -> Entry | None:
        row = self.db.execute("SELECT sid, record FROM backups WHERE organization = ? AND pos = ?",
                              (organization, pos)).fetchone()
        return self._entry(organization, row[0], row[1]) if row is not None else None

    def _entry(self, organization: str, sid: str, text: str) -> Entry:
        cached = self._cache.get(sid)
        if cached is not None:
            self._cache.move_to_end(sid)
            return cached
        raw = json.loads(text)
        raw["organization"] = organization
        entry = stored(self.shape.backup(raw), self.serializers)
        self._remember(entry)
        return entry

    def _remember(self, entry: Entry) -> None:
        self._cache[entry.backup.sid] = entry
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)

    def _transaction(self) -> Any:
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, database: Database) -> None:
        self.db = database

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
