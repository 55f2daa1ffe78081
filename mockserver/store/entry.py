"""A stored backup (rendered in every view on first use) and the list's order.

A stored backup is its own entry: one object per backup, which renders its JSON the first
time it is served, so a large fixture set starts without rendering 100,000 backups and only
what is served takes memory. The list's order is the spec's: date_created descending, then sid
ascending, on whole microseconds (no float rounding ties two backups).
"""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.data.models import Backup, micros_of
from mockserver.data.serializers import Serializers

Entry = Backup  # what the store keeps and serves


def stored(backup: Backup, serializers: Serializers) -> Entry:
    """The backup, ready to be served: it renders itself with these serializers."""
    backup._render = serializers.render_bound  # one bound method for all: not one object per backup
    return backup


def stored_all(backups: Sequence[Backup], serializers: Serializers) -> Sequence[Entry]:
    """`stored` for each backup."""
    render = serializers.render_bound
    for backup in backups:
        backup._render = render
    return backups


def sort_key(entry: Entry) -> tuple[int, str]:
    """The list's order: newest first, then by sid (computed: 100,000 backups keep no key)."""
    return (-micros_of(entry), entry.sid)
