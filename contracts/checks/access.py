"""Access: every caller × organization × operation combination, POST included.

Callers are the tokens the kit holds (an Admin, a member with another role, the Admin of a
second organization, none, one nobody was issued), organizations are the caller's own, another
existing one and one that does not exist (for the detail operation: a backup of each). The
expected answer of each cell is the rule inventory's (contracts.rules.catalog.ACCESS). Cells
needing a token or organization not given are noted; the POST cells are sent only with
--allow-writes, and the one that would create (an Admin on its own organization) is left to the
writes theme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..rules import ids
from ..rules.catalog import ACCESS
from ..spec import Operation
from .base import Check, Recorder, expect_error, expect_refused_post, expect_success

if TYPE_CHECKING:
    from ..context import KitContext


def _token(ctx: KitContext, caller: str) -> dict[str, str] | None:
    options = ctx.options
    return {"admin": ctx.admin, "member": ctx.member if options.member_token else None,
            "foreign-admin": ctx.foreign if options.has_foreign else None, "anonymous": {},
            "unknown-token": ctx.auth(ctx.unknown_token())}[caller]


def _target(ctx: KitContext, operation: Operation, org: str) -> str | None:
    """The URL of `operation` on the caller's own, another or a nonexistent organization (or backup)."""
    if operation.role == "detail":
        backups = {"own": ctx.listing(), "foreign": ctx.listing(foreign=True) if ctx.options.has_foreign else []}
        if org == "unknown":
            return ctx.detail_url(ctx.unknown_sid())
        return ctx.detail_url(str(backups[org][0]["sid"])) if backups[org] else None
    sid = {"own": ctx.options.org_sid, "foreign": ctx.options.foreign_org_sid, "unknown": ctx.unknown_sid()}[org]
    if sid is None:
        return None
    return ctx.create_url(sid) if operation.role == "create" else ctx.list_url(sid)


def _member_elsewhere(ctx: KitContext) -> bool:
    """Whether the member token lists the second organization too (it is an Admin there: then member × foreign
    says nothing). A 403 there is judged: the member token must not belong to the second organization."""
    if not (ctx.options.member_token and ctx.options.has_foreign):
        return False
    return ctx.get(ctx.list_url(ctx.options.foreign_org_sid), ctx.member).status == 200


def check_matrix(ctx: KitContext, rec: Recorder) -> None:
    skipped: set[str] = set()
    member_elsewhere = _member_elsewhere(ctx)
    for operation in (op for op in ctx.spec.operations if op.role and op.allowed_roles):
        for (caller, org), (status, example) in ACCESS.items():
            rule = ids.access(operation.operation_id, caller, org)
            headers = _token(ctx, caller)
            url = _target(ctx, operation, org)
            if headers is None or url is None:
                skipped.add(f"{caller} × {org}")
                continue
            if caller == "member" and org == "foreign" and member_elsewhere:
                rec.note("the member token also belongs to the second organization: member × foreign not judged")
                continue
            what = f"{operation.label}: {caller} on {'a backup of ' if operation.role == 'detail' else ''}" \
                   f"{'its own' if org == 'own' else 'another' if org == 'foreign' else 'a nonexistent'} organization"
            if operation.method != "get":
                if status is not None:
                    expect_refused_post(ctx, rec, url, headers, status, example, what, rule)
                continue  # a create that succeeds is the writes theme's
            if status is None:
                expect_success(rec, ctx.get(url, headers), what, rule, tuple(sorted(operation.success_statuses())))
            else:
                expect_error(rec, ctx.get(url, headers), status, example, what, rule)
    if skipped:
        rec.note("not tried here (needs --member-token, --foreign-org-sid/--foreign-token or backups to name): "
                 + ", ".join(sorted(skipped)))
    if not ctx.options.allow_writes:
        rec.note("the create operation's cells need --allow-writes")


CHECKS = (
    Check("access.matrix", "every caller (Admin, member, another organization's Admin, none, unknown token) × "
          "organization (own, another, none) × operation gets the documented answer", check_matrix,
          covers=("{roled}.access.*",)),
)
