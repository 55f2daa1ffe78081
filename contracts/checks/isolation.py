"""Tenant isolation: one organization's token reads nothing of another organization.

Needs the Admin token of a second organization. Both directions are tried: the first
organization's token on the second one's list and on every one of its backups, and the
second token on the first organization. Each must be refused with 406 Wrong id, and the
refusal must not carry the other organization's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FOREIGN, Check, Recorder, expect_json_error, expect_refused_post

if TYPE_CHECKING:
    from ..context import KitContext

MAX_SAMPLED = 20


def check_foreign_list(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("wrongId")
    foreign_sid, own_sid = ctx.options.foreign_org_sid or "", ctx.options.org_sid
    for serializer in ctx.spec.serializer_schemas:
        expect_json_error(rec, ctx.get(ctx.list_url(foreign_sid, serializer), ctx.admin), 406, message,
                          f"the second organization's list (serializer={serializer}) with the first one's token")
    expect_json_error(rec, ctx.get(ctx.list_url(foreign_sid, page="last"), ctx.admin), 406, message,
                      "the second organization's last page with the first one's token")
    expect_json_error(rec, ctx.get(ctx.list_url(own_sid), ctx.foreign), 406, message,
                      "the first organization's list with the second one's token")
    expect_refused_post(ctx, rec, ctx.list_url(foreign_sid, "detail"), ctx.admin,
                        406, message, "POST to the second organization with the first one's token")


def check_foreign_detail(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("wrongId")
    foreign = ctx.inventory(foreign=True)
    own = ctx.inventory()
    shared = {item["sid"] for item in foreign} & {item["sid"] for item in own}
    if shared:
        rec.fail(f"{len(shared)} sid(s) are listed by both organizations, e.g. {sorted(shared)[:3]}",
                 expected="disjoint lists: a backup belongs to one organization")
    if not foreign:
        rec.note("the second organization lists no backups: its details could not be tried")
    for item in foreign:
        exchange = ctx.get(ctx.detail_url(str(item["sid"])), ctx.admin)
        if not expect_json_error(rec, exchange, 406, message,
                                 f"backup {item['sid']} of the second organization with the first one's token"):
            if exchange.status == 200:
                break  # one leak is proof enough; the rest would repeat it
    for item in own[:MAX_SAMPLED]:
        expect_json_error(rec, ctx.get(ctx.detail_url(str(item["sid"])), ctx.foreign), 406, message,
                          f"backup {item['sid']} of the first organization with the second one's token")


CHECKS = (
    Check("isolation.foreign_list", "another organization's list is not readable with this token (406 Wrong id)",
          check_foreign_list, (FOREIGN,)),
    Check("isolation.foreign_detail", "none of another organization's backups is readable with this token "
          "(406 Wrong id)", check_foreign_detail, (FOREIGN,)),
)
