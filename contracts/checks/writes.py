"""Writes (only with --allow-writes): a POST creates one backup, and every page of the list shows it.

The answer must be a documented success with a valid backup that reads back through the
OpenAPI link the spec declares. Its effect is judged on every field of every page: the list is
walked at a page size of which the count is an exact multiple before the create (so the create
opens a new page), and again after it; each page must be the old list shifted by one, with
count, page_count, next and previous following. A backup may take a while to appear
(--settle-timeout); the detail URL is expected to answer at once, as the link promises.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..errors import RequestRefused
from ..http import Exchange
from ..rules import ids
from ..spec import CredentialForm
from .base import WRITES, Check, Recorder, Skip, expect_success
from .pagination import page_count

if TYPE_CHECKING:
    from ..context import KitContext

POLL_INTERVAL = 0.25
MAX_EFFECT_PAGES = 6


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


def _create(ctx: KitContext, rec: Recorder, serializer: str, body: bytes | None, content_type: str | None,
            what: str, form: CredentialForm | None = None) -> tuple[Exchange, dict[str, Any]] | None:
    create = ctx.spec.role("create")
    headers = ctx.auth(ctx.options.token, form)
    before = len(rec.result.findings)
    try:
        exchange = ctx.client.post(ctx.create_url(serializer=serializer), headers, body, content_type)
    except RequestRefused:
        return None  # counted by the guard, reported once (the run's `writes:` line)
    rule = ids.param(create.operation_id, "serializer", serializer)
    created = expect_success(rec, exchange, what, rule, tuple(sorted(create.success_statuses())))
    if form is not None and exchange.status in (401, 403):
        rec.fail(f"{what}: the token as {form.name} is refused", exchange, "a documented success", received=str(
            exchange.status), rule=ids.security(create.operation_id, form.scheme), field="/status")
    if not isinstance(created, dict) or len(rec.result.findings) > before:
        return None
    return exchange, created


def _follow_link(ctx: KitContext, rec: Recorder, exchange: Exchange, created: dict[str, Any], what: str) -> None:
    create = ctx.spec.role("create")
    links = (create.response(exchange.status or 200) or {}).get("links") or {}
    for name, link in links.items():
        rule = ids.link(create.operation_id, name)
        target = ctx.spec.operation(link["operationId"])
        try:
            values = {key: str(_evaluate(expression, created))
                      for key, expression in link.get("parameters", {}).items()}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            rec.fail(f"{what}: the spec's link {name} cannot be followed: {exc}", exchange, "the link's values in the "
                     "answer", rule=rule, field="/body", received=str(exc))
            continue
        read = ctx.get(ctx.client.url(target.fill(values)), ctx.admin)
        body = expect_success(rec, read, f"{what}: reading it back through the link {name}", rule)
        if isinstance(body, dict) and body != created:
            differing = sorted(key for key in set(body) | set(created) if body.get(key) != created.get(key))
            rec.fail(f"{what}: its detail differs from the POST's answer in {differing}", read,
                     repr({key: created.get(key) for key in differing}), rule=rule, field=f"/body/{differing[0]}",
                     received=repr({key: body.get(key) for key in differing}))


def _pages(ctx: KitContext, size: int) -> list[dict[str, Any]] | None:
    """Every page of the list at `size`, by number (None if one does not answer a page)."""
    first = ctx.get(ctx.list_url(page=1, page_size=size), ctx.admin).json_or_none()
    if not isinstance(first, dict) or not isinstance(first.get("count"), int):
        return None
    pages = [first]
    for number in range(2, page_count(first["count"], size) + 1):
        body = ctx.get(ctx.list_url(page=number, page_size=size), ctx.admin).json_or_none()
        if not isinstance(body, dict):
            return None
        pages.append(body)
    return pages


def _effect_size(count: int, cap: int) -> int:
    """A page size of which `count` is an exact multiple, giving a few pages: the create opens a new one."""
    for size in range(1, min(count, cap) + 1):
        if count % size == 0 and count // size <= MAX_EFFECT_PAGES:
            return size
    return min(max(1, count), cap)


def _wait_listed(ctx: KitContext, sid: str, size: int) -> list[dict[str, Any]] | None:
    deadline = time.monotonic() + ctx.options.settle_timeout
    while True:
        pages = _pages(ctx, size)
        if pages and any(isinstance(item, dict) and item.get("sid") == sid for item in pages[0].get("results", [])):
            return pages
        if time.monotonic() >= deadline:
            return pages
        time.sleep(POLL_INTERVAL)


def _judge_effect(ctx: KitContext, rec: Recorder, before: list[dict[str, Any]], after: list[dict[str, Any]],
                  created: dict[str, Any], size: int) -> None:
    rule = ids.behaviour(ctx.spec.role("create").operation_id, "effect")
    old = [item for page in before for item in page.get("results", [])]
    count = before[0]["count"] + 1
    shifted = [created, *old]
    pages = page_count(count, size)
    if len(after) != pages or after[0].get("count") != count:
        rec.fail(f"after one create, count is {after[0].get('count')!r} over {len(after)} page(s) at page_size {size}",
                 expected=f"count {count}, page_count {pages}", rule=rule, field="/body/count",
                 received=f"count {after[0].get('count')!r}, page_count {after[0].get('page_count')!r}")
    for number, page in enumerate(after, 1):
        wanted = {"count": count, "page_count": pages, "page_number": number, "page_size": size,
                  "add_permission": before[0].get("add_permission"),
                  "next": number < pages, "previous": number > 1,
                  "results": [item.get("sid") for item in shifted[(number - 1) * size:number * size]]}
        got = {key: page.get(key) for key in ("count", "page_count", "page_number", "page_size", "add_permission")}
        got["next"], got["previous"] = page.get("next") is not None, page.get("previous") is not None
        got["results"] = [item.get("sid") for item in page.get("results", []) if isinstance(item, dict)]
        for key in wanted:
            if got[key] != wanted[key]:
                rec.fail(f"after one create, page {number} of {pages} (page_size {size}): {key} is {got[key]!r}",
                         expected=repr(wanted[key]), rule=rule, field=f"/body/{key}", received=repr(got[key]))
                return
        listed = next((item for item in page.get("results", []) if item.get("sid") == created.get("sid")), None)
        if listed is not None and any(listed.get(key) != created.get(key) for key in listed):
            key = next(key for key in listed if listed.get(key) != created.get(key))
            rec.fail(f"the list shows the created backup's {key} differently from the POST's answer",
                     expected=repr(created.get(key)), rule=rule, field=f"/body/results/0/{key}",
                     received=repr(listed.get(key)))


def check_create(ctx: KitContext, rec: Recorder) -> None:
    count = len(ctx.listing())
    size = _effect_size(count, ctx.spec.page_size_max)
    before = _pages(ctx, size)
    if before is None:
        raise Skip("the list does not answer its pages to compare against")
    made = _create(ctx, rec, ctx.serializer, b"{}", "application/json", "POST {} (as the official client sends it)")
    if made is None:
        return
    exchange, created = made
    _follow_link(ctx, rec, exchange, created, "the created backup")
    after = _wait_listed(ctx, str(created.get("sid")), size)
    ctx.forget("listing")
    ctx.forget("walk")
    rule = ids.behaviour(ctx.spec.role("create").operation_id, "effect")
    if not after:
        rec.fail("after the POST, the list did not answer its pages", expected="every page of the list",
                 rule=rule, field="/status", received="no page")
        return
    first = [item.get("sid") for item in after[0].get("results", []) if isinstance(item, dict)]
    if created.get("sid") not in first:
        rec.fail(f"the created backup {created.get('sid')} is not on the first page after "
                 f"{ctx.options.settle_timeout:g}s", expected="the new backup first in the list (newest first)",
                 rule=rule, field="/body/results/0/sid", received=repr(first[:3]))
        return
    others = after[0].get("count", 0) - before[0]["count"] - 1
    if isinstance(others, int) and others > 0:
        rec.note(f"{others} other backup(s) appeared meanwhile (someone else created them): pages not compared")
        return
    _judge_effect(ctx, rec, before, after, created, size)


def check_any_serializer(ctx: KitContext, rec: Recorder) -> None:
    """POST through every other serializer, with every other credential form and body the spec accepts."""
    create = ctx.spec.role("create")
    media = list((create.definition.get("requestBody") or {}).get("content") or {})
    bodies: list[tuple[bytes | None, str | None]] = [(None, None)]
    bodies += [({"application/json": b'{"note": "ignored"}', "application/x-www-form-urlencoded": b"note=ignored"}
                .get(kind, b"note=ignored"), kind) for kind in media if "multipart" not in kind]
    forms = [form for form in ctx.forms if form != ctx.form] or [ctx.form]
    others = [name for name in ctx.spec.serializers if name != ctx.serializer]
    if ctx.guard.remaining < 1:
        raise Skip(f"no write budget left (--max-writes {ctx.options.max_writes})")
    for index, serializer in enumerate(others):
        body, content_type = bodies[index % len(bodies)]
        form = forms[index % len(forms)]
        shown_body = f"a {content_type} body" if body else "no body"
        what = f"POST to serializer={serializer} as {form.name} with {shown_body}"
        if ctx.guard.remaining < 1:
            ctx.guard.not_sent += 1
            continue
        made = _create(ctx, rec, serializer, body, content_type, what, form)
        if made is not None:
            _follow_link(ctx, rec, *made, what)
    ctx.forget("listing")
    ctx.forget("walk")


CHECKS = (
    Check("writes.create", "POST creates a valid backup that reads back through its link; every field of every "
          "page of the list then shows it (first, count+1, each page shifted, a new page opened)", check_create,
          (WRITES,), covers=("{create}.effect", "{create}.link.*", "{create}.200", "{create}.201",
                             "{create}.access.admin.own", "{create}.status")),
    Check("writes.any_serializer", "POST answers the created backup whatever the serializer, credential form or "
          "body", check_any_serializer, (WRITES,),
          covers=("{create}.param.serializer.*", "{create}.body", "{create}.security.*")),
)
