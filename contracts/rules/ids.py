"""Rule identifiers: one builder per kind of rule, shared by the inventory and the validator.

An id reads left to right from the operation (its operationId) to the detail it pins down:
`listBackups.401.header.WWW-Authenticate`, `listBackups.param.page-size.cap`,
`createBackup.access.member.own`, `schema.Backup.database_size`.
"""

from __future__ import annotations

CALLERS = ("admin", "member", "foreign-admin", "anonymous", "unknown-token")
ORGANIZATIONS = ("own", "foreign", "unknown")


def status(op: str) -> str:
    return f"{op}.status"


def response(op: str, code: int | str) -> str:
    return f"{op}.{code}"


def message(op: str, code: int | str, example: str | None = None) -> str:
    return f"{op}.{code}.message" + (f".{example}" if example else "")


def header(op: str, code: int | str, name: str) -> str:
    return f"{op}.{code}.header.{name}"


def access(op: str, caller: str, organization: str | None = None) -> str:
    return f"{op}.access.{caller}" + (f".{organization}" if organization else "")


def param(op: str, key: str, aspect: str | None = None) -> str:
    return f"{op}.param.{key}" + (f".{aspect}" if aspect else "")


def security(op: str, scheme: str) -> str:
    return f"{op}.security.{scheme}"


def schema(name: str, prop: str | None = None) -> str:
    return f"schema.{name}" + (f".{prop}" if prop else "")


def behaviour(op: str, what: str) -> str:
    """A behaviour the roles imply: `order`, `read-back`, `effect`, `body`, `methods`."""
    return f"{op}.{what}"


def link(op: str, name: str) -> str:
    return f"{op}.link.{name}"
