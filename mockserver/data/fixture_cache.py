"""A disk cache of checked backup fixtures: a large file is parsed once, not at every start.

libyaml, driven from Python, parses about 5 MB/s: 100,000 backups (25 MB of YAML) take
seconds. Once a file's entries have been parsed and checked (bulk.py, in a child process), the
result is kept as rows the mock reads in a fraction of a second, under a key made of the
SHA-256 of the file's bytes, of the record schema the spec gives backups, of the parsers'
versions and of the Python that packed the values (marshal's format is Python's own). Any
change to any of them gives a new key, so a hit holds exactly what parsing and checking that
file would give. The check that involves another file (every backup's
organization is in organizations.yaml) runs again on every load.

Files under `min_bytes` are not cached: parsing them is quicker than reading a cache entry.
The cache only ever saves time: an entry that cannot be read is a miss, a directory that
cannot be written is skipped, and only the `keep` most recently used entries are kept.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import stat
import sys
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

import yaml

from mockserver.data import bulk

MIN_BYTES = 1 << 20
KEEP = 4
SUFFIX = ".rows"


def default_directory() -> Path:
    """`$XDG_CACHE_HOME/labii-backup-mock`, else `~/.cache/labii-backup-mock`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "labii-backup-mock"


def key_of(path: Path, schema: dict[str, Any]) -> str:
    """What a cached result depends on: the file, the record schema, the parsers and Python. The file is
    hashed in pieces: the mock never holds a large file's bytes (memory it would keep)."""
    digest = hashlib.sha256()
    for part in (f"format {bulk.FORMAT} marshal {marshal.version} {sys.implementation.cache_tag}",
                 f"PyYAML {yaml.__version__} {bulk._SAFE_LOADER.__name__}",
                 json.dumps(schema, sort_keys=True, separators=(",", ":"))):
        digest.update(part.encode("utf-8") + b"\0")
    with open(path, "rb") as handle:
        for piece in iter(lambda: handle.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


class FixtureCache:
    def __init__(self, directory: str | Path, min_bytes: int = MIN_BYTES, keep: int = KEEP) -> None:
        self.directory = Path(directory)
        self.min_bytes = min_bytes
        self.keep = keep

    def path(self, key: str) -> Path:
        return self.directory / (key + SUFFIX)

    def new_path(self) -> Path | None:
        """Where a new entry is written before it is renamed into place (None: cannot write here, or
        others can: see `trusted`)."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            os.close(handle)
        except OSError:
            return None
        if not self.trusted(Path(name)):
            with suppress(OSError):
                os.unlink(name)
            return None
        return Path(name)

    def keep_entry(self, written: Path, key: str) -> None:
        """Move a fully written entry into place (a reader never sees half of one), then prune."""
        try:
            os.replace(written, self.path(key))
        except OSError:
            with suppress(OSError):
                written.unlink()
            return
        self._prune()

    def trusted(self, path: Path) -> bool:
        """Whether an entry can only have been written by this user: the file and its directory are
        theirs and nobody else may write to them (entries are marshal data, bulk.py: never read from
        anyone else). A `--cache-dir` shared with others is then a cache that always misses."""
        if not hasattr(os, "getuid"):  # no owners to compare (Windows): the user's profile directory is private
            return True
        try:
            checked = [path.stat(), path.parent.stat()]
        except OSError:
            return False
        return all(found.st_uid == os.getuid() and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
                   for found in checked)

    def touch(self, key: str) -> None:
        with suppress(OSError):
            os.utime(self.path(key))  # most recently used: kept longest

    def _prune(self) -> None:
        entries = []
        for path in self.directory.glob("*" + SUFFIX):
            with suppress(OSError):  # another mock may prune the same files
                entries.append((path.stat().st_mtime, path))
        entries.sort(reverse=True)
        for _, path in entries[self.keep:]:
            with suppress(OSError):
                path.unlink()
