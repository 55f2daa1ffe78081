"""JSON of backups and pages, precomputed so a request only joins bytes.

A backup is rendered in every view the spec gives it (each serializer's schema, and the
answers of the create and detail operations): the view's declared properties, in the
schema's order, for the fields the backup has. Views with the same field list share one
rendering, done the first time the backup is served. A page's keys and their order come
from the list operation's 200 schema; keys the mock does not compute get the value derived
from their schema (spec/values.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from mockserver.data.jsonvalues import dumps
from mockserver.data.models import MISSING, Backup
from mockserver.data.records import RecordShape
from mockserver.exceptions import SpecError
from mockserver.spec.model import ApiModel
from mockserver.spec.values import CannotFill, validator, value_for
from mockserver.text import one_line

COMPUTED_PAGE_KEYS = ("page_size", "page_number", "page_count", "count", "next", "previous", "add_permission")


@dataclass(frozen=True)
class View:
    name: str
    slot: int  # index of this view's field list among the distinct ones
    fields: tuple[str, ...]
    schema: dict[str, Any]


class Serializers:
    """Every view of a backup, and how a page is put together."""

    def __init__(self, model: ApiModel, shape: RecordShape) -> None:
        self.shape = shape
        distinct: dict[tuple[int, ...], int] = {}
        self.views: dict[str, View] = {}
        for name, schema in model.views().items():
            fields = tuple(field for field in schema.get("properties", {}) if shape.has(field))
            positions = tuple(shape.index[field] for field in fields)
            slot = distinct.setdefault(positions, len(distinct))
            self.views[name] = View(name, slot, fields, schema)
        self._slots = [[(name, shape.index[name]) for name in fields]
                       for fields in _by_slot(self.views.values(), len(distinct))]
        self.render_bound = self.render  # shared by every stored backup (store/entry.py)
        self.page = model.page
        self._page_names: list[tuple[str, bytes]] = []  # (key, its JSON and a colon), RESULTS for the results
        if model.page is not None:
            self._page_names = [(RESULTS if key == model.page.results_key else key, dumps(key) + b":")
                                for key in model.page.keys]
        self._page_extra: dict[str, Any] = {}
        if model.page is not None:
            for key in model.page.keys:
                if key in COMPUTED_PAGE_KEYS or key == model.page.results_key:
                    continue
                try:
                    self._page_extra[key] = value_for(model.page.schema["properties"][key])
                except CannotFill as exc:
                    raise SpecError(f"{model.spec.source}: the mock cannot fill the page key {key!r}: {exc}") from None
        # a page as bytes %-templates: each key's JSON and a colon, then its value's positional
        # placeholder (a computed key), the results' brackets or its constant value (any % in them
        # doubled), cut where the links go: a page's skeleton (page_skeleton) is the same for every
        # URL of it, its links are not (with_links). Each piece's picker takes its values, in its
        # order, from page_skeleton's tuple (positional: half the time of a %(name)s template)
        parts = []
        pieces: list[list[int]] = [[]]
        self._link_order: list[int] = []  # the links in the page's order: 0 next, 1 previous
        for name, encoded in self._page_names:
            if name in _LINKS:
                parts.append(encoded.replace(b"%", b"%%") + _CUT)
                self._link_order.append(_LINKS.index(name))
                pieces.append([])
            elif name == RESULTS or name in COMPUTED_PAGE_KEYS:
                parts.append(encoded.replace(b"%", b"%%") + _PLACEHOLDERS[name])
                pieces[-1].append(_PAGE_VALUES.index(name))
            elif name in self._page_extra:
                parts.append((encoded + dumps(self._page_extra[name])).replace(b"%", b"%%"))
        templates = (b"{" + b",".join(parts) + b"}").split(_CUT)
        self._pieces = [(template, _picker(order)) for template, order in zip(templates, pieces, strict=True)]

    @property
    def serializer_names(self) -> tuple[str, ...]:
        return tuple(name.split(":", 1)[1] for name in self.views if name.startswith("serializer:"))

    def slot(self, view: str) -> int:
        return self.views[view].slot

    def render(self, backup: Backup) -> list[bytes]:
        """The backup's JSON in every distinct view (slot order)."""
        values = backup.values
        return [dumps({name: values[at] for name, at in fields if values[at] is not MISSING})
                for fields in self._slots]

    def verify(self, sample: Backup, source: str) -> None:
        """Render a new backup in every view, and a page of it in every serializer, and validate
        each against its schema: answers that would break the spec stop the mock at start."""
        rendered = self.render(sample)
        for view in self.views.values():
            _validate(view.schema, rendered[view.slot], f"{view.name.replace(':', ' ')} answer", source)
        if self.page is None:
            return
        for view in self.views.values():
            if not view.name.startswith("serializer:"):
                continue
            envelope = {"page_size": 10, "page_number": 1, "page_count": 1, "count": 1, "next": None,
                        "previous": None, "add_permission": True}
            _validate(self.page.schema, self.render_page(envelope, [rendered[view.slot]]),
                      f"page of the {view.name.split(':', 1)[1]} serializer", source)

    def render_page(self, envelope: dict[str, Any], results: list[bytes]) -> bytes:
        """A page from an envelope with a value for each of COMPUTED_PAGE_KEYS (see page_bytes)."""
        return self.page_bytes(envelope["page_size"], envelope["page_number"], envelope["page_count"],
                               envelope["count"], envelope["next"], envelope["previous"],
                               envelope["add_permission"], results)

    def page_bytes(self, size: int, number: int, pages: int, count: int, next_link: str | None,
                   previous_link: str | None, add_permission: bool, results: list[bytes]) -> bytes:
        """A page: the spec's keys in order, the pre-rendered results in the results key; the bytes
        `dumps` would give for the whole page."""
        return self.with_links(self.page_skeleton(size, number, pages, count, add_permission, results),
                               next_link, previous_link)

    def page_skeleton(self, size: int, number: int, pages: int, count: int, add_permission: bool,
                      results: list[bytes]) -> tuple[bytes, ...]:
        """A page without its links: the bytes before, between and after them (one more than the links
        the spec's page has), the same for every URL of the page."""
        assert self.page is not None
        values = (size, number, pages, count, None, None, b"true" if add_permission else b"false",
                  b",".join(results))
        return tuple([template % pick(values) for template, pick in self._pieces])

    def with_links(self, skeleton: tuple[bytes, ...], next_link: str | None, previous_link: str | None,
                   written: bool = False) -> bytes:
        """The page of a skeleton (page_skeleton) with these links; `written`: the caller knows them to be
        printable ASCII without `"` or backslash (JSON writes them as they are: nothing to check)."""
        link = _written_link if written else _link
        order = self._link_order
        if len(order) == 2:
            links = (link(next_link), link(previous_link))
            return b"".join((skeleton[0], links[order[0]], skeleton[1], links[order[1]], skeleton[2]))
        parts = [skeleton[0]]
        for index, at in enumerate(order, 1):
            parts += (link(previous_link if at else next_link), skeleton[index])
        return b"".join(parts)


