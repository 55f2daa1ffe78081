"""Contract-test kit for the Labii Backup API: is an implementation faithful to openapi.yaml?

Run it with `python -m contracts --base-url URL --org-sid SID --token T` (or `backup-contracts`),
or under pytest (see contracts.pytest_plugin). It never imports the mock server: it judges
any implementation over HTTP.

The names below are loaded on first use, so `import contracts.rules` (the rule definitions a
validating proxy reuses) needs only PyYAML and jsonschema_rs, never schemathesis or requests.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS = {
    "Options": ".options", "build_options": ".options",
    "execute": ".runner", "RunReport": ".runner",
    "CheckResult": ".results", "Finding": ".results", "Status": ".results",
    "ContractKitError": ".errors", "UsageError": ".errors", "ConnectionProblem": ".errors",
    "SpecError": ".errors", "RequestRefused": ".errors",
}

__all__ = [
    "__version__", "Options", "build_options", "execute", "RunReport", "CheckResult", "Finding", "Status",
    "ContractKitError", "UsageError", "ConnectionProblem", "SpecError", "RequestRefused",
]

if TYPE_CHECKING:
    from .errors import ConnectionProblem, ContractKitError, RequestRefused, SpecError, UsageError
    from .options import Options, build_options
    from .results import CheckResult, Finding, Status
    from .runner import RunReport, execute


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'contracts' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
