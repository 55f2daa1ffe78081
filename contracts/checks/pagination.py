"""Pagination on the real list, at its boundaries: walks through `next`, page arithmetic, links,
sizes at 1, at exact multiples of the count, at the cap and above, `last`, empty and malformed values.

Django REST Framework's PageNumberPagination as the spec describes it: `page` from 1 or `last`,
page size defaulted and capped (both from the spec), `page_count = max(1, ceil(count / size))`,
absolute `next`/`previous` links, 404 `Invalid page.` past the end. Every page is also judged
by the shared rules (contracts.rules), field by field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..http import Exchange
from ..rules import ids
from .base import Check, Recorder, expect_error, expect_success, judge, newest_first_key

if TYPE_CHECKING:
    from ..context import KitContext

MAX_WALK_PAGES = 100
SMALL_WALK_PAGES = 6  # a boundary walk should stay short
UNSTABLE_RETRIES = 2


@dataclass
class Visit:
    number: int
    exchange: Exchange
    body: dict[str, Any] | None


@dataclass
class Walk:
    """Pages reached from page 1 by following `next`."""

    size: int | None  # requested page size, None for the default
    why: str  # which boundary this walk probes
    visits: list[Visit] = field(default_factory=list)
    problems: list[tuple[str, Exchange, str, str]] = field(default_factory=list)
    unstable: bool = False

    @property
    def count(self) -> int | None:
        first = self.visits[0].body if self.visits else None
        value = first.get("count") if first else None
        return value if isinstance(value, int) else None

    def placed(self) -> list[tuple[Visit, dict[str, Any]]]:
        """Every listed backup with the page it was listed on."""
        return [(visit, item) for visit in self.visits if visit.body
                for item in visit.body.get("results", []) if isinstance(item, dict)]

    @property
    def label(self) -> str:
        return (f"page_size={self.size}" if self.size is not None else "default page size") + f" ({self.why})"


def page_count(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def _rule(ctx: KitContext, prop: str) -> str:
    page_schema = ctx.spec.page_schema_name or "BackupPage"
    return ids.schema(page_schema, prop)


def _page_rule(ctx: KitContext, role: str, aspect: str) -> str:
    return ids.param(ctx.spec.list_op.operation_id, role, aspect)


def same_origin(ctx: KitContext, link: str) -> str:
    """The link re-rooted on the base URL's origin (the kit never sends tokens elsewhere)."""
    parts = urlsplit(link)
    origin = urlsplit(ctx.client.base_url)
    return urlunsplit((origin.scheme, origin.netloc, parts.path, parts.query, ""))


def _walk_once(ctx: KitContext, size: int | None, why: str) -> Walk:
    walk = Walk(size, why)
    url = ctx.list_url(page=1, page_size=size)
    seen_urls: set[str] = set()
    limit = MAX_WALK_PAGES + 2
    while url and len(walk.visits) < limit:
        seen_urls.add(url)
        exchange = ctx.get(url, ctx.admin)
        body = exchange.json_or_none() if exchange.status == 200 else None
        if not isinstance(body, dict):
            walk.problems.append((f"page {len(walk.visits) + 1} of the walk did not answer 200 with a JSON object",
                                  exchange, "200 with a page object", "next"))
            body = None
        walk.visits.append(Visit(len(walk.visits) + 1, exchange, body))
        if body is None:
            break
        if walk.count is not None and body.get("count") != walk.count:
            walk.unstable = True
        if isinstance(body.get("count"), int) and isinstance(body.get("page_size"), int) and body["page_size"] > 0:
            limit = min(limit, page_count(body["count"], body["page_size"]) + 2)
        link = body.get("next")
        if not isinstance(link, str):
            break
        url = same_origin(ctx, link)
        if url in seen_urls:
            walk.problems.append((f"page {len(walk.visits)}'s next link leads back to a page already visited",
                                  exchange, "next links that move forward", "next"))
            break
    return walk


