"""Pagination on the real list: walks through `next`, page arithmetic, links, sizes, bounds.

Django REST Framework's PageNumberPagination as the spec describes it: `page` from 1 or
`last`, `page_size` defaulted and capped, `page_count = max(1, ceil(count / page_size))`,
absolute `next`/`previous` links, 404 `Invalid page.` past the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..http import Exchange
from .base import Check, Recorder, expect_json, expect_json_error, newest_first_key

if TYPE_CHECKING:
    from ..context import KitContext

MAX_WALK_PAGES = 100
UNSTABLE_RETRIES = 2


@dataclass
class Visit:
    number: int
    exchange: Exchange
    body: dict[str, Any] | None


@dataclass
class Walk:
    """Pages reached from page 1 by following `next`."""

    size: int | None  # requested page_size, None for the default
    visits: list[Visit] = field(default_factory=list)
    problems: list[tuple[str, Exchange, str]] = field(default_factory=list)
    unstable: bool = False

    @property
    def effective_size(self) -> int | None:
        first = self.visits[0].body if self.visits else None
        return first.get("page_size") if first else None

    @property
    def count(self) -> int | None:
        first = self.visits[0].body if self.visits else None
        value = first.get("count") if first else None
        return value if isinstance(value, int) else None

    def items(self) -> list[dict[str, Any]]:
        return [item for _, item in self.placed()]

    def placed(self) -> list[tuple[Visit, dict[str, Any]]]:
        """Every listed backup with the page it was listed on."""
        return [(visit, item) for visit in self.visits if visit.body
                for item in visit.body.get("results", []) if isinstance(item, dict)]


def _page_count(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def _same_origin(ctx: "KitContext", link: str) -> str:
    """The link re-rooted on the base URL's origin (the kit never sends tokens elsewhere)."""
    parts = urlsplit(link)
    origin = urlsplit(ctx.client.base_url)
    return urlunsplit((origin.scheme, origin.netloc, parts.path, parts.query, ""))


def _walk_once(ctx: "KitContext", size: int | None) -> Walk:
    walk = Walk(size)
    url = ctx.list_url(page=1, page_size=size)
    seen_urls: set[str] = set()
    limit = MAX_WALK_PAGES + 2
    while url and len(walk.visits) < limit:
        seen_urls.add(url)
        exchange = ctx.get(url, ctx.admin)
        body = exchange.json_or_none() if exchange.status == 200 else None
        if not isinstance(body, dict):
            walk.problems.append((f"page {len(walk.visits) + 1} of the walk did not answer 200 with a JSON object",
                                  exchange, "200 with a page object"))
            body = None
        walk.visits.append(Visit(len(walk.visits) + 1, exchange, body))
        if body is None:
            break
        if walk.count is not None and body.get("count") != walk.count:
            walk.unstable = True
        if isinstance(body.get("count"), int) and isinstance(body.get("page_size"), int) and body["page_size"] > 0:
            limit = min(limit, _page_count(body["count"], body["page_size"]) + 2)
        link = body.get("next")
        if not isinstance(link, str):
            break
        url = _same_origin(ctx, link)
        if url in seen_urls:
            walk.problems.append((f"page {len(walk.visits)}'s next link leads back to a page already visited",
                                  exchange, "next links that move forward"))
            break
    return walk


def walk(ctx: "KitContext", size: int | None) -> Walk:
    """A walk, retried when `count` changes under it (someone else writing meanwhile)."""
    def build() -> Walk:
        result = _walk_once(ctx, size)
        for _ in range(UNSTABLE_RETRIES):
            if not result.unstable:
                break
            result = _walk_once(ctx, size)
        return result
    return ctx.memo(f"walk:{size}", build)


