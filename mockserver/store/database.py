"""The SQLite database that holds created backups (Python's sqlite3: no extra dependency).

With `--state FILE` it is that file: WAL mode, `synchronous=NORMAL`, one transaction per
created backup. A commit is a write into the write-ahead log, which the operating system
keeps even if the mock is killed (`kill -9`), so nothing acknowledged is lost with the
process; a power cut may lose the last moments (SQLite's documented trade-off for NORMAL).
The log is folded back into the file (a checkpoint, which fsyncs) by a background thread with
its own connection, never by a request. Anyone can read the file with any SQLite tool while
the mock runs (`sqlite3 FILE 'select record from backups'`).

Without `--state` it is SQLite's private temporary database (an empty file name): on disk, so
created backups cost the mock's memory nothing but a bounded page cache, and gone when the
mock stops, however it stops.

An older mock kept `--state` as a JSON file: such a file is read once, its backups moved
into a new database at the same path and the JSON kept beside it as `FILE.json-migrated`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from mockserver.exceptions import StateError

SCHEMA_VERSION = 2  # PRAGMA user_version of a state database (1 was the JSON file)
JSON_FORMAT = "labii-backup-mock/state"
MAGIC = b"SQLite format 3\x00"
CACHE_KIB = 4 * 1024  # SQLite's page cache: the memory created backups may take
CHECKPOINT_SECONDS = 2.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS backups (
    organization TEXT NOT NULL,
    pos INTEGER NOT NULL,          -- 0 for the organization's first created backup, then 1, 2, ...
    sid TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,      -- the backup's date_created, for people reading the file
    micros INTEGER NOT NULL,       -- date_created in microseconds since 1970: the list's order
    record TEXT NOT NULL,          -- the backup's fields as JSON, exactly as the API shows them
    PRIMARY KEY (organization, pos)
) WITHOUT ROWID;
"""


class Database:
    """One connection, used on the event loop's thread, plus a checkpointer for file databases."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.migrated: list[dict[str, Any]] = []  # entries read from an old JSON state file
        if path is not None:
            path = Path(path)
            _clean_leftovers(path)
            if path.exists() and not _is_sqlite(path):
                self.migrated = _read_json_state(path)
                try:
                    os.replace(path, path.with_name(path.name + ".json-migrated"))
                except OSError as exc:
                    raise StateError(f"{path}: cannot move the old JSON state aside ({exc.strerror})") from None
        try:
            # made at start-up, then used by the event loop's thread only (sqlite3 is serialized anyway)
            self.connection = sqlite3.connect(str(path) if path is not None else "", isolation_level=None,
                                              check_same_thread=False)
            self.connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            if path is not None:
                mode = self.connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StateError(f"{path}: SQLite cannot use a write-ahead log here ({mode})")
                self.connection.execute("PRAGMA synchronous = NORMAL")
                self.connection.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer thread does it
            version = self.connection.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise StateError(f"{path}: a state database of another version ({version}); move it away")
            self.connection.executescript(SCHEMA)
            self.connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.OperationalError as exc:
            raise StateError(f"{path}: cannot open or create the state file ({exc})") from None
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{path}: not a state file of this mock ({exc})") from None
        except OSError as exc:
            raise StateError(f"{path}: cannot open the state file ({exc})") from None
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None
        if path is not None:
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="state-checkpointer",
                                                  daemon=True)
            self._checkpointer.start()

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, parameters)

    def _checkpoint_loop(self) -> None:
        """Fold the write-ahead log into the file, off the event loop (a checkpoint fsyncs)."""
        assert self.path is not None
        with contextlib.closing(sqlite3.connect(str(self.path), isolation_level=None)) as own:
            while not self._stop.wait(CHECKPOINT_SECONDS):
                with contextlib.suppress(sqlite3.Error):
                    own.execute("PRAGMA wal_checkpoint(PASSIVE)")
            with contextlib.suppress(sqlite3.Error):
                own.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=10)
        with contextlib.suppress(sqlite3.Error):
            self.connection.close()


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError as exc:
        raise StateError(f"{path}: cannot read the state file ({exc.strerror})") from None


def _read_json_state(path: Path) -> list[dict[str, Any]]:
    """The backups of an old JSON state file (checked later, like every restored backup)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: cannot read the state file ({exc})") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise StateError(f"{path}: neither a state database nor a JSON state file ({exc}); "
                         "fix or delete the file") from None
    if not isinstance(document, dict) or document.get("format") != JSON_FORMAT \
            or not isinstance(document.get("backups"), list):
        raise StateError(f"{path}: not a state file of this mock (expected a SQLite database, or the JSON "
                         f"format {JSON_FORMAT!r} with a list of backups)")
    return list(document["backups"])


def _clean_leftovers(path: Path) -> None:
    """Temporary files an older mock left beside its JSON state when it was killed mid-write."""
    with contextlib.suppress(OSError):
        for leftover in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()
