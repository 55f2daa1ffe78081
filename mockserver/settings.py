"""Start-up settings, read once from the command line (or given directly in tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mockserver.data.fixture_cache import FixtureCache
from mockserver.data.fixtures import DEFAULT_FIXTURES_DIR
from mockserver.protocol import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_HEAD_BYTES,
    DEFAULT_MAX_HEADERS,
)
from mockserver.spec.document import DEFAULT_SPEC_PATH

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4010
MAX_HEADER_TIMEOUT = 3600.0
DEFAULT_PROXY_TIMEOUT = 30.0  # seconds an upstream may take to connect, or between two pieces of its answer


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    fixtures_dir: Path = DEFAULT_FIXTURES_DIR
    spec_path: Path = DEFAULT_SPEC_PATH
    cors_origins: tuple[str, ...] = ("*",)
    # Frontend features (issue 4); every default keeps the hot path as it was, but the journal.
    dynamic: bool = False  # answer reads with generated data (also per request: Prefer: dynamic=true)
    dynamic_count: int = 1000  # generated backups per organization
    seed: int | None = None  # dynamic data's seed; None picks one at start-up (printed)
    latency: tuple[float, float] | None = None  # seconds, (low, high) of a uniform draw
    create_delay: float = 0.0  # seconds before a created backup shows in the list
    journal_size: int = 1000  # requests kept by GET /__mock/requests; 0 turns the journal off
    journal_bytes: int = 8 * 1024 * 1024  # ...and at most this many bytes of them
    access_log: bool = False  # one line per request on stdout (the CLI turns it on)
    watch_fixtures: bool = False  # reload the fixture files when they change (the CLI turns it on)
    state_path: Path | None = None  # persist created backups in this JSON file
    control_from_anywhere: bool = False  # /__mock/* answer non-loopback clients too
    fixture_cache_dir: Path | None = None  # keep large backup files parsed here (the CLI turns it on)
    header_timeout: float = DEFAULT_HEADER_TIMEOUT  # close a connection whose headers take longer; 0: never
    body_timeout: float = DEFAULT_BODY_TIMEOUT  # 408 for a body that takes longer once its head is in; 0: never
    max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES  # 431 for a larger request head...
    max_headers: int = DEFAULT_MAX_HEADERS  # ...or one with more fields
    allowed_hosts: tuple[str, ...] = ("*",)  # Django's ALLOWED_HOSTS: others get 400
    scenarios_path: Path | None = None  # scenario rules in a YAML file, loaded at start (and watched)
    # Proxy and record (issue 12): forward the API to a real implementation, judge, keep what it said.
    proxy_url: str | None = None  # the implementation every API request goes to
    proxy_timeout: float = DEFAULT_PROXY_TIMEOUT  # 504 beyond it (connect, each read, each write)
    record_dir: Path | None = None  # keep the upstream's organizations and backups as a fixture directory
    proxy_fallback: bool = False  # answer from the fixtures while the upstream is down

    def fixture_cache(self) -> FixtureCache | None:
        return FixtureCache(self.fixture_cache_dir) if self.fixture_cache_dir else None

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def api_url(self, prefix: str) -> str:
        """Where the API is served under `prefix` (the spec's first server path, `/v1`)."""
        return self.root_url + prefix
