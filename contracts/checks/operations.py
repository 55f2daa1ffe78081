"""Operations the kit knows no behaviour for (no `x-role`): judged by what the spec documents.

Called with the run's organization and backups for parameters with a role, and the documented
example of the others, such an operation must answer a
documented status with a documented body and headers, refuse a request without credentials or
with a token nobody was issued (401), and accept the Admin's token in every credential form.
Only reads are sent; a POST only with --allow-writes, PUT, PATCH and DELETE never.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import RequestRefused
from ..http import Exchange
from ..rules import ids
from ..spec import Operation
from .base import Check, Recorder, Skip, expect_error, judge

if TYPE_CHECKING:
    from ..context import KitContext


def _call(ctx: KitContext, rec: Recorder, operation: Operation, headers: dict[str, str]) -> Exchange | None:
    """One call, path parameters by role from the run (the organization, a listed backup), else their example."""
    values = {"organization": ctx.options.org_sid, "level": ctx.level, "serializer": ctx.serializer}
    backups = ctx.listing() if operation.param("backup") else []
    if backups:
        values["backup"] = str(backups[0].get("sid"))
    url = ctx.op_url(operation, values)
    try:
        return ctx.client.request(operation.method.upper(), url, headers, b"{}" if operation.method == "post" else None)
    except RequestRefused as exc:
        rec.note(f"{operation.label}: not sent: {exc}")
        return None


def check_documented(ctx: KitContext, rec: Recorder) -> None:
    operations = ctx.spec.unroled
    if not operations:
        raise Skip("every operation of the spec has an x-role: the other themes check them")
    for operation in operations:
        op = operation.operation_id
        for form in ctx.forms:
            exchange = _call(ctx, rec, operation, ctx.auth(ctx.options.token, form))
            if exchange is None:
                break
            judge(rec, exchange, f"{operation.label} as {form.name}")
            if exchange.status == 401:
                rec.fail(f"{operation.label}: the Admin's token as {form.name} is refused", exchange,
                         "the token accepted (any documented answer but 401)", rule=ids.security(op, form.scheme),
                         field="/status", received="401")
        if not operation.definition.get("security", ctx.spec.document.get("security")):
            continue
        for caller, headers, example in (("anonymous", {}, "notAuthenticated"),
                                         ("unknown-token", ctx.auth(ctx.unknown_token()), "invalidToken")):
            exchange = _call(ctx, rec, operation, headers)
            if exchange is not None:
                expect_error(rec, exchange, 401, example, f"{operation.label} as {caller.replace('-', ' ')}",
                             ids.access(op, caller))


CHECKS = (
    Check("operations.documented", "operations without x-role answer as documented, refuse missing and unknown "
          "credentials and accept every credential form", check_documented, covers=("{unroled}.*",)),
)