def walk(ctx: KitContext, size: int | None, why: str) -> Walk:
    """A walk, retried when `count` changes under it (someone else writing meanwhile)."""
    def build() -> Walk:
        result = _walk_once(ctx, size, why)
        for _ in range(UNSTABLE_RETRIES):
            if not result.unstable:
                break
            result = _walk_once(ctx, size, why)
        return result
    found: Walk = ctx.memo(f"walk:{size}", build)
    return found


def boundary_sizes(ctx: KitContext) -> list[tuple[int | None, str]]:
    """Page sizes that put the walk on the boundaries: default, an exact multiple, one over, one page."""
    count = len(ctx.listing())
    default, cap = ctx.spec.page_size_default, ctx.spec.page_size_max
    sizes: list[tuple[int | None, str]] = []
    if page_count(count, default) <= MAX_WALK_PAGES:
        sizes.append((None, "the default"))
    if count >= 2:
        divisors = [size for size in range(1, min(count, cap) + 1)
                    if count % size == 0 and 2 <= count // size <= SMALL_WALK_PAGES]
        if divisors:
            sizes.append((divisors[0], f"count {count} an exact multiple: the last page full"))
        over = [size for size in range(2, min(count, cap) + 1)
                if count % size == 1 and count // size + 1 <= SMALL_WALK_PAGES]
        if over:
            sizes.append((over[-1], "one backup more than a multiple: the last page holds one"))
    if 1 <= count <= cap:
        sizes.append((count, "exactly one full page"))
    unique: dict[int | None, str] = {}
    for size, why in sizes:
        unique.setdefault(size, why)
    return list(unique.items())


def _walks(ctx: KitContext, rec: Recorder) -> list[Walk]:
    walks = []
    for size, why in boundary_sizes(ctx):
        result = walk(ctx, size, why)
        if result.unstable:
            rec.note(f"{result.label}: count changed during every walk (concurrent writes?); arithmetic not judged")
            continue
        walks.append(result)
    return walks


# -- checks --------------------------------------------------------------------------------
def check_walk(ctx: KitContext, rec: Recorder) -> None:
    listing_sids = [item.get("sid") for item in ctx.listing()]
    order = ids.behaviour(ctx.spec.list_op.operation_id, "order")
    for result in _walks(ctx, rec):
        for summary, exchange, expected, prop in result.problems:
            rec.fail(f"{result.label}: {summary}", exchange, expected, rule=_rule(ctx, prop), field=f"/body/{prop}",
                     received=str(exchange.status))
        if not result.visits or result.visits[0].body is None or result.count is None:
            continue
        last = result.visits[-1].exchange
        sids = [item.get("sid") for _, item in result.placed()]
        duplicates = sorted({sid for sid in sids if sids.count(sid) > 1}, key=str)
        if duplicates:
            rec.fail(f"{result.label}: the walk lists {len(duplicates)} backup(s) twice, e.g. {duplicates[:3]}",
                     last, "each backup exactly once", rule=_rule(ctx, "next"), field="/body/results",
                     received=f"{len(duplicates)} repeated")
        if len(set(sids)) != result.count:
            rec.fail(f"{result.label}: following next from page 1 visited {len(set(sids))} distinct backups in "
                     f"{len(result.visits)} page(s), but count is {result.count}", last,
                     f"count = {len(set(sids))}, the backups the pages hold", rule=_rule(ctx, "count"),
                     field="/body/count", received=str(result.count))
        size = result.visits[0].body.get("page_size") if result.visits[0].body else None
        if isinstance(size, int) and size > 0 and len(result.visits) != page_count(result.count, size):
            rec.fail(f"{result.label}: the walk took {len(result.visits)} page(s)", last,
                     f"page_count {page_count(result.count, size)} pages for count {result.count} and page_size {size}",
                     rule=_rule(ctx, "page_count"), field="/body/page_count", received=f"{len(result.visits)} pages")
        placed = result.placed()
        for (_, before), (visit, after) in zip(placed, placed[1:], strict=False):
            if newest_first_key(before) > newest_first_key(after):
                rec.fail(f"{result.label}, page {visit.number}: not newest first: {before.get('sid')} "
                         f"({before.get('date_created')}) is listed before {after.get('sid')} "
                         f"({after.get('date_created')})", visit.exchange, "date_created descending, then sid",
                         rule=order, field="/body/results", received=f"{before.get('sid')} before {after.get('sid')}")
                break
        if sids != listing_sids and not duplicates and len(set(sids)) == result.count:
            rec.fail(f"{result.label}: the walk lists the backups in another order than page_size="
                     f"{ctx.spec.page_size_max} does", last, "the same sequence whatever the page size", rule=order,
                     field="/body/results", received="another sequence")


def check_page_fields(ctx: KitContext, rec: Recorder) -> None:
    default, cap = ctx.spec.page_size_default, ctx.spec.page_size_max
    for result in _walks(ctx, rec):
        count = result.count
        for visit in result.visits:
            body = visit.body
            if body is None or count is None:
                continue
            judge(rec, visit.exchange, f"{result.label}, page {visit.number}")
            size = min(result.size if result.size is not None else default, cap)
            pages = page_count(count, size)
            rows = max(0, min(size, count - (visit.number - 1) * size))
            results = body.get("results")
            expected: dict[str, Any] = {"page_size": size, "page_number": visit.number, "count": count,
                                        "page_count": pages, "results": f"{rows} backups",
                                        "next": "a link" if visit.number < pages else None,
                                        "previous": "a link" if visit.number > 1 else None}
            got: dict[str, Any] = {key: body.get(key) for key in ("page_size", "page_number", "count", "page_count")}
            got["results"] = f"{len(results)} backups" if isinstance(results, list) else results
            got["next"] = "a link" if body.get("next") is not None else None
            got["previous"] = "a link" if body.get("previous") is not None else None
            for key, value in expected.items():
                if got[key] != value:
                    shown = body.get(key) if key in ("next", "previous") else got[key]
                    rec.fail(f"{result.label}, page {visit.number}: {key} is {shown!r}", visit.exchange,
                             f"{value!r} (count {count}, page_size {size}, page {visit.number} of {pages})",
                             rule=_rule(ctx, key), field=f"/body/{key}", received=repr(shown))


def _check_link(ctx: KitContext, rec: Recorder, visit: Visit, name: str, target: int | None,
                size: int | None) -> None:
    link = visit.body.get(name) if visit.body else None
    if not isinstance(link, str) or target is None:
        return
    parts = urlsplit(link)
    origin = urlsplit(ctx.client.base_url)
    expected_path = urlsplit(ctx.list_url()).path
    page_name = ctx.spec.list_op.needs("page").name
    size_name = ctx.spec.list_op.needs("page-size").name
    problems = []
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append("not an absolute URL")
    elif (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
        problems.append(f"points at {parts.scheme}://{parts.netloc}, not at {origin.scheme}://{origin.netloc}")
    if parts.path != expected_path:
        problems.append(f"path {parts.path}")
    query = parse_qs(parts.query, keep_blank_values=True)
    pages = query.get(page_name, [])
    if target == 1 and name == "previous":
        if pages:
            problems.append(f"{page_name}={pages} (the previous link of page 2 carries no {page_name} parameter)")
    elif pages != [str(target)]:
        problems.append(f"{page_name}={pages[0] if len(pages) == 1 else pages}")
    if size is not None and query.get(size_name) != [str(size)]:
        problems.append(f"{size_name}={query.get(size_name)} (the request's {size_name}={size} is dropped)")
    if problems:
        wanted = f"no {page_name} parameter" if target == 1 and name == "previous" else f"{page_name}={target}"
        rec.fail(f"page {visit.number}: {name} link: " + "; ".join(problems), visit.exchange,
                 f"an absolute URL of the same list with {wanted}" + (f" and {size_name}={size}" if size else ""),
                 rule=_rule(ctx, name), field=f"/body/{name}", received=link)


def check_links(ctx: KitContext, rec: Recorder) -> None:
    for result in _walks(ctx, rec):
        for visit in result.visits:
            if visit.body is None:
                continue
            _check_link(ctx, rec, visit, "next", visit.number + 1, result.size)
            _check_link(ctx, rec, visit, "previous", visit.number - 1 if visit.number > 1 else None, result.size)
        forward = [visit for visit in result.visits if visit.body is not None]
        if len(forward) < 2 or any(visit.body is None or visit.body.get("next") is None for visit in forward[:-1]):
            continue
        current = forward[-1]
        for expected in reversed(forward[:-1]):  # back from the last page through `previous`
            link = current.body.get("previous") if current.body else None
            if not isinstance(link, str):
                break
            exchange = ctx.get(same_origin(ctx, link), ctx.admin)
            body = exchange.json_or_none() if exchange.status == 200 else None
            got = [item.get("sid") for item in body.get("results", [])] if isinstance(body, dict) else None
            want = [item.get("sid") for item in (expected.body or {}).get("results", [])]
            if got != want:
                rec.fail(f"{result.label}: following previous from page {current.number} does not give page "
                         f"{expected.number} back", exchange, f"the backups of page {expected.number}: {want[:3]}...",
                         rule=_rule(ctx, "previous"), field="/body/previous", received=f"{(got or [])[:3]}...")
                break
            current = Visit(expected.number, exchange, body)


def check_page_size(ctx: KitContext, rec: Recorder) -> None:
    count = len(ctx.listing())
    default, cap = ctx.spec.page_size_default, ctx.spec.page_size_max
    honoured, capped, fallback = (_page_rule(ctx, "page-size", aspect) for aspect in ("honoured", "cap", "fallback"))
    cases: list[tuple[str | None, int, str]] = [
        (None, default, _page_rule(ctx, "page-size", "default")),
        ("1", 1, honoured), ("2", 2, honoured), (str(max(1, count)), max(1, min(count, cap)), honoured),
        (str(max(1, count - 1)), max(1, min(count - 1, cap)), honoured), (str(cap - 1), cap - 1, honoured),
        (str(cap), cap, honoured), (str(cap + 1), cap, capped), (str(cap * 5), cap, capped),
        ("0", default, fallback), ("-1", default, fallback), ("abc", default, fallback), ("", default, fallback),
        ("1.5", default, fallback),
    ]
    seen: set[str | None] = set()
    for raw, size, rule in cases:
        if raw in seen or (raw is not None and raw.lstrip("-").isdigit() and int(raw) < 1 and rule == honoured):
            continue
        seen.add(raw)
        what = f"page_size={raw!r}" if raw is not None else "no page_size"
        exchange = ctx.get(ctx.list_url(page_size=raw), ctx.admin)
        body = expect_success(rec, exchange, what, rule)
        if not isinstance(body, dict):
            continue
        rows, got = min(size, count), body.get("results")
        wanted = {"page_size": size, "results": f"{rows} backups", "page_count": page_count(count, size)}
        received = {"page_size": body.get("page_size"),
                    "results": f"{len(got)} backups" if isinstance(got, list) else got,
                    "page_count": body.get("page_count")}
        for key, value in wanted.items():
            if received[key] != value:
                rec.fail(f"{what}: {key} is {received[key]!r}", exchange, f"{value!r} (count {count})", rule=rule,
                         field=f"/body/{key}", received=repr(received[key]))


def check_last(ctx: KitContext, rec: Recorder) -> None:
    rule = _page_rule(ctx, "page", "last")
    count = len(ctx.listing())
    sizes = [size for size, _ in boundary_sizes(ctx)] + [ctx.spec.page_size_max]
    for size in dict.fromkeys(sizes):
        what = f"page=last ({'page_size=' + str(size) if size else 'default page size'})"
        exchange = ctx.get(ctx.list_url(page="last", page_size=size), ctx.admin)
        body = expect_success(rec, exchange, what, rule)
        if not isinstance(body, dict):
            continue
        pages = page_count(count, min(size or ctx.spec.page_size_default, ctx.spec.page_size_max))
        if body.get("page_number") != pages:
            rec.fail(f"{what}: page_number is {body.get('page_number')!r}", exchange,
                     f"{pages}, the last page (count {count})", rule=rule, field="/body/page_number",
                     received=repr(body.get("page_number")))
        numbered = ctx.get(ctx.list_url(page=pages, page_size=size), ctx.admin)
        other = numbered.json_or_none() if numbered.status == 200 else None
        if not isinstance(other, dict) or other.get("results") != body.get("results"):
            rec.fail(f"{what} and page={pages} list different backups", numbered,
                     "page=last to be the last numbered page", rule=rule, field="/body/results",
                     received=f"page={pages} answered {numbered.status}")


def check_invalid_page(ctx: KitContext, rec: Recorder) -> None:
    count = len(ctx.listing())
    past, invalid = _page_rule(ctx, "page", "past-end"), _page_rule(ctx, "page", "invalid")
    for size, why in boundary_sizes(ctx):
        pages = page_count(count, size or ctx.spec.page_size_default)
        for raw in (pages + 1, pages + 10):
            expect_error(rec, ctx.get(ctx.list_url(page=raw, page_size=size), ctx.admin), 404, "invalidPage",
                         f"page={raw}, past the last page {pages} ({why})", past)
    for malformed in ("0", "-1", "abc", "1.5", "2x", "01x", "LAST"):
        expect_error(rec, ctx.get(ctx.list_url(page=malformed), ctx.admin), 404, "invalidPage", f"page={malformed!r}",
                     invalid)
    first = ctx.get(ctx.list_url(), ctx.admin)
    baseline = first.json_or_none()
    for first_page, aspect in (("", "empty"), ("1", "default"), (None, "default")):
        rule = _page_rule(ctx, "page", aspect)
        exchange = ctx.get(ctx.list_url(page=first_page), ctx.admin)
        body = expect_success(rec, exchange, f"page={first_page!r}", rule)
        if isinstance(body, dict) and isinstance(baseline, dict) and (
                body.get("page_number") != 1 or body.get("results") != baseline.get("results")):
            rec.fail(f"page={first_page!r} is not the first page", exchange,
                     "page_number 1 and the first page's backups", rule=rule, field="/body/page_number",
                     received=repr(body.get("page_number")))


CHECKS = (
    Check("pagination.walk", "next links from page 1 visit exactly count distinct backups, newest first, at every "
          "boundary page size", check_walk, covers=("{list}.order", "schema.{page}.count")),
    Check("pagination.page_fields", "page_size, page_number, page_count, results and next/previous agree "
          "with count on every page (full last page, single item, single page)", check_page_fields,
          covers=("{list}.200", "schema.{page}", "schema.{page}.*")),
    Check("pagination.links", "next/previous are absolute URLs of the same list, one page on, page size kept",
          check_links, covers=("schema.{page}.next", "schema.{page}.previous")),
    Check("pagination.page_size", "page size honoured from 1 to the cap, capped above it, defaulted when "
          "absent, empty, zero, negative or not a number", check_page_size, covers=("{list}.param.page-size.*",)),
    Check("pagination.last_page", "page=last is the last page, for every boundary page size and the cap",
          check_last, covers=("{list}.param.page.last",)),
    Check("pagination.invalid_page", "pages past the end (also right after an exact multiple) and malformed "
          "pages: 404 Invalid page.; an empty page means 1", check_invalid_page,
          covers=("{list}.param.page.*", "{list}.404", "{list}.404.message", "{list}.404.message.*")),
)
