"""Who may call an operation, checked in the documented order, whatever the operation does.

The order is the spec's (listBackups' description, following DRF's authentication-first
flow): credentials (401), `level` (406 Wrong level), the organization (406 Wrong id when the
caller is not in it), `serializer` (406 Wrong serializer), the backup (406 Wrong id when it is
not the caller's), then the caller's role against `x-allowed-roles` (403). Each step applies
only when the operation has a parameter with that role, so an operation the mock knows
nothing about (answered from examples) is guarded exactly as far as its spec says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from mockserver.api.auth import Authenticator, Forms
from mockserver.api.errors import ErrorCatalog
from mockserver.data.models import User
from mockserver.spec.model import BACKUP, LEVEL, ORGANIZATION, SERIALIZER, ApiModel, Operation


class Entries(Protocol):
    """What access needs of a store: the organizations, and the organization of a backup."""

    @property
    def organizations(self) -> Mapping[str, object]: ...

    def organization_of(self, sid: str) -> str | None: ...


class Grant(NamedTuple):
    """What the checks established about an allowed request (a named tuple: made in 0.2 µs, where a
    frozen dataclass's `__init__` took 0.55 µs of every API request)."""

    user: User | None
    organization: str | None
    role: str | None
    serializer: str | None
    backup: str | None


class Access:
    def __init__(self, model: ApiModel, operation: Operation, users: Authenticator) -> None:
        self.operation = operation
        self.errors = ErrorCatalog.build(model, operation)
        self.users = users
        self.forms = Forms.of(operation.forms) if operation.forms is not None else None
        names = {param.role: param.name for param in operation.parameters if param.role}
        self.level = names.get(LEVEL)
        self.organization = names.get(ORGANIZATION)
        self.serializer = names.get(SERIALIZER)
        self.backup = names.get(BACKUP)
        level_param = operation.param(LEVEL)
        self.levels = frozenset(level_param.enum or ()) if level_param else frozenset()
        serializer_param = operation.param(SERIALIZER)
        self.serializers = frozenset(serializer_param.enum or ()) if serializer_param else frozenset()
        self.allowed = operation.allowed_roles

    def check(self, headers: list[tuple[bytes, bytes]], query_string: bytes, params: dict[str, str],
              store: Entries) -> Grant:
        """The grant for a request, or the documented ApiError."""
        errors = self.errors
        user = None
        if self.forms is not None:
            user = self.users.authenticate(headers, self.forms, errors, query_string)
        if self.level is not None and params[self.level] not in self.levels:
            raise errors.error("wrong_level")
        organization = params[self.organization] if self.organization is not None else None
        if organization is not None and not self._reaches(user, organization, store):
            raise errors.error("wrong_id")
        serializer = params[self.serializer] if self.serializer is not None else None
        if serializer is not None and serializer not in self.serializers:
            raise errors.error("wrong_serializer")
        backup = params[self.backup] if self.backup is not None else None
        if backup is not None:
            owner = store.organization_of(backup)
            mismatch = organization is not None and owner != organization
            if owner is None or mismatch or not self._reaches(user, owner, store):
                raise errors.error("wrong_id")
            organization = owner
        role = user.role_in(organization) if user is not None and organization is not None else None
        if self.allowed is not None and organization is not None and role not in self.allowed:
            raise errors.error("permission_denied" if user is not None else "not_authenticated")
        return Grant(user, organization, role, serializer, backup)

    @staticmethod
    def _reaches(user: User | None, organization: str, store: Entries) -> bool:
        """Whether the caller may name this organization at all (else: Wrong id)."""
        if user is None:
            return organization in store.organizations
        return user.role_in(organization) is not None
