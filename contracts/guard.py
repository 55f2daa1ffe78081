"""The kit's safety catch: which requests it may send at all.

Every request, the kit's own and schemathesis', passes here first (schemathesis' through the
hooks in contracts.budget). PUT, PATCH and DELETE are never sent. POST (the only creating call)
is sent only with --allow-writes and while the write budget lasts: a POST reserves its units
before it goes out and gets them back only when the answer proves nothing was created (a 3xx or
4xx), so --max-writes is never exceeded, even against a server that creates on requests it
should refuse. Creating requests the budget did not allow are counted, for one line of report.
"""

from __future__ import annotations

import threading

from .errors import RequestRefused

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
NEVER = frozenset({"PUT", "PATCH", "DELETE"})


class RequestGuard:
    def __init__(self, *, allow_writes: bool, max_writes: int) -> None:
        self.allow_writes = allow_writes
        self.max_writes = max_writes if allow_writes else 0
        self._reserved = 0
        self._lock = threading.Lock()
        self.refused = 0  # requests refused for their method
        self.not_sent = 0  # creating requests not sent (or not generated) for want of budget

    @property
    def used(self) -> int:
        """Write units spent or in flight (an upper bound on backups created)."""
        return self._reserved

    @property
    def remaining(self) -> int:
        return max(0, self.max_writes - self._reserved)

    def before(self, method: str) -> None:
        """Raise RequestRefused unless `method` may be sent now (reserving budget for a POST)."""
        self.reserve(method, 1)

    def reserve(self, method: str, units: int) -> None:
        method = method.upper()
        if method in READ_METHODS:
            return
        with self._lock:
            if method in NEVER:
                self.refused += 1
                raise RequestRefused(f"{method} is never sent by the contract kit")
            if method != "POST":
                self.refused += 1
                raise RequestRefused(f"{method} is not a method the contract kit sends")
            if not self.allow_writes:
                self.refused += 1
                raise RequestRefused("POST needs --allow-writes")
            if self._reserved + units > self.max_writes:
                self.not_sent += 1
                raise RequestRefused(f"write budget exhausted (--max-writes {self.max_writes})")
            self._reserved += units

    def after(self, method: str, status: int | None) -> None:
        """Give a POST's unit back when its answer shows nothing was created."""
        if method.upper() == "POST" and status is not None and 300 <= status < 500:
            self.refund(1)

    def refund(self, units: int) -> None:
        with self._lock:
            self._reserved = max(0, self._reserved - units)
