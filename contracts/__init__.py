"""Contract-test kit for the Labii Backup API: is an implementation faithful to openapi.yaml?

Run it with `python -m contracts --base-url URL --org-sid SID --token T` (or `backup-contracts`),
or under pytest (see contracts.pytest_plugin). It never imports the mock server: it judges
any implementation over HTTP.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ConnectionProblem, ContractKitError, RequestRefused, SpecError, UsageError  # noqa: E402
from .options import Options, build_options  # noqa: E402
from .results import CheckResult, Finding, Status  # noqa: E402
from .runner import RunReport, execute  # noqa: E402

__all__ = [
    "__version__",
    "Options",
    "build_options",
    "execute",
    "RunReport",
    "CheckResult",
    "Finding",
    "Status",
    "ContractKitError",
    "UsageError",
    "ConnectionProblem",
    "SpecError",
    "RequestRefused",
]
