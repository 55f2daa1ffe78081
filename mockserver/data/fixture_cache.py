"""A disk cache of checked backup fixtures: a large file is parsed once, not at every start.

libyaml, driven from Python, parses about 5 MB/s: 100,000 backups (25 MB of YAML) take about
5 s, most of a start-up. Once a file's entries have been parsed and have passed the spec's
`Backup` schema, they are kept as JSON, which Python reads about fifty times faster, under a
key made of the SHA-256 of the file's bytes, of the `Backup` schema and of the parser's
version. Any change to any of them gives a new key, so a hit holds exactly what parsing and
checking that file would give. The checks that involve the other files (known organization,
duplicate sids) still run on every load.

Files under `min_bytes` are not cached: parsing them is quicker than writing a cache entry.
The cache only ever saves time: an entry that cannot be read is a miss, a directory that
cannot be written is skipped, and only the `keep` most recently used entries are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

import yaml

FORMAT = 1  # bump when what an entry holds changes
MIN_BYTES = 1 << 20
KEEP = 4
_SUFFIX = ".json"


def default_directory() -> Path:
    """`$XDG_CACHE_HOME/labii-backup-mock`, else `~/.cache/labii-backup-mock`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "labii-backup-mock"


class FixtureCache:
    def __init__(self, directory: str | Path, min_bytes: int = MIN_BYTES, keep: int = KEEP) -> None:
        self.directory = Path(directory)
        self.min_bytes = min_bytes
        self.keep = keep

    def wants(self, content: bytes) -> bool:
        return len(content) >= self.min_bytes

    @staticmethod
    def key(content: bytes, schema: dict[str, Any], parser: str) -> str:
        digest = hashlib.sha256()
        for part in (f"format {FORMAT}", f"PyYAML {yaml.__version__} {parser}",
                     json.dumps(schema, sort_keys=True, separators=(",", ":"))):
            digest.update(part.encode("utf-8") + b"\0")
        digest.update(content)
        return digest.hexdigest()

    def get(self, key: str) -> list[dict[str, Any]] | None:
        """The checked entries stored under the key, or None."""
        path = self.directory / (key + _SUFFIX)
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError):  # missing, unreadable, truncated or not JSON: a miss
            return None
        if not isinstance(document, dict) or document.get("key") != key:
            return None
        entries = document.get("entries")
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            return None
        with suppress(OSError):
            os.utime(path)  # most recently used: kept longest
        return entries

    def put(self, key: str, entries: list[dict[str, Any]]) -> None:
        """Store checked entries (atomically: a reader never sees half an entry)."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            payload = json.dumps({"key": key, "entries": entries}, ensure_ascii=False,
                                 separators=(",", ":")).encode("utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(payload)
                os.replace(temporary, self.directory / (key + _SUFFIX))
            except BaseException:
                with suppress(OSError):  # another mock may prune the same files
                    os.unlink(temporary)
                raise
            self._prune()
        except (OSError, TypeError, ValueError):  # read-only home, full disk, ...: no cache, no harm
            return

    def _prune(self) -> None:
        entries = []
        for path in self.directory.glob("*" + _SUFFIX):
            with suppress(OSError):  # another mock may prune the same files
                entries.append((path.stat().st_mtime, path))
        entries.sort(reverse=True)
        for _, path in entries[self.keep:]:
            with suppress(OSError):  # another mock may prune the same files
                path.unlink()