def walk_sizes(ctx: "KitContext") -> list[int | None]:
    """The default page size when its walk stays short, and a small size giving about 5 pages."""
    count = len(ctx.inventory())
    sizes: list[int | None] = []
    if _page_count(count, ctx.spec.page_size_default) <= MAX_WALK_PAGES:
        sizes.append(None)
    small = max(1, math.ceil(count / 5))
    if small != ctx.spec.page_size_default:
        sizes.append(small)
    return sizes


def _walks(ctx: "KitContext", rec: Recorder) -> list[Walk]:
    walks = []
    for size in walk_sizes(ctx):
        result = walk(ctx, size)
        if result.unstable:
            rec.note(f"page_size={size or 'default'}: count changed during every walk (concurrent writes?); "
                     "arithmetic not judged on it")
            continue
        walks.append(result)
    return walks


def _label(walk: Walk) -> str:
    return f"page_size={walk.size}" if walk.size is not None else "default page_size"


# -- checks --------------------------------------------------------------------------------
def check_walk(ctx: "KitContext", rec: Recorder) -> None:
    inventory_sids = [item.get("sid") for item in ctx.inventory()]
    for result in _walks(ctx, rec):
        for summary, exchange, expected in result.problems:
            rec.fail(f"{_label(result)}: {summary}", exchange, expected)
        if not result.visits or result.visits[0].body is None or result.count is None:
            continue
        last = result.visits[-1].exchange
        items = result.items()
        sids = [item.get("sid") for item in items]
        duplicates = sorted({sid for sid in sids if sids.count(sid) > 1}, key=str)
        if duplicates:
            rec.fail(f"{_label(result)}: the walk lists {len(duplicates)} backup(s) twice, e.g. {duplicates[:3]}",
                     last, "each backup exactly once")
        if len(set(sids)) != result.count:
            rec.fail(f"{_label(result)}: following next from page 1 visited {len(set(sids))} distinct backups "
                     f"in {len(result.visits)} page(s), but count is {result.count}", last,
                     f"exactly count ({result.count}) distinct backups")
        size = result.effective_size
        if isinstance(size, int) and size > 0 and len(result.visits) != _page_count(result.count, size):
            rec.fail(f"{_label(result)}: the walk took {len(result.visits)} page(s), page_count is "
                     f"{_page_count(result.count, size)} for count {result.count} and page_size {size}", last,
                     "one page per page_count")
        placed = result.placed()
        for (_, before), (visit, after) in zip(placed, placed[1:], strict=False):
            if newest_first_key(before) > newest_first_key(after):
                rec.fail(f"{_label(result)}, page {visit.number}: not newest first: {before.get('sid')} "
                         f"({before.get('date_created')}) is listed before {after.get('sid')} "
                         f"({after.get('date_created')})", visit.exchange,
                         "date_created descending, then sid ascending")
                break
        if sids != inventory_sids and not duplicates and len(set(sids)) == result.count:
            rec.fail(f"{_label(result)}: the walk lists the backups in another order than "
                     f"page_size={ctx.spec.page_size_max} does", last, "the same sequence whatever the page size")


def check_page_fields(ctx: "KitContext", rec: Recorder) -> None:
    for result in _walks(ctx, rec):
        count = result.count
        for visit in result.visits:
            body = visit.body
            if body is None or count is None:
                continue
            requested = result.size if result.size is not None else ctx.spec.page_size_default
            expected_size = min(requested, ctx.spec.page_size_max)
            pages = _page_count(count, expected_size)
            expected = {
                "page_size": expected_size,
                "page_number": visit.number,
                "count": count,
                "page_count": pages,
            }
            wrong = {key: body.get(key) for key, value in expected.items() if body.get(key) != value}
            results = body.get("results")
            rows = max(0, min(expected_size, count - (visit.number - 1) * expected_size))
            if not isinstance(results, list) or len(results) != rows:
                wrong["len(results)"] = len(results) if isinstance(results, list) else results
            expected["len(results)"] = rows
            has_next, has_previous = body.get("next") is not None, body.get("previous") is not None
            if has_next != (visit.number < pages):
                wrong["next"] = body.get("next")
            if has_previous != (visit.number > 1):
                wrong["previous"] = body.get("previous")
            if wrong:
                shown = ", ".join(f"{key}={value!r}" for key, value in wrong.items())
                wants = ", ".join(f"{key}={expected[key]!r}" for key in wrong if key in expected)
                link_rule = ("; next present iff page_number < page_count, previous iff page_number > 1"
                             if {"next", "previous"} & set(wrong) else "")
                rec.fail(f"{_label(result)}, page {visit.number}: {shown}", visit.exchange,
                         f"{wants}{link_rule} (count {count}, page_size {expected_size})")