RESULTS = "\0results"  # stands for the page's results key (whatever the spec names it)
_PAGE_VALUES = (*COMPUTED_PAGE_KEYS, RESULTS)  # the order of page_skeleton's values (the links None)
_PLACEHOLDERS = {"page_size": b"%d", "page_number": b"%d", "page_count": b"%d", "count": b"%d",
                 "add_permission": b"%s", RESULTS: b"[%s]"}
_LINKS = ("next", "previous")  # where a page's template is cut
_CUT = b"\0"  # marks the cuts: JSON writes a NUL in any key or constant as \u0000, never as itself


def _picker(order: list[int]) -> Callable[[tuple[object, ...]], object]:
    """What a positional template takes of page_skeleton's values: a tuple in the template's order, or the
    one value alone (`%` takes a lone value that is not a tuple; none of the values is)."""
    if not order:
        return lambda values: ()
    return itemgetter(*order)


def _written_link(link: str | None) -> bytes:
    """The JSON of a link known to be printable ASCII without `"` or backslash."""
    return b"null" if link is None else b'"' + link.encode("ascii") + b'"'


def _link(link: str | None) -> bytes:
    """A link's JSON (`dumps(link)`), without the encoder for the usual printable ASCII one."""
    if link is None or (link.isascii() and link.isprintable() and '"' not in link and "\\" not in link):
        return _written_link(link)
    return dumps(link)


def _validate(schema: dict[str, Any], body: bytes, what: str, source: str) -> None:
    for error in validator(schema).iter_errors(json.loads(body)):
        at = "/".join(str(part) for part in error.instance_path)
        raise SpecError(one_line(f"{source}: the mock's {what} would not follow the spec "
                                 f"({at + ': ' if at else ''}{error.message})"))


def _by_slot(views: Any, count: int) -> list[tuple[str, ...]]:
    fields: list[tuple[str, ...]] = [()] * count
    for view in views:
        fields[view.slot] = view.fields
    return fields
