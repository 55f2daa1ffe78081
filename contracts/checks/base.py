"""What a check is, how it reports, and the expectations several themes share.

A check is a function `run(ctx, rec)` that sends requests and calls `rec.fail(...)` for
each nonconformance; it never raises on a bad answer, so one run reports every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

from ..errors import RequestRefused
from ..http import Exchange
from ..results import CheckResult, Finding
from ..spec import schema_errors

if TYPE_CHECKING:
    from ..context import KitContext

MEMBER, FOREIGN, WRITES = "member", "foreign", "writes"
NEEDS_TEXT = {
    MEMBER: "needs a member token (--member-token, CONTRACT_MEMBER_TOKEN)",
    FOREIGN: "needs a second organization (--foreign-org-sid and --foreign-token, CONTRACT_FOREIGN_*)",
    WRITES: "needs writes allowed (--allow-writes, CONTRACT_ALLOW_WRITES): the kit is read-only by default",
}


class Skip(Exception):
    """Raised by a check that cannot run here; the message says why."""


@dataclass(frozen=True)
class Check:
    check_id: str
    title: str
    run: Callable[["KitContext", "Recorder"], None]
    needs: tuple[str, ...] = ()


class Recorder:
    """Collects one check's findings and notes."""

    def __init__(self, ctx: "KitContext", result: CheckResult) -> None:
        self.ctx = ctx
        self.result = result

    def fail(self, summary: str, exchange: Exchange | None = None, expected: str = "", extra: str = "") -> None:
        redact = self.ctx.redact
        finding = Finding(summary=redact(summary), expected=redact(expected), extra=redact(extra))
        if exchange is not None:
            finding.curl = exchange.curl(redact)
            finding.status = exchange.status
            finding.body = redact(exchange.text())
        self.result.findings.append(finding)

    def note(self, text: str) -> None:
        self.result.notes.append(self.ctx.redact(text))

    @property
    def failed(self) -> bool:
        return bool(self.result.findings)


# -- shared expectations -------------------------------------------------------------------
def expect_json_error(rec: Recorder, exchange: Exchange, status: int, message: str, what: str,
                      *, www_authenticate: bool = False) -> bool:
    """`status` with a JSON `{"detail": <message>}` body (any text with --lenient-messages)."""
    ctx = rec.ctx
    lenient = ctx.options.lenient_messages
    expected = f'{status} {{"detail": "{message}"}}' if not lenient else f'{status} {{"detail": <any text>}}'
    if www_authenticate:
        expected += f" with WWW-Authenticate: {ctx.spec.www_authenticate}"
    problems = []
    if exchange.status != status:
        problems.append(f"status {exchange.status}")
    body = exchange.json_or_none()
    if exchange.media_type != "application/json":
        problems.append(f"content type {exchange.media_type or 'missing'}")
    if not isinstance(body, dict) or not isinstance(body.get("detail"), str):
        problems.append("body is not a JSON object with a string `detail`")
    else:
        errors = schema_errors(ctx.spec.validator("Error"), body)
        if errors:
            problems.append("body does not match the Error schema: " + "; ".join(errors))
        if not lenient and body["detail"] != message:
            problems.append(f"message {body['detail']!r}")
    if www_authenticate and ctx.spec.www_authenticate is not None:
        header = exchange.header("www-authenticate")
        if header is None:
            problems.append("no WWW-Authenticate header")
        elif header != ctx.spec.www_authenticate:
            problems.append(f"WWW-Authenticate: {header!r}")
    if problems:
        rec.fail(f"{what}: " + ", ".join(problems), exchange, expected)
        return False
    return True


def expect_json(rec: Recorder, exchange: Exchange, what: str, statuses: tuple[int, ...] = (200,)) -> Any:
    """The JSON body of a successful answer, or None after recording why not."""
    expected = " or ".join(map(str, statuses)) + " with a JSON body"
    if exchange.status not in statuses:
        rec.fail(f"{what}: status {exchange.status}", exchange, expected)
        return None
    if exchange.media_type != "application/json":
        rec.fail(f"{what}: content type {exchange.media_type or 'missing'}", exchange, expected)
        return None
    body = exchange.json_or_none()
    if body is None:
        rec.fail(f"{what}: the body is not JSON", exchange, expected)
    return body


def expect_schema(rec: Recorder, exchange: Exchange | None, value: Any, schema_name: str, what: str) -> bool:
    errors = schema_errors(rec.ctx.spec.validator(schema_name), value)
    if errors:
        rec.fail(f"{what}: does not match the {schema_name} schema: " + "; ".join(errors), exchange,
                 f"a {schema_name} as the spec defines it")
        return False
    return True


def parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def newest_first_key(item: dict[str, Any]) -> tuple[int, str]:
    """Sort key of the documented order: date_created descending, then sid ascending."""
    stamp = parse_timestamp(item.get("date_created"))
    if stamp is None:
        return (0, str(item.get("sid")))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return (-((stamp - EPOCH) // timedelta(microseconds=1)), str(item.get("sid")))


def post_refusable(ctx: "KitContext", rec: Recorder, url: str, headers: dict[str, str]) -> Exchange | None:
    """A POST a correct server refuses; None (noted) when writes are off or the budget is spent.

    Only sent with --allow-writes: a broken server might create a backup on it.
    """
    if not ctx.options.allow_writes:
        return None
    try:
        return ctx.client.post(url, headers, b"{}", "application/json")
    except RequestRefused as exc:
        rec.note(f"POST not sent: {exc}")
        return None


def expect_refused_post(ctx: "KitContext", rec: Recorder, url: str, headers: dict[str, str], status: int,
                        message: str, what: str, *, www_authenticate: bool = False) -> None:
    """A POST a correct server refuses with `status` and `message` (sent only with --allow-writes)."""
    exchange = post_refusable(ctx, rec, url, headers)
    if exchange is not None:
        expect_json_error(rec, exchange, status, message, what, www_authenticate=www_authenticate)
