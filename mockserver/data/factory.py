"""Make new backups the way the real service names, sizes and identifies them.

The six documented fields follow the documented rules, when the spec declares them: the
name is the UTC time stamp and `.gz`, the description repeats that stamp, the size is a
human-readable size a little larger than the newest backup's (and shown larger: at least one
step of its one decimal), `date_created` is ISO 8601 in
UTC and never behind the newest backup (so a new backup is always first), and backups cannot
be changed (`change_permission` false). Every other field gets the value the record shape
derived from its schema (records.py).
"""

from __future__ import annotations

import random
import re
import secrets
import string
from collections.abc import Container
from datetime import UTC, datetime, timedelta
from typing import Any

from mockserver.data.models import Backup
from mockserver.data.records import RecordShape

_SID_HEAD = string.ascii_lowercase + string.digits
_SID_TAIL = string.ascii_letters + string.digits
_UNITS = ("B", "KB", "MB", "GB", "TB")
_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?) (B|KB|MB|GB|TB)$")
FIRST_DATABASE_BYTES = 12_400_000
MAX_DATABASE_BYTES = 1024.0**4 * 1_000_000  # a million TB: anything larger is not a real backup
GROWTH = (0.001, 0.015)  # each backup is 0.1 % to 1.5 % larger than the newest one


def new_sid(taken: Container[str]) -> str:
    """A fresh sid shaped like Labii's (e.g. ehkn0a40x1glqvAFKP: 4 + `0a40x` + 10)."""
    while True:
        sid = (
            "".join(secrets.choice(_SID_HEAD) for _ in range(4))
            + "0a40x"
            + "".join(secrets.choice(_SID_TAIL) for _ in range(10))
        )
        if sid not in taken:
            return sid


def parse_size(text: str) -> float:
    """Bytes in a human-readable size such as `47.0 MB` (1 KB = 1024 B); ValueError otherwise.

    Sizes above a million TB are refused: they are not backups, and their arithmetic would
    leave the numbers a float can hold."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a human-readable size: {text!r}")
    if len(match.group(1).split(".")[0]) > 16:
        raise ValueError(f"{text[:40]!r}... is larger than a million TB")
    value = float(match.group(1)) * 1024 ** _UNITS.index(match.group(2))
    if value > MAX_DATABASE_BYTES:
        raise ValueError(f"{text!r} is larger than a million TB")
    return float(value)


def format_size(num_bytes: float) -> str:
    """`47.0 MB` style: one decimal, the largest unit that keeps the number below 1024."""
    value = min(float(num_bytes), MAX_DATABASE_BYTES)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def grown(previous: float) -> float:
    """A size 0.1 % to 1.5 % above `previous` that also shows as larger: where one decimal is
    coarse (1.0 GB: a step is 10 %), at least one shown step more. A size at the cap stays there."""
    size = previous * (1 + random.uniform(*GROWTH))
    if parse_size(format_size(size)) <= previous < MAX_DATABASE_BYTES:
        value = float(previous)
        unit = 1.0
        while value >= 1024 and unit < 1024.0**4:
            value /= 1024
            unit *= 1024
        size = previous + unit / 10  # one shown step of the unit `previous` is shown in
    return min(size, MAX_DATABASE_BYTES)


def time_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def documented_values(sid: str, created: datetime, started: datetime, size: float) -> dict[str, Any]:
    """The six documented fields of a backup made at `started`, listed at `created`."""
    stamp = time_stamp(started)
    return {
        "sid": sid,
        "name": f"{stamp}.gz",
        "description": f"Data backup on {stamp}",
        "database_size": format_size(size),
        "date_created": iso_utc(created),
        "change_permission": False,
    }


def new_backup(
    shape: RecordShape,
    organization: str,
    taken: Container[str],
    newest: Backup | None,
    now: datetime | None = None,
) -> Backup:
    """A backup made now: named by its UTC time stamp, a little larger than the newest one.

    `date_created` never goes behind the newest existing backup, so a created backup is
    always first in its list even if the clock steps back.
    """
    moment = now or datetime.now(UTC)
    if newest is not None and moment <= newest.created_at:
        moment = newest.created_at + timedelta(microseconds=1)
    size_text = shape.value(newest, "database_size") if newest is not None else None
    previous = parse_size(size_text) if isinstance(size_text, str) else FIRST_DATABASE_BYTES
    size = grown(previous)
    values = {**shape.filled, **documented_values(new_sid(taken), moment, moment, size)}
    return shape.make(organization, values)
