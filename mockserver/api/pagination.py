"""Django REST Framework's PageNumberPagination, reproduced to the letter.

`page` is a number from 1 or `last` (empty means 1); anything else, or a page past the end,
is an invalid page. `page_size` falls back to the default when it is not a positive integer
and is capped at the maximum. Links are the request's absolute URL with `page` replaced,
the query re-encoded sorted by key as DRF's `replace_query_param` does; the previous link
of page 2 drops `page` altogether (`remove_query_param`).
"""

from __future__ import annotations

import re
from urllib import parse

LAST_PAGE_STRINGS = ("last",)


class InvalidPage(Exception):
    """The requested page does not exist (DRF answers 404 `Invalid page.`)."""


class Page:
    """One page of a list: its number, size, the item count and the page count; where it starts
    and stops. A plain class with slots, its bounds computed once: a frozen dataclass cost a
    microsecond per list request in `__setattr__` calls."""

    __slots__ = ("number", "size", "count", "num_pages", "start", "stop")

    def __init__(self, number: int, size: int, count: int, num_pages: int) -> None:
        self.number = number
        self.size = size
        self.count = count
        self.num_pages = num_pages
        self.start = (number - 1) * size
        self.stop = min(self.start + size, count)

    def __repr__(self) -> str:
        return f"Page(number={self.number}, size={self.size}, count={self.count}, num_pages={self.num_pages})"

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_size(raw: str | None, default: int, maximum: int) -> int:
    """DRF's `_positive_int(raw, strict=True, cutoff=maximum)`, falling back to the default."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    if value <= 0:
        return default
    return min(value, maximum)


def num_pages(count: int, size: int) -> int:
    """Django's Paginator with allow_empty_first_page: never fewer than one page."""
    return max(1, -(-count // size))


def paginate(raw_page: str | None, size: int, count: int) -> Page:
    """The page a request asks for, or InvalidPage (Django's Paginator.validate_number)."""
    number, pages = page_number(raw_page, size, count)
    return Page(number, size, count, pages)


def page_number(raw_page: str | None, size: int, count: int) -> tuple[int, int]:
    """paginate's page number and page count, without a Page (the list's own path makes none)."""
    pages = num_pages(count, size)
    raw = raw_page or "1"
    if raw in LAST_PAGE_STRINGS:
        return pages, pages
    try:
        number = int(raw)
    except ValueError:
        raise InvalidPage(raw) from None
    if number < 1 or number > pages:
        raise InvalidPage(raw)
    return number, pages


def replace_query_param(url: str, key: str, value: object) -> str:
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    query_dict = parse.parse_qs(query, keep_blank_values=True)
    query_dict[key] = [str(value)]
    query = parse.urlencode(sorted(query_dict.items()), doseq=True)
    return parse.urlunsplit((scheme, netloc, path, query, fragment))


def remove_query_param(url: str, key: str) -> str:
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    query_dict = parse.parse_qs(query, keep_blank_values=True)
    query_dict.pop(key, None)
    query = parse.urlencode(sorted(query_dict.items()), doseq=True)
    return parse.urlunsplit((scheme, netloc, path, query, fragment))


class PageLinks:
    """DRF's next/previous links for one request, its URL parsed once (not once per link).

    Same result as replace_query_param / remove_query_param: the other parameters keep their
    values in order, keys sorted, `page` set to the number or dropped for page 1.
    """

    def __init__(self, url: str, key: str = "page") -> None:
        scheme, netloc, path, query, fragment = parse.urlsplit(url)
        grouped = parse.parse_qs(query, keep_blank_values=True)
        grouped.pop(key, None)
        keys = sorted(grouped)
        self._before = parse.urlencode([(k, grouped[k]) for k in keys if k < key], doseq=True)
        self._after = parse.urlencode([(k, grouped[k]) for k in keys if k > key], doseq=True)
        self._parts = (scheme, netloc, path, fragment)
        self._key = parse.quote_plus(key)

    def url(self, number: int | None) -> str:
        parts = [self._before, f"{self._key}={number}" if number is not None else "", self._after]
        scheme, netloc, path, fragment = self._parts
        return parse.urlunsplit((scheme, netloc, path, "&".join(part for part in parts if part), fragment))

    def next(self, page: Page) -> str | None:
        return self.url(page.number + 1) if page.has_next else None

    def previous(self, page: Page) -> str | None:
        if not page.has_previous:
            return None
        return self.url(None if page.number - 1 == 1 else page.number - 1)


_PLAIN = re.compile(r"[A-Za-z0-9_.~=&-]*")  # characters urlencode and unquote leave as they are
_PLAIN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~=&-"  # the same, to delete


def plain_name(name: str) -> bool:
    """Whether a parameter's name is written the same in a plain query and in DRF's links."""
    return bool(_PLAIN.fullmatch(name)) and "&" not in name and "=" not in name and name != ""


def plain_query(raw: bytes, key: str) -> tuple[dict[str, str], str, str] | None:
    """A query string holding only characters no decoding or encoding changes, read in one pass for a
    page: each parameter's last value (as `dict(parse_qsl(...))`), and the other parameters as DRF's
    links keep them around `key` (sorted by name only, stable, `name=value` each), before it and
    after it; None when it is not plain. One function and no objects: on the list's path, each call
    and object cost more than the work."""
    if raw.translate(None, _PLAIN_BYTES):
        return None  # a character that is not plain is left
    values: dict[str, str] = {}
    before: list[str] = []  # `name=value` each, in the query's order
    after: list[str] = []
    for part in raw.decode("ascii").split("&"):
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            part += "="  # a name alone: urlencode writes `name=`
        elif "=" in value:
            return None  # urlencode would write it %3D
        values[name] = value
        if name < key:
            before.append(part)
        elif name > key:
            after.append(part)
    # sorted by name only, and stably (repeated names keep their order), as DRF's links are
    return (values, "&".join(sorted(before, key=_name)) if len(before) > 1 else before[0] if before else "",
            "&".join(sorted(after, key=_name)) if len(after) > 1 else after[0] if after else "")


def plain_links(base: str, before: str, after: str, key: str, number: int, pages: int) -> tuple[str | None, str | None]:
    """The next and previous links of page `number` of `pages` for a plain query (plain_query's
    `before` and `after`), the URL without its query being `base`: what PageLinks' next and previous
    give, by joining strings (the parts the two share once)."""
    head = f"{base}?{before}&{key}=" if before else f"{base}?{key}="
    tail = f"&{after}" if after else ""
    following = f"{head}{number + 1}{tail}" if number < pages else None
    if number <= 1:
        return following, None
    if number > 2:
        return following, f"{head}{number - 1}{tail}"
    query = (f"{before}&{after}" if after else before) if before else after  # page 1: no `key` at all
    return following, f"{base}?{query}" if query else base


def _name(part: str) -> str:
    """The name in a plain query's `name=value` (a plain name holds no `=`)."""
    return part.partition("=")[0]


def next_link(url: str, page: Page) -> str | None:
    return PageLinks(url).next(page)


def previous_link(url: str, page: Page) -> str | None:
    return PageLinks(url).previous(page)
