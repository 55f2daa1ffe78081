"""What handling a request tells the journal, kept in its ASGI scope (control/journal.py reads it).

The scenario layer (frontend/scenarios.py) notes the rule that answered and the fault it sent;
the proxy (proxy/relay.py) what the upstream did (`proxy`), the contract violations (`violations`)
and a few words for the console line (`console`).
Requests nobody notes anything about (the hot path) carry no such key.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

NOTES = "mockserver.notes"


def note(scope: MutableMapping[str, Any], **values: Any) -> None:
    scope.setdefault(NOTES, {}).update(values)
