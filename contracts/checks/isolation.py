"""Tenant isolation: one organization's token reads nothing of another organization.

Needs the Admin token of a second organization. Both directions are tried: the first
organization's token on the second one's list (every serializer, the last page) and on every
one of its backups, and the second token on the first organization. Each must be refused with
406 Wrong id, and the refusal must not carry the other organization's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..rules import ids
from .base import FOREIGN, Check, Recorder, expect_error, expect_refused_post

if TYPE_CHECKING:
    from ..context import KitContext

MAX_SAMPLED = 20


def check_foreign_list(ctx: KitContext, rec: Recorder) -> None:
    foreign_sid, own_sid = ctx.options.foreign_org_sid or "", ctx.options.org_sid
    op = ctx.spec.list_op.operation_id
    for serializer in ctx.spec.serializers:
        expect_error(rec, ctx.get(ctx.list_url(foreign_sid, serializer), ctx.admin), 406, "wrongId",
                     f"the second organization's list (serializer={serializer}) with the first one's token",
                     ids.access(op, "admin", "foreign"))
    expect_error(rec, ctx.get(ctx.list_url(foreign_sid, page="last"), ctx.admin), 406, "wrongId",
                 "the second organization's last page with the first one's token", ids.access(op, "admin", "foreign"))
    expect_error(rec, ctx.get(ctx.list_url(own_sid), ctx.foreign), 406, "wrongId",
                 "the first organization's list with the second one's token", ids.access(op, "foreign-admin", "own"))
    create = ctx.spec.by_role("create")
    if create is not None:
        expect_refused_post(ctx, rec, ctx.create_url(foreign_sid), ctx.admin, 406, "wrongId",
                            "POST to the second organization with the first one's token",
                            ids.access(create.operation_id, "admin", "foreign"))


def check_foreign_detail(ctx: KitContext, rec: Recorder) -> None:
    op = ctx.spec.role("detail").operation_id
    foreign = ctx.listing(foreign=True)
    own = ctx.listing()
    shared = {item["sid"] for item in foreign} & {item["sid"] for item in own}
    if shared:
        rec.fail(f"{len(shared)} sid(s) are listed by both organizations, e.g. {sorted(shared)[:3]}",
                 expected="disjoint lists: a backup belongs to one organization",
                 rule=ids.access(op, "admin", "foreign"), field="/body/results", received=f"{len(shared)} shared")
    if not foreign:
        rec.note("the second organization lists no backups: its details could not be tried")
    for item in foreign:
        exchange = ctx.get(ctx.detail_url(str(item["sid"])), ctx.admin)
        if not expect_error(rec, exchange, 406, "wrongId",
                            f"backup {item['sid']} of the second organization with the first one's token",
                            ids.access(op, "admin", "foreign")) and exchange.status == 200:
            break  # one leak is proof enough; the rest would repeat it
    for item in own[:MAX_SAMPLED]:
        expect_error(rec, ctx.get(ctx.detail_url(str(item["sid"])), ctx.foreign), 406, "wrongId",
                     f"backup {item['sid']} of the first organization with the second one's token",
                     ids.access(op, "foreign-admin", "own"))


CHECKS = (
    Check("isolation.foreign_list", "another organization's list is not readable with this token (406 Wrong id)",
          check_foreign_list, (FOREIGN,), covers=("{list}.access.admin.foreign", "{list}.access.foreign-admin.own",
                                                  "{create}.access.admin.foreign")),
    Check("isolation.foreign_detail", "none of another organization's backups is readable with this token "
          "(406 Wrong id)", check_foreign_detail, (FOREIGN,),
          covers=("{detail}.access.admin.foreign", "{detail}.access.foreign-admin.own")),
)
