"""Serializers: `name` gives exactly sid and name; `list` and `detail` the documented fields.

Field sets come from the spec's `x-serializer-schemas`; every backup of the organization is
validated against its schema (types, patterns, formats), and the three serializers must
describe the same backups in the same order.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .base import Check, Recorder, expect_json, expect_schema

if TYPE_CHECKING:
    from ..context import KitContext

SAMPLE_PAGE = 100
STAMP = re.compile(r"([0-9]{14})")


def _page(ctx: "KitContext", rec: Recorder, serializer: str) -> tuple[Any, list[dict[str, Any]] | None]:
    exchange = ctx.get(ctx.list_url(serializer=serializer, page_size=SAMPLE_PAGE), ctx.admin)
    body = expect_json(rec, exchange, f"serializer={serializer}")
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        if isinstance(body, dict):
            rec.fail(f"serializer={serializer}: no results list", exchange, "a page with a results list")
        return exchange, None
    return exchange, body["results"]


def _check_fields(ctx: "KitContext", rec: Recorder, serializer: str) -> list[dict[str, Any]] | None:
    schema_name = ctx.spec.serializer_schemas[serializer]
    wanted = set(ctx.spec.fields(schema_name))
    exchange, results = _page(ctx, rec, serializer)
    if results is None:
        return None
    for item in results:
        keys = set(item) if isinstance(item, dict) else set()
        if keys != wanted:
            missing, extra = sorted(wanted - keys), sorted(keys - wanted)
            rec.fail(f"serializer={serializer}: backup {item.get('sid') if isinstance(item, dict) else item!r} "
                     f"has fields {sorted(keys)}" + (f"; missing {missing}" if missing else "")
                     + (f"; unexpected {extra}" if extra else ""), exchange, f"exactly {sorted(wanted)}")
            return results
        if not expect_schema(rec, exchange, item, schema_name, f"serializer={serializer}: backup {item['sid']}"):
            return results
    return results


def _same_backups(rec: Recorder, ctx: "KitContext", serializer: str, results: list[dict[str, Any]],
                  reference: list[dict[str, Any]]) -> None:
    fields = ctx.spec.fields(ctx.spec.serializer_schemas[serializer])
    projected = [{key: item.get(key) for key in fields} for item in reference]
    got = [{key: item.get(key) for key in fields} if isinstance(item, dict) else item for item in results]
    if got != projected:
        first = next((index for index, (a, b) in enumerate(zip(got, projected, strict=False)) if a != b), min(len(got),
                                                                                                len(projected)))
        rec.fail(f"serializer={serializer} and serializer=list disagree at position {first + 1}: "
                 f"{got[first] if first < len(got) else None!r} vs "
                 f"{projected[first] if first < len(projected) else None!r}",
                 expected="the same backups, in the same order, whatever the serializer")


def _check_projection(ctx: "KitContext", rec: Recorder, serializer: str) -> None:
    """The serializer's fields, and the same backups in the same order as the `list` page."""
    results = _check_fields(ctx, rec, serializer)
    reference = _page(ctx, rec, "list")[1]
    if results is not None and reference is not None and not rec.failed:
        _same_backups(rec, ctx, serializer, results, reference)


def check_name(ctx: "KitContext", rec: Recorder) -> None:
    _check_projection(ctx, rec, "name")


def check_list(ctx: "KitContext", rec: Recorder) -> None:
    _check_fields(ctx, rec, "list")
    # Every backup of the organization, not only the first page, must match the schema.
    schema_name = ctx.spec.serializer_schemas["list"]
    wanted = set(ctx.spec.fields(schema_name))
    for item in ctx.inventory():
        if set(item) != wanted:
            rec.fail(f"backup {item.get('sid')} has fields {sorted(item)}", expected=f"exactly {sorted(wanted)}")
            break
        if not expect_schema(rec, None, item, schema_name, f"backup {item.get('sid')}"):
            break
    for item in ctx.inventory():
        problem = _documented_values(item)
        if problem:
            rec.fail(f"backup {item.get('sid')}: {problem}", expected="the values the Backup schema describes")
            break


def _documented_values(item: dict[str, Any]) -> str | None:
    """What the schema says in words: the description repeats the name's time stamp; backups are unchangeable."""
    name, description = item.get("name"), item.get("description")
    if isinstance(name, str) and isinstance(description, str):
        stamp_name, stamp_description = STAMP.search(name), STAMP.search(description)
        if stamp_name and stamp_description and stamp_name.group(1) != stamp_description.group(1):
            return f"description {description!r} does not repeat the time stamp of name {name!r}"
    if item.get("change_permission") is not False:
        return f"change_permission is {item.get('change_permission')!r} (backups cannot be changed, so false)"
    return None


def check_detail_serializer(ctx: "KitContext", rec: Recorder) -> None:
    _check_projection(ctx, rec, "detail")


def check_page_shape(ctx: "KitContext", rec: Recorder) -> None:
    for serializer in ctx.spec.serializer_schemas:
        exchange = ctx.get(ctx.list_url(serializer=serializer), ctx.admin)
        body = expect_json(rec, exchange, f"serializer={serializer}")
        if not isinstance(body, dict):
            continue
        if not expect_schema(rec, exchange, body, "BackupPage", f"serializer={serializer}: the page"):
            continue
        if body.get("add_permission") is not True:
            rec.fail(f"serializer={serializer}: add_permission is {body.get('add_permission')!r} for an Admin",
                     exchange, "add_permission true: an Admin may POST to this list")


CHECKS = (
    Check("serializers.page_shape", "every list page has exactly the documented keys; add_permission true "
          "for an Admin", check_page_shape),
    Check("serializers.name", "serializer=name gives exactly sid and name, for the same backups",
          check_name),
    Check("serializers.list", "serializer=list gives the six documented fields, valid types and formats, "
          "for every backup", check_list),
    Check("serializers.detail", "serializer=detail gives the six documented fields, the same as list",
          check_detail_serializer),
)