def _check_link(ctx: "KitContext", rec: Recorder, visit: Visit, name: str, target: int | None,
                size: int | None) -> None:
    link = visit.body.get(name) if visit.body else None
    if not isinstance(link, str) or target is None:
        return
    parts = urlsplit(link)
    origin = urlsplit(ctx.client.base_url)
    expected_path = urlsplit(ctx.list_url()).path
    problems = []
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append("not an absolute URL")
    elif (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
        problems.append(f"points at {parts.scheme}://{parts.netloc}, not at {origin.scheme}://{origin.netloc}")
    if parts.path != expected_path:
        problems.append(f"path {parts.path}")
    query = parse_qs(parts.query, keep_blank_values=True)
    pages = query.get("page", [])
    if target == 1 and name == "previous":
        if pages:
            problems.append(f"page={pages} (the previous link of page 2 carries no page parameter)")
    elif pages != [str(target)]:
        problems.append(f"page={pages[0] if len(pages) == 1 else pages}")
    if size is not None and query.get("page_size") != [str(size)]:
        problems.append(f"page_size={query.get('page_size')} (the request's page_size={size} is dropped)")
    if problems:
        wanted = "no page parameter" if target == 1 and name == "previous" else f"page={target}"
        rec.fail(f"page {visit.number}: {name} link {link!r}: " + "; ".join(problems), visit.exchange,
                 f"an absolute URL of the same list with {wanted}" + (f" and page_size={size}" if size else ""))


def check_links(ctx: "KitContext", rec: Recorder) -> None:
    for result in _walks(ctx, rec):
        for visit in result.visits:
            if visit.body is None:
                continue
            _check_link(ctx, rec, visit, "next", visit.number + 1, result.size)
            _check_link(ctx, rec, visit, "previous", visit.number - 1 if visit.number > 1 else None, result.size)
        # Walking back from the last page through `previous` reaches every page in reverse.
        forward = [visit for visit in result.visits if visit.body is not None]
        if len(forward) < 2 or any(visit.body.get("next") is None for visit in forward[:-1]):
            continue
        current = forward[-1]
        for expected in reversed(forward[:-1]):
            link = current.body.get("previous") if current.body else None
            if not isinstance(link, str):
                break
            exchange = ctx.get(_same_origin(ctx, link), ctx.admin)
            body = exchange.json_or_none() if exchange.status == 200 else None
            got = [item.get("sid") for item in body.get("results", [])] if isinstance(body, dict) else None
            want = [item.get("sid") for item in expected.body.get("results", [])]
            if got != want:
                rec.fail(f"{_label(result)}: following previous from page {current.number} does not give page "
                         f"{expected.number} back", exchange, f"the backups of page {expected.number}: {want[:3]}...")
                break
            current = Visit(expected.number, exchange, body)


def check_page_size(ctx: "KitContext", rec: Recorder) -> None:
    count = len(ctx.inventory())
    default, cap = ctx.spec.page_size_default, ctx.spec.page_size_max
    cases: list[tuple[str, int, str]] = [
        ("1", 1, "honoured"), ("2", 2, "honoured"), ("7", 7, "honoured"), (str(cap), cap, "honoured"),
        (str(cap + 1), cap, f"capped at {cap}"), (str(cap * 5), cap, f"capped at {cap}"),
        ("0", default, f"falls back to {default}"), ("-3", default, f"falls back to {default}"),
        ("abc", default, f"falls back to {default}"), ("", default, f"falls back to {default}"),
    ]
    for raw, size, rule in cases:
        exchange = ctx.get(ctx.list_url(page_size=raw), ctx.admin)
        body = expect_json(rec, exchange, f"page_size={raw!r}")
        if not isinstance(body, dict):
            continue
        rows = min(size, count)
        got = body.get("results")
        wrong = []
        if body.get("page_size") != size:
            wrong.append(f"page_size={body.get('page_size')!r}")
        if not isinstance(got, list) or len(got) != rows:
            wrong.append(f"{len(got) if isinstance(got, list) else got!r} results")
        if body.get("page_count") != _page_count(count, size):
            wrong.append(f"page_count={body.get('page_count')!r}")
        if wrong:
            rec.fail(f"page_size={raw!r}: " + ", ".join(wrong), exchange,
                     f"page_size {size} ({rule}), {rows} results, page_count {_page_count(count, size)} "
                     f"(count {count})")


def check_last(ctx: "KitContext", rec: Recorder) -> None:
    for size in walk_sizes(ctx):
        exchange = ctx.get(ctx.list_url(page="last", page_size=size), ctx.admin)
        body = expect_json(rec, exchange, f"page=last ({'page_size=' + str(size) if size else 'default size'})")
        if not isinstance(body, dict):
            continue
        pages = body.get("page_count")
        if body.get("page_number") != pages:
            rec.fail(f"page=last answered page_number {body.get('page_number')!r} with page_count {pages!r}",
                     exchange, "page_number equal to page_count")
        if isinstance(pages, int):
            numbered = ctx.get(ctx.list_url(page=pages, page_size=size), ctx.admin)
            other = numbered.json_or_none() if numbered.status == 200 else None
            if not isinstance(other, dict) or other.get("results") != body.get("results"):
                rec.fail(f"page=last and page={pages} list different backups", numbered,
                         "page=last to be the last numbered page")


def check_invalid_page(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("invalidPage")
    count = len(ctx.inventory())
    for size in walk_sizes(ctx):
        pages = _page_count(count, size or ctx.spec.page_size_default)
        for raw in (pages + 1, pages + 10):
            exchange = ctx.get(ctx.list_url(page=raw, page_size=size), ctx.admin)
            expect_json_error(rec, exchange, 404, message, f"page={raw} past the last page {pages}")
    for raw in ("0", "-1", "abc", "1.5", "2x"):
        exchange = ctx.get(ctx.list_url(page=raw), ctx.admin)
        expect_json_error(rec, exchange, 404, message, f"page={raw!r}")
    first = ctx.get(ctx.list_url(), ctx.admin)
    for raw in ("", "1"):
        exchange = ctx.get(ctx.list_url(page=raw), ctx.admin)
        body = expect_json(rec, exchange, f"page={raw!r}")
        baseline = first.json_or_none()
        if isinstance(body, dict) and isinstance(baseline, dict) and (
                body.get("page_number") != 1 or body.get("results") != baseline.get("results")):
            rec.fail(f"page={raw!r} is not the first page", exchange, "the same page as without page (page 1)")


CHECKS = (
    Check("pagination.walk", "next links from page 1 visit exactly count distinct backups, newest first",
          check_walk),
    Check("pagination.page_fields", "page_size, page_number, page_count, results and next/previous agree "
          "with count on every page", check_page_fields),
    Check("pagination.links", "next/previous are absolute URLs of the same list, one page on, page_size kept",
          check_links),
    Check("pagination.page_size", "page_size is honoured, capped and defaulted as documented", check_page_size),
    Check("pagination.last_page", "page=last is the last page", check_last),
    Check("pagination.invalid_page", "pages past the end and malformed pages give 404 Invalid page.; empty "
          "page means 1", check_invalid_page),
)
