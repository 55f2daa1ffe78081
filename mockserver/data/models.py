"""The mock's records: organizations, users with their roles, and backups.

Organizations and users are the mock's own world (fixtures), not the API's: they are plain
dataclasses. A backup is whatever the spec's schemas declare (see records.py), so it holds
its values in a tuple ordered like the record's fields, plus the two it is found and sorted
by (sid and date_created, which the documented rules need) and its organization.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import floordiv, sub
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
    """One backup: its organization, its sid and the values of the record's fields.

    The values sit in a tuple ordered like the record's fields (RecordShape). A backup read from
    the fixture cache holds only its packed values (RecordShape.pack) until something needs a field
    (100,000 of them start in a fraction of a second and take a third of the memory); `decode`
    unpacks them into the tuple, once. Slots: a large fixture set holds 100,000 of them."""

    __slots__ = ("organization", "sid", "_values", "_record", "_decode", "_rendered", "_render")

    def __init__(self, organization: str, sid: str, values: tuple[Any, ...] | None = None,
                 record: bytes | None = None, decode: Callable[[bytes], tuple[Any, ...]] | None = None) -> None:
        self.organization = organization
        self.sid = sid
        self._values = values
        self._record = record  # its packed values, when it came from the fixture cache
        self._decode = decode
        self._rendered: list[bytes] | None = None
        self._render: Callable[[Backup], list[bytes]] | None = None  # set when it is stored (store/entry.py)

    @property
    def values(self) -> tuple[Any, ...]:
        values = self._values
        if values is None:
            assert self._record is not None and self._decode is not None
            values = self._values = self._decode(self._record)
        return values

    @property
    def rendered(self) -> list[bytes]:
        """Its JSON in every view (slot order), rendered the first time it is served."""
        rendered = self._rendered
        if rendered is None:
            assert self._render is not None, "a backup is rendered once it is stored"
            rendered = self._rendered = self._render(self)
        return rendered

    @property
    def backup(self) -> Backup:
        """Itself: a stored backup is its own entry (store/entry.py), one object per backup."""
        return self

    @property
    def date_created(self) -> str:
        value = self.values[ORDER_AT]
        return value if isinstance(value, str) else ""

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.date_created.replace("Z", "+00:00"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Backup) and (self.organization, self.values) == (other.organization, other.values)

    def __hash__(self) -> int:
        return hash((self.organization, self.sid))

    def __repr__(self) -> str:
        return f"Backup({self.organization!r}, {self.sid!r})"


ORDER_AT = 1  # records put sid first and date_created second (RecordShape's order)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def negated_micros(dates: list[Any]) -> list[int]:
    """-micros_of(date) for each date_created (a ValueError for the first one that is no date), the
    usual ones (text with an offset, or Z) in C loops: the list's order of a large file's backups."""
    try:
        return list(map(floordiv, map(sub, repeat(_EPOCH), map(datetime.fromisoformat, dates)), repeat(_MICROSECOND)))
    except (TypeError, ValueError):  # not text, no date, or no offset: one by one, as micros_of reads them
        return [-micros_of(date if isinstance(date, str) else "") for date in dates]


def micros_of(value: Backup | str) -> int:
    """date_created in whole microseconds since 1970 (ValueError for a text that is no date): the
    list's order on whole microseconds, so no float rounding ties two backups."""
    text = value.date_created if isinstance(value, Backup) else value
    moment = datetime.fromisoformat(text)  # a trailing Z is UTC (Python 3.11 and later)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND
