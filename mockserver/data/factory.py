"""Make new backups the way the real service names, sizes and identifies them."""

from __future__ import annotations

import random
import re
import secrets
import string
from datetime import datetime, timedelta, timezone

from mockserver.data.models import Backup

_SID_HEAD = string.ascii_lowercase + string.digits
_SID_TAIL = string.ascii_letters + string.digits
_UNITS = ("B", "KB", "MB", "GB", "TB")
_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?) (B|KB|MB|GB|TB)$")
FIRST_DATABASE_BYTES = 12_400_000


def new_sid(taken: "set[str] | dict[str, object]") -> str:
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
    """Bytes in a human-readable size such as `47.0 MB` (1 KB = 1024 B)."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a human-readable size: {text!r}")
    return float(match.group(1)) * 1024 ** _UNITS.index(match.group(2))


def format_size(num_bytes: float) -> str:
    """`47.0 MB` style: one decimal, the largest unit that keeps the number below 1024."""
    value = float(num_bytes)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def time_stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_backup(
    organization: str,
    taken: "set[str] | dict[str, object]",
    newest: Backup | None,
    now: datetime | None = None,
) -> Backup:
    """A backup made now: named by its UTC time stamp, a little larger than the last one.

    `date_created` never goes behind the newest existing backup, so a created backup is
    always first in its list even if the clock steps back.
    """
    moment = now or datetime.now(timezone.utc)
    if newest is not None and moment <= newest.created_at:
        moment = newest.created_at + timedelta(microseconds=1)
    previous = parse_size(newest.database_size) if newest else FIRST_DATABASE_BYTES
    size = previous * (1 + random.uniform(0.001, 0.015))
    stamp = time_stamp(moment)
    return Backup(
        organization=organization,
        sid=new_sid(taken),
        name=f"{stamp}.gz",
        description=f"Data backup on {stamp}",
        database_size=format_size(size),
        date_created=iso_utc(moment),
        change_permission=False,
    )
