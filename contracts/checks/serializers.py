"""Serializers: for every serializer `x-serializer-schemas` lists, each result carries the schema's
required properties, nothing it does not declare, and valid values; all serializers describe the
same backups in the same order; the page around them has the documented keys.

Nothing here names a serializer or a field: a serializer or an optional property added to the
spec is checked as it says (required ⊆ returned keys ⊆ declared properties).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..rules import ids
from .base import Check, Recorder, expect_schema, expect_success, judge

if TYPE_CHECKING:
    from ..context import KitContext

SAMPLE_PAGE = 100
STAMP = re.compile(r"([0-9]{14})")


def _results(ctx: KitContext, rec: Recorder, serializer: str) -> list[dict[str, Any]] | None:
    """The first SAMPLE_PAGE results through `serializer`, judged field by field by the shared rules."""
    op = ctx.spec.list_op.operation_id
    exchange = ctx.get(ctx.list_url(serializer=serializer, page_size=SAMPLE_PAGE), ctx.admin)
    body = expect_success(rec, exchange, f"serializer={serializer}", ids.param(op, "serializer", serializer))
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return None
    return [item for item in body["results"] if isinstance(item, dict)]


def check_page_shape(ctx: KitContext, rec: Recorder) -> None:
    page_schema = ctx.spec.page_schema_name or "BackupPage"
    for serializer in ctx.spec.serializers:
        exchange = ctx.get(ctx.list_url(serializer=serializer), ctx.admin)
        judge(rec, exchange, f"serializer={serializer}: the page")
        body = exchange.json_or_none()
        if isinstance(body, dict) and "add_permission" in body and body["add_permission"] is not True:
            rec.fail(f"serializer={serializer}: add_permission is {body['add_permission']!r} for an Admin", exchange,
                     "true: an Admin may POST to this list", rule=ids.schema(page_schema, "add_permission"),
                     field="/body/add_permission", received=repr(body["add_permission"]))


def check_fields(ctx: KitContext, rec: Recorder) -> None:
    """Every serializer's results per its schema, and the same backups in the same order as the reference."""
    reference = _results(ctx, rec, ctx.serializer)
    for serializer in ctx.spec.serializers:
        results = reference if serializer == ctx.serializer else _results(ctx, rec, serializer)
        if results is None or reference is None or serializer == ctx.serializer:
            continue
        _same_backups(ctx, rec, serializer, results, reference)
    ref = ctx.spec.serializers[ctx.serializer]
    rule = ids.param(ctx.spec.list_op.operation_id, "serializer", ctx.serializer)
    for item in ctx.listing():  # every backup of the organization, not only the first page
        if not expect_schema(rec, item, ref, f"backup {item.get('sid')} (serializer={ctx.serializer})", rule):
            break
    for item in ctx.listing():
        problem = _documented_values(ctx, item)
        if problem:
            prop, expected, received = problem
            rec.fail(f"backup {item.get('sid')}: {prop} is {received}", expected=expected,
                     rule=ids.schema(ctx.spec.schema_name(ref), prop), field=f"/{prop}", received=received)
            break


def _same_backups(ctx: KitContext, rec: Recorder, serializer: str, results: list[dict[str, Any]],
                  reference: list[dict[str, Any]]) -> None:
    """Each result equals the reference result at the same position, on the keys both carry."""
    rule = ids.param(ctx.spec.list_op.operation_id, "serializer", serializer)
    if len(results) != len(reference):
        rec.fail(f"serializer={serializer} lists {len(results)} backups on the first page, serializer="
                 f"{ctx.serializer} {len(reference)}", expected="the same backups whatever the serializer",
                 rule=rule, field="/body/results", received=f"{len(results)} backups")
        return
    for index, (got, wanted) in enumerate(zip(results, reference, strict=True)):
        differing = sorted(key for key in got if key in wanted and got[key] != wanted[key])
        if differing:
            key = differing[0]
            rec.fail(f"serializer={serializer}, result {index + 1}: {key} differs from serializer={ctx.serializer}",
                     expected=repr(wanted[key]), rule=rule, field=f"/body/results/{index}/{key}",
                     received=repr(got[key]))
            return


def _documented_values(ctx: KitContext, item: dict[str, Any]) -> tuple[str, str, str] | None:
    """What the Backup schema says in words: the description repeats the name's time stamp; backups cannot be
    changed, so change_permission is false. (property, expected, received), or None."""
    name, description = item.get("name"), item.get("description")
    if isinstance(name, str) and isinstance(description, str):
        stamp_name, stamp_description = STAMP.search(name), STAMP.search(description)
        if stamp_name and stamp_description and stamp_name.group(1) != stamp_description.group(1):
            return "description", f"the time stamp of name ({stamp_name.group(1)})", repr(description)
    if "change_permission" in item and item["change_permission"] is not False:
        return "change_permission", "false (backups cannot be changed)", repr(item["change_permission"])
    return None


CHECKS = (
    Check("serializers.page_shape", "every list page has exactly the documented keys, valid values; "
          "add_permission true for an Admin", check_page_shape, covers=("schema.{page}.add_permission",
                                                                         "schema.{page}.results")),
    Check("serializers.fields", "every serializer the spec lists: required properties present, only declared "
          "ones, valid values, the same backups in the same order", check_fields,
          covers=("{list}.param.serializer.*", "schema.{serializers}", "schema.{serializers}.*")),
)
