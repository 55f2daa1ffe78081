"""What a check is, how it reports, and the expectations several themes share.

A check is a function `run(ctx, rec)` that sends requests and records each nonconformance with
the rule it breaks, the field, what was expected and what came; it never raises on a bad answer,
so one run reports every problem. Whatever can be judged from a single answer is judged by
`contracts.rules.validate` (the definition the validating proxy shares); a check adds only what
its situation expects (this status, this message, this value).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import RequestRefused
from ..http import Exchange
from ..results import CheckResult, Finding
from ..rules import Answer, Request, Violation, ids, validate
from ..rules.validation import route, schema_violations, show

if TYPE_CHECKING:
    from ..context import KitContext

MEMBER, FOREIGN, WRITES = "member", "foreign", "writes"
_INDEX = re.compile(r"/\d+(?=/|$)")


class Skip(Exception):
    """Raised by a check that cannot run here; the message says why."""


@dataclass(frozen=True)
class Check:
    check_id: str
    title: str
    run: Callable[[KitContext, Recorder], None]
    needs: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()  # rule-id patterns (fnmatch) of the rules this check probes


class Recorder:
    """Collects one check's findings and notes; repeats of one problem are counted, not listed."""

    def __init__(self, ctx: KitContext, result: CheckResult) -> None:
        self.ctx = ctx
        self.result = result
        self._seen: dict[tuple[str, str, str], Finding] = {}

    def fail(self, summary: str, exchange: Exchange | None = None, expected: str = "", *, rule: str = "",
             field: str = "", received: str = "", extra: str = "") -> None:
        redact = self.ctx.redact
        key = (rule, _INDEX.sub("/*", field), expected) if rule else ("", summary, expected)
        if key in self._seen:
            self._seen[key].occurrences += 1
            return
        finding = Finding(summary=redact(summary), expected=redact(expected), extra=redact(extra), rule=rule,
                          field=field, received=redact(received))
        if exchange is not None:
            finding.curl = exchange.curl(redact)
            finding.status = exchange.status
            finding.body = redact(exchange.text())
            if not finding.received:
                finding.received = str(exchange.status)
        self._seen[key] = finding
        self.result.findings.append(finding)

    def violation(self, violation: Violation, exchange: Exchange | None, what: str) -> None:
        self.fail(f"{what}: {violation.message}", exchange, violation.expected, rule=violation.rule,
                  field=violation.pointer, received=violation.received)

    def note(self, text: str) -> None:
        self.result.notes.append(self.ctx.redact(text))

    @property
    def failed(self) -> bool:
        return bool(self.result.findings)


# -- judging single answers through the shared rules ----------------------------------------
def as_request(ctx: KitContext, exchange: Exchange) -> Request:
    path, query = ctx.relative(exchange.url)
    return Request(exchange.method, path, query, exchange.headers)


def as_answer(exchange: Exchange) -> Answer:
    return Answer(exchange.status or 0, exchange.response_headers, exchange.content)


def judge(rec: Recorder, exchange: Exchange, what: str) -> list[Violation]:
    """Record every rule the answer breaks (request-side strays are the kit's own, never recorded)."""
    ctx = rec.ctx
    violations = [violation for violation in validate(ctx.spec, as_request(ctx, exchange), as_answer(exchange),
                                                      messages=not ctx.options.lenient_messages)
                  if violation.side == "answer"]
    for violation in violations:
        rec.violation(violation, exchange, what)
    return violations


def operation_of(rec: Recorder, exchange: Exchange) -> str:
    found = route(rec.ctx.spec, rec.ctx.relative(exchange.url)[0])
    operation = found.operation(exchange.method) if found else None
    return operation.operation_id if operation else "?"


def expect_error(rec: Recorder, exchange: Exchange, status: int, example: str, what: str, rule: str) -> bool:
    """`status` with the documented JSON error whose example is named `example` (any text if lenient).

    `rule` is the rule the situation tests (an access cell, a parameter rule); the body, headers
    and documented texts are judged by the shared rules.
    """
    ctx = rec.ctx
    message = ctx.spec.message(example)
    before = len(rec.result.findings)
    if exchange.status != status:
        rec.fail(f"{what}: status {exchange.status}", exchange, f"{status} {message!r}", rule=rule,
                 field="/status", received=str(exchange.status))
    judge(rec, exchange, what)
    body = exchange.json_or_none()
    detail = body.get("detail") if isinstance(body, dict) else None
    if exchange.status == status and not ctx.options.lenient_messages and isinstance(detail, str) \
            and detail != message:
        op = operation_of(rec, exchange)
        rec.fail(f"{what}: says {show(detail)!r}", exchange, repr(message), rule=ids.message(op, status, example),
                 field="/body/detail", received=repr(show(detail)))
    return len(rec.result.findings) == before


def expect_success(rec: Recorder, exchange: Exchange, what: str, rule: str,
                   statuses: tuple[int, ...] = (200,)) -> Any:
    """The JSON body of a successful answer (judged by the shared rules), or None after recording why not."""
    expected = " or ".join(map(str, statuses))
    if exchange.status not in statuses:
        rec.fail(f"{what}: status {exchange.status}", exchange, expected, rule=rule, field="/status",
                 received=str(exchange.status))
        judge(rec, exchange, what)
        return None
    violations = judge(rec, exchange, what)
    body = exchange.json_or_none()
    if body is None and not violations:
        rec.fail(f"{what}: the body is not JSON", exchange, "a JSON body", rule=rule, field="/body",
                 received=exchange.text(80))
    return body


def expect_schema(rec: Recorder, value: Any, ref: str, what: str, object_rule: str | None = None) -> bool:
    """A value that is not a whole answer (a backup from the listing, say) against a schema, field by field."""
    violations = schema_violations(rec.ctx.spec, ref, value, object_rule=object_rule)
    for violation in violations:
        rec.violation(violation, None, what)
    return not violations


def parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def newest_first_key(item: dict[str, Any]) -> tuple[int, str]:
    """Sort key of the documented order: date_created descending, then sid ascending."""
    stamp = parse_timestamp(item.get("date_created"))
    if stamp is None:
        return (0, str(item.get("sid")))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return (-((stamp - EPOCH) // timedelta(microseconds=1)), str(item.get("sid")))


def post_refusable(ctx: KitContext, rec: Recorder, url: str, headers: dict[str, str],
                   body: bytes | None = b"{}", content_type: str | None = "application/json") -> Exchange | None:
    """A POST a correct server refuses; None when writes are off or the budget is spent.

    Only sent with --allow-writes: a broken server might create a backup on it. A POST the budget
    refuses is counted by the guard and reported once for the run (the `writes:` line), not here.
    """
    if not ctx.options.allow_writes:
        return None
    try:
        return ctx.client.post(url, headers, body, content_type)
    except RequestRefused:
        return None


def expect_refused_post(ctx: KitContext, rec: Recorder, url: str, headers: dict[str, str], status: int,
                        example: str, what: str, rule: str) -> None:
    """A POST a correct server refuses with `status` and the `example` text (sent only with --allow-writes)."""
    exchange = post_refusable(ctx, rec, url, headers)
    if exchange is not None:
        expect_error(rec, exchange, status, example, what, rule)
