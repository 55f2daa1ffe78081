"""The mock's exceptions, all under one base class.

    MockServerError
    ├── SpecError        openapi.yaml is missing, malformed or lacks what the mock needs
    ├── FixtureError     a fixture file or entry does not follow the spec (names file and entry)
    ├── StateError       the --state file cannot be read or written (names the file)
    ├── ScenarioError    the --scenarios file is unreadable or holds a bad rule (names file and rule)
    └── ApiError         an error answer to a client (status, JSON body, headers)
"""

from __future__ import annotations


class MockServerError(Exception):
    """Base class of every error the mock raises on purpose."""


class SpecError(MockServerError):
    """The spec cannot drive the mock."""


class FixtureError(MockServerError):
    """A fixture file or entry is invalid; the message names the file and the entry."""


class StateError(MockServerError):
    """The persisted state file is unreadable, malformed or cannot be written."""


class ScenarioError(MockServerError):
    """The --scenarios file cannot be used; the message names the file and the rule."""


class ApiError(MockServerError):
    """An error answer: rendered as `{"detail": message}` with the given status and headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
