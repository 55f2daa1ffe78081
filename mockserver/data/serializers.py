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
from dataclasses import dataclass
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
        # how render_page writes each key: (its JSON and a colon, and its value too when it is
        # a constant; the envelope key giving its value, RESULTS, or None for a constant)
        self._page_plan: list[tuple[bytes, str | None]] = []
        for name, encoded in self._page_names:
            if name == RESULTS or name in COMPUTED_PAGE_KEYS:
                self._page_plan.append((encoded, name))
            elif name in self._page_extra:
                self._page_plan.append((encoded + dumps(self._page_extra[name]), None))

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
        """A page: the spec's keys in order, the pre-rendered results in the results key.

        The envelope's values are whole numbers, booleans, null and links: each is written
        directly (a link as it is when JSON needs no escape in it), the rest through `dumps`;
        the bytes are those `dumps` would give for the whole page. `envelope` has a value for
        each of COMPUTED_PAGE_KEYS."""
        assert self.page is not None
        parts = []
        for encoded, name in self._page_plan:
            if name is None:
                parts.append(encoded)
            elif name == RESULTS:
                parts.append(encoded + b"[" + b",".join(results) + b"]")
            else:
                parts.append(encoded + _value(envelope[name]))
        return b"{" + b",".join(parts) + b"}"


RESULTS = "\0results"  # stands for the page's results key (whatever the spec names it)
_LITERALS = {True: b"true", False: b"false", None: b"null"}


def _value(value: Any) -> bytes:
    """`dumps(value)` for the values of a page's envelope, faster for the usual ones."""
    kind = type(value)
    if kind is int:
        return b"%d" % value
    if value is None or kind is bool:
        literal: bytes = _LITERALS[value]
        return literal
    if kind is str:
        text: str = value
        if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
            return b'"' + text.encode("ascii") + b'"'
    return dumps(value)


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
