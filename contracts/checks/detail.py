"""Detail: every backup the list shows reads back identically through its detail URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Check, Recorder, expect_json, expect_schema

if TYPE_CHECKING:
    from ..context import KitContext

MAX_REPORTED = 5


def check_read_back(ctx: "KitContext", rec: Recorder) -> None:
    backups = ctx.inventory()
    if not backups:
        rec.note("the organization lists no backups: nothing to read back")
        return
    reported = 0
    for listed in backups:
        if reported >= MAX_REPORTED:
            rec.note("further differences not reported")
            break
        exchange = ctx.get(ctx.detail_url(str(listed.get("sid"))), ctx.admin)
        before = len(rec.result.findings)
        body = expect_json(rec, exchange, f"detail of {listed.get('sid')}")
        if isinstance(body, dict) and expect_schema(rec, exchange, body, "Backup", f"detail of {listed.get('sid')}"):
            if body != listed:
                differing = sorted(key for key in set(body) | set(listed) if body.get(key) != listed.get(key))
                rec.fail(f"detail of {listed.get('sid')} differs from the list in {differing}", exchange,
                         f"what the list shows: {listed}")
        reported += len(rec.result.findings) > before


CHECKS = (
    Check("detail.read_back", "every listed backup reads back identically through its detail URL",
          check_read_back),
)
