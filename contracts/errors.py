"""The kit's own errors, so the CLI can tell a usage problem from a broken server.

    ContractKitError
     ├── UsageError          bad options or credentials the server refuses (exit 2)
     ├── ConnectionProblem   the server cannot be reached or stops answering (exit 2)
     ├── SpecError           the spec lacks what the kit needs (exit 2)
     └── RequestRefused      the kit's own guard would not send a request (never sent)

Nonconformance is never an exception: checks record findings and the run goes on.
"""

from __future__ import annotations

__all__ = ["ContractKitError", "UsageError", "ConnectionProblem", "SpecError", "RequestRefused"]


class ContractKitError(Exception):
    """Base of every error the kit raises on purpose."""


class UsageError(ContractKitError):
    """The options, or the credentials they name, cannot be used."""


class ConnectionProblem(ContractKitError):
    """The server could not be reached, or stopped answering."""


class SpecError(ContractKitError):
    """The OpenAPI file is missing something the kit relies on."""


class RequestRefused(ContractKitError):
    """The guard refused to send a request (a forbidden method, or no write budget left)."""
