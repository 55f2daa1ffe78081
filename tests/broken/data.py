"""The reference server's data: two organizations, three users, backups with a tie in time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

ORG_A = "acme0a40xRefOrgA01"
ORG_B = "nwnd0a40xRefOrgB02"
ADMIN_A = "a1" * 20
MEMBER_A = "b2" * 20
ADMIN_B = "c3" * 20
ADMIN, MEMBER = "Admin", "Member"
USERS = {  # token -> {organization: role}
    ADMIN_A: {ORG_A: ADMIN},
    MEMBER_A: {ORG_A: MEMBER},
    ADMIN_B: {ORG_B: ADMIN},
}


@dataclass(frozen=True)
class Backup:
    sid: str
    organization: str
    created: datetime
    size_mb: float

    @property
    def stamp(self) -> str:
        return self.created.strftime("%Y%m%d%H%M%S")

    def fields(self) -> dict[str, object]:
        return {
            "sid": self.sid,
            "name": f"{self.stamp}.gz",
            "description": f"Data backup on {self.stamp}",
            "database_size": f"{self.size_mb:.1f} MB",
            "date_created": self.created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "change_permission": False,
        }


def _sid(prefix: str, number: int) -> str:
    return f"{prefix}0a40x{number:04d}Ref{'abcdefgh'[number % 8]}X"


def initial_backups() -> list[Backup]:
    start = datetime(2024, 1, 3, 3, 17, 41, 123456, tzinfo=UTC)
    backups = [Backup(_sid("refa", n), ORG_A, start + timedelta(days=30 * n, seconds=n), 40.0 + n / 2)
               for n in range(22)]
    # Two backups made in the same microsecond: the order falls back to the sid.
    backups.append(replace(backups[10], sid=_sid("refz", 99)))
    backups += [Backup(_sid("refb", n), ORG_B, start + timedelta(days=45 * n), 10.0 + n) for n in range(4)]
    return backups


def credentials(base_url: str) -> dict[str, str]:
    return {"base_url": base_url, "org_sid": ORG_A, "token": ADMIN_A, "member_token": MEMBER_A,
            "foreign_org_sid": ORG_B, "foreign_token": ADMIN_B}
