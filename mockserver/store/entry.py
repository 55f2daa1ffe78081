"""A stored backup and its JSON per view, rendered on first use, and the list's order.

A large fixture set starts without rendering 100,000 backups, and only what is served takes
memory. The list's order is the spec's: date_created descending, then sid ascending, on whole
microseconds (no float rounding ties two backups).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mockserver.data.models import Backup
from mockserver.data.serializers import Serializers

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros_of(value: Backup | str) -> int:
    """date_created in whole microseconds since 1970 (ValueError for a text that is no date)."""
    text = value.date_created if isinstance(value, Backup) else value
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


class Entry:
    __slots__ = ("backup", "_serializers", "_rendered")

    def __init__(self, backup: Backup, serializers: Serializers) -> None:
        self.backup = backup
        self._serializers = serializers
        self._rendered: list[bytes] | None = None

    @property
    def key(self) -> tuple[int, str]:
        """The list's order: newest first, then by sid (computed: 100,000 entries keep no key)."""
        return (-micros_of(self.backup), self.backup.sid)

    @property
    def rendered(self) -> list[bytes]:
        """JSON bytes per view slot (Serializers.slot(view) says which)."""
        rendered = self._rendered
        if rendered is None:
            rendered = self._rendered = self._serializers.render(self.backup)
        return rendered


def sort_key(entry: Entry) -> tuple[int, str]:
    return entry.key
