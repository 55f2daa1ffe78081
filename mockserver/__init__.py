"""A mock server for the Labii Backup API, driven by openapi.yaml.

`create_app(Settings(...))` builds the Starlette application; `python -m mockserver`
serves it with uvicorn.

The names below are imported when first used (PEP 562), not with the package: the child process
that parses a large fixture file (`python -m mockserver.data.bulk`) needs the spec and the
records only, and importing the app with Starlette and uvicorn cost it 0.3 s of a first start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.app import create_app
    from mockserver.exceptions import ApiError, FixtureError, MockServerError, SpecError, StateError
    from mockserver.settings import Settings

__all__ = ["ApiError", "FixtureError", "MockServerError", "Settings", "SpecError", "StateError", "create_app"]

_HOMES = {"create_app": "mockserver.app", "Settings": "mockserver.settings", "ApiError": "mockserver.exceptions",
          "FixtureError": "mockserver.exceptions", "MockServerError": "mockserver.exceptions",
          "SpecError": "mockserver.exceptions", "StateError": "mockserver.exceptions"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # found once, then an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
