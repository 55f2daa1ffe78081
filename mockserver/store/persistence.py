"""`--state FILE`: created backups survive restarts, in a small JSON file.

The file holds the backups created through the API (never the fixtures'), each with its
organization. It is read at start-up, every entry checked like a fixture backup; entries of
organizations the fixtures no longer have, or whose sid a fixture now uses, are dropped with
a warning. After every change (create, reset, a reload that dropped some) the whole file is
written again, atomically: a temporary file beside it, flushed to disk, then `os.replace`.
A file that cannot be read or written at start-up stops the server with a StateError.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mockserver.data.fixtures import check_backups
from mockserver.exceptions import FixtureError, StateError
from mockserver.store.memory import BackupStore

FORMAT = "labii-backup-mock/state"
VERSION = 1


def warn(message: str) -> None:
    print(f"backup-mock: {message}", file=sys.stderr, flush=True)


class StateFile:
    def __init__(self, path: Path, store: BackupStore) -> None:
        self.path = Path(path)
        self.store = store

    def attach(self) -> int:
        """Restore the saved backups into the store, save from now on; returns how many were restored."""
        restored = self.load()
        self.save(strict=True)  # proves at start-up that the file can be written
        self.store.on_change = self.save
        return restored

    def load(self) -> int:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return 0
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"{self.path}: cannot read the state file ({exc})") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StateError(f"{self.path}: not valid JSON ({exc}); fix or delete the file") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT \
                or not isinstance(document.get("backups"), list):
            raise StateError(
                f"{self.path}: not a state file of this mock (expected format {FORMAT!r} with a list of backups)"
            )
        fixtures = self.store.fixtures
        fixture_sids = {backup.sid for backup in fixtures.backups}
        kept: list[Any] = []
        for index, raw in enumerate(document["backups"]):
            organization = raw.get("organization") if isinstance(raw, dict) else None
            sid = raw.get("sid") if isinstance(raw, dict) else None
            if isinstance(raw, dict) and organization not in fixtures.organizations:
                warn(f"{self.path}: entry {index + 1} (sid {sid!r}) dropped: "
                     f"organization {organization!r} is not in the fixtures")
            elif isinstance(raw, dict) and sid in fixture_sids:
                warn(f"{self.path}: entry {index + 1} (sid {sid!r}) dropped: a fixture backup has that sid")
            else:
                kept.append(raw)
        try:
            backups = check_backups(self.path, kept, self.store.serializers.shape, fixtures.organizations)
        except FixtureError as exc:
            raise StateError(f"{exc}; fix or delete the file") from None
        self.store.restore(backups)
        return len(backups)

    def save(self, strict: bool = False) -> None:
        shape = self.store.serializers.shape
        document = {
            "format": FORMAT,
            "version": VERSION,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "backups": [{"organization": backup.organization, **shape.as_dict(backup)}
                        for backup in self.store.created()],
        }
        data = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
        try:
            write_atomically(self.path, data)
        except OSError as exc:
            if strict:
                raise StateError(f"{self.path}: cannot write the state file ({exc})") from None
            warn(f"{self.path}: could not save the state ({exc}); the backups stay in memory")


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file in the same folder, sync it, then rename it over `path`."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
