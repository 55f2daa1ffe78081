"""The mock's records: organizations, users with their roles, and backups.

Organizations and users are the mock's own world (fixtures), not the API's: they are plain
dataclasses. A backup is whatever the spec's schemas declare (see records.py), so it holds
its values in a tuple ordered like the record's fields, plus the two it is found and sorted
by (sid and date_created, which the documented rules need) and its organization.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ADMIN = "Admin"
MEMBER = "Member"
ROLES = (ADMIN, MEMBER)  # the roles a fixture user may have in an organization
DEMO_TAGS = ("primary", "foreign", "empty")


class _Missing:
    """An optional property a fixture leaves out: not rendered at all."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Organization:
    sid: str
    name: str
    demo: str | None = None


@dataclass(frozen=True)
class User:
    name: str
    token: str
    roles: dict[str, str] = field(default_factory=dict)  # organization sid -> role

    def role_in(self, organization_sid: str) -> str | None:
        return self.roles.get(organization_sid)


class Backup:
    """One backup: its organization, and the values of the record's fields (RecordShape order).

    Slots and a tuple: a large fixture set holds 100,000 of them."""

    __slots__ = ("organization", "sid", "date_created", "values")

    def __init__(self, organization: str, sid: str, date_created: str, values: tuple[Any, ...]) -> None:
        self.organization = organization
        self.sid = sid
        self.date_created = date_created
        self.values = values

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.date_created.replace("Z", "+00:00"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Backup) and (self.organization, self.values) == (other.organization, other.values)

    def __hash__(self) -> int:
        return hash((self.organization, self.sid))

    def __repr__(self) -> str:
        return f"Backup({self.organization!r}, {self.sid!r}, {self.date_created!r})"
