"""Writes (only with --allow-writes): a POST creates one backup that the API then shows.

The answer must be a documented success (200 or 201) with a valid backup; the backup must
become the first of the list, raise `count` by one, and read back identically through the
detail operation the spec's OpenAPI link names. A backup may take a while to appear in the
list (--settle-timeout); the detail URL is expected to answer at once, as the link promises.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..context import CREATE
from ..errors import RequestRefused
from ..http import Exchange
from .base import WRITES, Check, Recorder, Skip, expect_json, expect_schema

if TYPE_CHECKING:
    from ..context import KitContext

POLL_INTERVAL = 0.25


def _evaluate(expression: str, body: Any) -> Any:
    """An OpenAPI runtime expression of the form `$response.body#/pointer`."""
    prefix = "$response.body#"
    if not expression.startswith(prefix):
        raise ValueError(f"unsupported link expression {expression}")
    node = body
    for part in [p for p in expression[len(prefix):].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _first_page(ctx: "KitContext") -> dict[str, Any] | None:
    body = ctx.get(ctx.list_url(), ctx.admin).json_or_none()
    return body if isinstance(body, dict) and isinstance(body.get("results"), list) else None


def _create(ctx: "KitContext", rec: Recorder, serializer: str, body: bytes | None,
            content_type: str | None, what: str) -> tuple[Exchange, dict[str, Any]] | None:
    try:
        exchange = ctx.client.post(ctx.list_url(serializer=serializer), ctx.admin, body, content_type)
    except RequestRefused as exc:
        rec.note(f"{what}: not sent: {exc}")
        return None
    statuses = tuple(sorted(ctx.spec.success_statuses(CREATE)))
    created = expect_json(rec, exchange, what, statuses)
    if not isinstance(created, dict) or not expect_schema(rec, exchange, created, "Backup", what):
        return None
    return exchange, created


def _follow_link(ctx: "KitContext", rec: Recorder, exchange: Exchange, created: dict[str, Any], what: str) -> None:
    link = ctx.spec.link(CREATE, exchange.status or 200)
    target = ctx.spec.operation(link.target)
    try:
        values = {name: _evaluate(expression, created) for name, expression in link.parameters.items()}
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        rec.fail(f"{what}: the spec's link {link.target} cannot be followed: {exc}", exchange)
        return
    url = ctx.client.url(target.path.format(**{name: str(value) for name, value in values.items()}))
    read = ctx.get(url, ctx.admin)
    body = expect_json(rec, read, f"{what}: reading it back through the link to {link.target}")
    if isinstance(body, dict) and body != created:
        differing = sorted(key for key in set(body) | set(created) if body.get(key) != created.get(key))
        rec.fail(f"{what}: its detail differs from the POST's answer in {differing}", read,
                 f"the created backup: {created}")


def _wait_listed(ctx: "KitContext", sid: str) -> tuple[dict[str, Any] | None, Exchange | None]:
    deadline = time.monotonic() + ctx.options.settle_timeout
    while True:
        exchange = ctx.get(ctx.list_url(), ctx.admin)
        body = exchange.json_or_none()
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            if any(isinstance(item, dict) and item.get("sid") == sid for item in body["results"]):
                return body, exchange
        if time.monotonic() >= deadline:
            return (body if isinstance(body, dict) else None), exchange
        time.sleep(POLL_INTERVAL)


def check_create(ctx: "KitContext", rec: Recorder) -> None:
    before = _first_page(ctx)
    if before is None or not isinstance(before.get("count"), int):
        raise Skip("the list does not answer a page to compare against")
    known = {item.get("sid") for item in ctx.inventory()} | {item.get("sid") for item in before["results"]}
    made = _create(ctx, rec, "detail", b"{}", "application/json", "POST {} (as the official client sends it)")
    if made is None:
        return
    exchange, created = made
    _follow_link(ctx, rec, exchange, created, "the created backup")
    page, listed = _wait_listed(ctx, created["sid"])
    if page is None:
        rec.fail("after the POST, the list did not answer a page", listed)
        return
    results = [item for item in page["results"] if isinstance(item, dict)]
    sids = [item.get("sid") for item in results]
    if created["sid"] not in sids:
        rec.fail(f"the created backup {created['sid']} is not on the first page of the list after "
                 f"{ctx.options.settle_timeout:g}s", listed, "the new backup first in the list")
        return
    position = sids.index(created["sid"])
    ahead = sids[:position]
    older_ahead = [sid for sid in ahead if sid in known]
    if older_ahead:
        rec.fail(f"the created backup is at position {position + 1} of the list, after older backups "
                 f"{older_ahead[:3]}", listed, "the new backup first (newest first)")
    elif ahead:
        rec.note(f"{len(ahead)} other backup(s) appeared meanwhile (someone else created them)")
    if page.get("count") != before["count"] + 1 + len(ahead):
        rec.fail(f"count went from {before['count']} to {page.get('count')} after one creation", listed,
                 f"count {before['count'] + 1 + len(ahead)}")
    if results[position] != created:
        rec.fail("the list shows the created backup differently from the POST's answer", listed,
                 f"the created backup: {created}")
    ctx.forget("inventory")


def check_any_serializer(ctx: "KitContext", rec: Recorder) -> None:
    if ctx.guard.remaining < 1:
        raise Skip(f"no write budget left (--max-writes {ctx.options.max_writes})")
    cases = [("name", None, None, "POST to serializer=name without a body"),
             ("list", b"note=ignored", "application/x-www-form-urlencoded", "POST to serializer=list with a form")]
    for serializer, body, content_type, what in cases:
        if ctx.guard.remaining < 1:
            rec.note(f"{what}: not sent (write budget spent)")
            continue
        made = _create(ctx, rec, serializer, body, content_type, what)
        if made is not None:
            _follow_link(ctx, rec, *made, what)
    ctx.forget("inventory")


CHECKS = (
    Check("writes.create", "POST creates a valid backup that is then first in the list, count+1, and "
          "reads back through its link", check_create, (WRITES,)),
    Check("writes.any_serializer", "POST answers the six fields whatever the serializer and ignores the body",
          check_any_serializer, (WRITES,)),
)
