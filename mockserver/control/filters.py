"""Questions to the journal, as WireMock's verify asks them: `GET /__mock/requests?operation=createBackup&status=200`.

    operation=createBackup     the operationId the request reached (HEAD counts as its GET)
    method=POST                the HTTP method, any case
    status=200 | 4xx           the status answered, or its class; `status=none` for no answer (a fault)
    user=Ada Admin             the fixture user its credentials name
    path=/v1/organizations/    a prefix of its path
    since=2026-01-01T10:00:00Z at or after this time (ISO 8601; without an offset, UTC)
    rule=3                     answered by this scenario rule
    limit=10                   at most this many entries (the count is of all that match)

Filters combine (all must hold). An unknown filter, or a value that cannot match anything by
its form, is a FilterError that says why (answered 400): a typo must not look like "no request".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime

from mockserver.api.routing import path_pattern
from mockserver.control.journal import DROPPED, Journal, Record
from mockserver.spec.model import ApiModel
from mockserver.text import shown

FILTERS = ("operation", "method", "status", "user", "path", "since", "rule", "limit")
_STATUS = re.compile(r"^(?:[1-5][0-9][0-9]|[1-5]xx|none)$", re.IGNORECASE)
_OFFSET_AS_SPACE = re.compile(r" ([0-9]{2}:?[0-9]{2})$")  # `+02:00` in a query decodes to ` 02:00`


class FilterError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def operation_finder(model: ApiModel) -> Callable[[str, str], str | None]:
    """The operationId a method and path reach (HEAD reaches its GET), for the journal's entries."""
    table = [(path_pattern(prefix + operation.path), operation.method, operation.operation_id)
             for prefix in model.prefixes for operation in model.operations.values()]

    def find(method: str, path: str) -> str | None:
        method = "GET" if method == "HEAD" else method
        for pattern, wanted, operation_id in table:
            if wanted == method and pattern.fullmatch(path):
                return operation_id
        return None

    return find


def parse_filters(params: Mapping[str, str], operations: Collection[str], journal: Journal
                  ) -> tuple[Callable[[Record], bool] | None, int | None]:
    """A predicate over records (None: every record) and the limit, from the query parameters;
    `operations` are the operationIds an `operation` filter may name (any, when empty)."""
    unknown = [name for name in params if name not in FILTERS]
    if unknown:
        raise FilterError(f"unknown filter {shown(unknown[0])}; the filters are {', '.join(FILTERS)}.")
    tests: list[Callable[[Record], bool]] = []
    limit = None
    if "limit" in params:
        if not params["limit"].isdigit():
            raise FilterError("limit must be a whole number")
        limit = int(params["limit"])
    if "operation" in params:
        operation = params["operation"]
        if operations and operation not in operations:
            raise FilterError(f"operation: {shown(operation)} is not an operationId of the spec "
                              f"({', '.join(operations)}).")
        tests.append(lambda record: journal.operation(record) == operation)
    if "method" in params:
        method = params["method"].upper()
        tests.append(lambda record: record[1] == method)
    if "status" in params:
        tests.append(_status(params["status"]))
    if "user" in params:
        user = params["user"]
        tests.append(lambda record: journal.user_of(record) == user)
    if "path" in params:
        prefix = params["path"]
        tests.append(lambda record: record[2].startswith(prefix))
    if "since" in params:
        since = _time(params["since"])
        tests.append(lambda record: record[0] >= since)
    if "rule" in params:
        rule = params["rule"]
        tests.append(lambda record: (record[9] or {}).get("rule") == rule)
    if not tests:
        return None, limit
    return (lambda record: all(test(record) for test in tests)), limit


def _status(value: str) -> Callable[[Record], bool]:
    if not _STATUS.match(value):
        raise FilterError(f"status must be a status code (200), a class (4xx) or none, not {shown(value)}.")
    value = value.lower()

    def answered(record: Record) -> int | None:
        return None if (record[9] or {}).get("fault") in DROPPED else record[5]

    if value == "none":
        return lambda record: answered(record) is None
    if value.endswith("xx"):
        return lambda record: (answered(record) or 0) // 100 == int(value[0])
    return lambda record: answered(record) == int(value)


def _time(value: str) -> float:
    try:
        moment = datetime.fromisoformat(_OFFSET_AS_SPACE.sub(r"+\1", value.replace("Z", "+00:00")))
    except ValueError:
        raise FilterError(f"since must be a time in ISO 8601, like 2026-01-01T10:00:00Z, not {shown(value)}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
