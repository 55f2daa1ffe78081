"""Detail: every backup the list shows reads back identically through its detail URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..rules import ids
from .base import Check, Recorder, expect_success

if TYPE_CHECKING:
    from ..context import KitContext

MAX_REPORTED = 5


def check_read_back(ctx: KitContext, rec: Recorder) -> None:
    detail = ctx.spec.role("detail")
    rule = ids.behaviour(detail.operation_id, "read-back")
    backups = ctx.listing()
    if not backups:
        rec.note("the organization lists no backups: nothing to read back")
    for listed in backups:
        if len(rec.result.findings) >= MAX_REPORTED:
            rec.note("further differences not reported")
            break
        sid = str(listed.get("sid"))
        exchange = ctx.get(ctx.detail_url(sid), ctx.admin)
        body = expect_success(rec, exchange, f"detail of {sid}", ids.access(detail.operation_id, "admin", "own"))
        if not isinstance(body, dict):
            continue
        differing = sorted(key for key in set(body) & set(listed) if body[key] != listed[key])
        missing = sorted(set(listed) - set(body))
        for key in differing[:1] or missing[:1]:
            rec.fail(f"detail of {sid}: {key} differs from the list", exchange, repr(listed.get(key)), rule=rule,
                     field=f"/body/{key}", received=repr(body.get(key)) if key in body else "missing")


CHECKS = (
    Check("detail.read_back", "every listed backup reads back identically through its detail URL",
          check_read_back, covers=("{detail}.read-back", "{detail}.200", "{detail}.access.admin.own")),
)
