"""Live fixtures: reload the fixture files when they change while the mock runs.

A background task (started by the app's lifespan) watches the fixture directory with
watchfiles, the file watcher uvicorn[standard] already brings. After a change to one of the
three files the whole set is loaded and checked again, in a worker thread so requests are
still answered meanwhile: if it is valid, the store serves it
(created backups stay, unless their organization is gone) and the users and tokens are
replaced; if not, the previous fixtures stay and the error, naming the file and the entry,
is printed. `POST /__mock/reset` restores the fixtures last loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from mockserver.api.auth import Authenticator
from mockserver.data.fixture_cache import FixtureCache
from mockserver.data.fixtures import FILES, FixtureSet, load_fixtures
from mockserver.data.records import RecordShape
from mockserver.exceptions import FixtureError
from mockserver.store.backups import BackupStore
from mockserver.text import one_line

RETRY_SECONDS = 1.0
DEBOUNCE_MS = 300  # editors write a file in several steps; wait for them to settle


class FixtureReloader:
    def __init__(
        self,
        directory: Path,
        shape: RecordShape,
        store: BackupStore,
        authenticator: Authenticator,
        on_reload: Callable[[FixtureSet], None] | None = None,
        cache: FixtureCache | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.shape = shape
        self.store = store
        self.authenticator = authenticator
        self.on_reload = on_reload
        self.cache = cache

    def reload(self) -> bool:
        """Load the files again; True when the new fixtures are served."""
        return self.apply(self.load())

    def load(self) -> FixtureSet | None:
        """The fixtures as the files now say, or None (and the error printed)."""
        try:
            return load_fixtures(self.directory, self.shape, self.cache)
        except FixtureError as exc:
            problem = str(exc)
        except Exception as exc:  # a loader bug must not end the watching: say it, keep serving
            problem = f"{self.directory}: the files could not be read ({type(exc).__name__}: {exc})"
        print(one_line(f"backup-mock: fixtures NOT reloaded, still serving the previous ones: {problem}"),
              file=sys.stderr, flush=True)
        return None

    def apply(self, fixtures: FixtureSet | None) -> bool:
        """Serve freshly loaded fixtures (on the event loop's thread, like every request)."""
        if fixtures is None:
            return False
        dropped = self.store.replace_fixtures(fixtures)
        self.authenticator.replace_users(fixtures.users)
        if self.on_reload is not None:
            self.on_reload(fixtures)
        print(f"backup-mock: fixtures reloaded from {self.directory}: {len(fixtures.organizations)} organizations, "
              f"{len(fixtures.users)} users, {len(fixtures.backups)} backups", flush=True)
        if dropped:
            print(one_line(f"backup-mock: {len(dropped)} created backup(s) dropped, a fixture now uses their "
                           f"sid: {', '.join(dropped)}"), file=sys.stderr, flush=True)
        for organization, count in self.store.orphans().items():
            print(one_line(f"backup-mock: {count} created backup(s) of organization {organization!r}, which the "
                           "fixtures no longer have, are kept (served again once it is back)"),
                  file=sys.stderr, flush=True)
        return True

    async def watch(self, stop: asyncio.Event) -> None:
        from watchfiles import awatch

        def relevant(_: Any, path: str) -> bool:
            return Path(path).name in FILES

        while not stop.is_set():
            try:
                async for _ in awatch(self.directory, watch_filter=relevant, debounce=DEBOUNCE_MS, step=50,
                                      stop_event=stop, recursive=False):
                    # large files take a while to parse: do it off the loop, requests keep being answered
                    fixtures = await asyncio.to_thread(self.load)
                    try:
                        self.apply(fixtures)
                    except Exception as exc:  # never stop watching: the next save is another chance
                        print(one_line(f"backup-mock: fixtures NOT reloaded ({type(exc).__name__}: {exc})"),
                              file=sys.stderr, flush=True)
            except Exception as exc:  # the folder vanished, the watcher failed: watch again shortly
                print(one_line(f"backup-mock: watching {self.directory} failed ({exc!r}); trying again"),
                      file=sys.stderr, flush=True)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), RETRY_SECONDS)

    @contextlib.asynccontextmanager
    async def running(self, app: Any = None) -> AsyncIterator[None]:
        """A Starlette lifespan: watch while the server runs."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.watch(stop))
        try:
            yield
        finally:
            stop.set()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=5)
