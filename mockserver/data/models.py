"""The mock's records: organizations, users with their roles, and backups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ADMIN = "Admin"
MEMBER = "Member"
ROLES = (ADMIN, MEMBER)
DEMO_TAGS = ("primary", "foreign", "empty")
BACKUP_FIELDS = ("sid", "name", "description", "database_size", "date_created", "change_permission")


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


@dataclass(frozen=True, slots=True)  # slots: 100,000 of them in a large fixture set
class Backup:
    organization: str
    sid: str
    name: str
    description: str
    database_size: str
    date_created: str
    change_permission: bool = False

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in BACKUP_FIELDS}

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.date_created.replace("Z", "+00:00"))
