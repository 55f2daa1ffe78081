"""Where Hypothesis keeps its files during a run: a cache directory of the user, never the cwd.

Hypothesis derives tables from the Unicode database and the local sources once and keeps them
in its storage directory; computing them again costs about two seconds, so a fresh temporary
directory per run made every run that much slower. The kit points Hypothesis at
`$XDG_CACHE_HOME/backup-contracts/hypothesis` (else `~/.cache/...`), or a temporary directory
when that cannot be written, unless the user chose one (HYPOTHESIS_STORAGE_DIRECTORY, or a
directory set through Hypothesis' own API). Generated examples are never stored (the kit runs
Hypothesis without an example database).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def cache_directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "backup-contracts" / "hypothesis"


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, delete=True)
        probe.close()
        return True
    except OSError:
        return False


@contextmanager
def hypothesis_storage() -> Iterator[None]:
    import hypothesis.configuration as configuration

    default = Path.cwd() / ".hypothesis"
    current = configuration.storage_directory(intent_to_write=False).home_directory
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") or Path(current) != default:
        yield  # the user's choice
        return
    wanted = cache_directory()
    with tempfile.TemporaryDirectory(prefix="backup-contracts-") as fallback:
        configuration.set_hypothesis_home_dir(wanted if _writable(wanted) else fallback)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(None)
