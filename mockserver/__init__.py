"""A mock server for the Labii Backup API, driven by openapi.yaml.

`create_app(Settings(...))` builds the Starlette application; `python -m mockserver`
serves it with uvicorn.
"""

from mockserver.app import create_app
from mockserver.exceptions import ApiError, FixtureError, MockServerError, SpecError, StateError
from mockserver.settings import Settings

__all__ = ["ApiError", "FixtureError", "MockServerError", "Settings", "SpecError", "StateError", "create_app"]
