"""Start-up settings, read once from the command line (or given directly in tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .fixtures import DEFAULT_FIXTURES_DIR
from .spec import DEFAULT_SPEC_PATH

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4010
API_PREFIXES = ("", "/v1")  # served at the root and under the production base path


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    fixtures_dir: Path = DEFAULT_FIXTURES_DIR
    spec_path: Path = DEFAULT_SPEC_PATH
    cors_origins: tuple[str, ...] = ("*",)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"
