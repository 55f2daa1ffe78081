"""What a backup is: the properties the spec's schemas declare, not a fixed Python class.

A backup's fields are the union of the properties of every view the spec gives it (each
serializer's schema, the create and detail answers); a field is required where any view
requires it. Fixtures may carry any declared field and must carry the required ones; they
are checked with jsonschema_rs against a record schema built from those properties (plus
their `organization`). The six documented fields have rules of their own (factory.py); any
other field a new backup needs gets a value derived from its schema (spec/values.py), found
once at start-up: a field the mock cannot fill stops it with an error that names the field.
"""

from __future__ import annotations

import marshal
from itertools import chain
from operator import itemgetter
from typing import Any

from mockserver.data.jsonvalues import json_problem
from mockserver.data.models import MISSING, Backup
from mockserver.exceptions import SpecError
from mockserver.spec.checks import load_model
from mockserver.spec.document import Spec
from mockserver.spec.model import IDENTITY, ORDER, ORGANIZATION, ApiModel
from mockserver.spec.values import CannotFill, validator, value_for
from mockserver.text import shown

ABSENT = Ellipsis  # a field an entry leaves out, in packed values: no JSON or YAML value is Ellipsis
DOCUMENTED = ("sid", "name", "description", "database_size", "date_created", "change_permission")


class RecordShape:
    """The fields of a backup, their schemas, and how a raw entry becomes a Backup."""

    def __init__(self, model: ApiModel) -> None:
        self.source = model.spec.source
        self.order = tuple(item.name for item in model.record)  # the spec's order: of records' JSON
        # values sit in a tuple with sid and date_created first (models.ORDER_AT), then the rest
        self.fields = (IDENTITY, ORDER, *(name for name in self.order if name not in (IDENTITY, ORDER)))
        self.index = {name: position for position, name in enumerate(self.fields)}
        self._in_order = tuple(self.index[name] for name in self.order)
        self._missing = (MISSING,) * len(self.fields)  # raw.get's default, for each field (backup)
        self._absent = (ABSENT,) * len(self.fields)  # the same, in packed values (pack)
        self.required = frozenset(item.name for item in model.record if item.required)
        self.schemas = {item.name: item.schema for item in model.record}
        self.entry_schema = {
            "type": "object",
            "additionalProperties": False,
            "required": ["organization", *[name for name in self.order if name in self.required]],
            "properties": {"organization": {"type": "string"}, **self.schemas},
        }
        self._check = validator(self.entry_schema)
        self._check_all = validator({"type": "array", "items": self.entry_schema})  # all_valid
        # every field required: an entry that passed the schema has them all, taken in C (pack_all)
        self._values_of = itemgetter(*self.fields) if self.required >= set(self.fields) else None
        organization = next((param.schema for operation in model.operations.values()
                             for param in operation.parameters if param.role == ORGANIZATION), None)
        self.organization_schema: dict[str, Any] = organization or self.schemas[IDENTITY]
        self.filled = self._fill()

    def _fill(self) -> dict[str, Any]:
        """A value for every field without a documented rule (what a new backup gets)."""
        values: dict[str, Any] = {}
        for name in self.order:
            if name in DOCUMENTED:
                continue
            try:
                values[name] = value_for(self.schemas[name])
            except CannotFill as exc:
                raise SpecError(f"{self.source}: the mock cannot fill the backup property {name!r}: {exc}") from None
        return values

    def has(self, name: str) -> bool:
        return name in self.index

    def problem(self, raw: Any) -> str | None:
        """What is wrong with a raw entry against the record schema, or None."""
        if not isinstance(raw, dict):
            return "expected a mapping"
        if not _plain(raw):  # the usual entry is a flat mapping of strings: no walk needed
            problem = json_problem(raw, "backup")
            if problem:
                return problem
        if self._check.is_valid(raw):  # the usual answer, without making an error iterator
            return None
        for error in self._check.iter_errors(raw):
            return _describe(error)
        return None

    def all_valid(self, entries: list[dict[str, Any]]) -> bool:
        """Whether `problem` finds nothing in any of these mappings, tested for all at once: their keys
        strings and their values plain (_plain), in C loops, and one validator call for the list (a third
        faster than one call an entry). False may also mean a value these tests do not cover (a number,
        a nested value): `problem`, entry by entry, says."""
        return ({*map(type, chain.from_iterable(entries))} <= _STRING
                and {*map(type, chain.from_iterable(map(dict.values, entries)))} <= _PLAIN_TYPES
                and self._check_all.is_valid(entries))

    def backup(self, raw: dict[str, Any]) -> Backup:
        """A Backup from an entry that passed `problem` (its organization included)."""
        return Backup(raw["organization"], raw[IDENTITY], tuple(map(raw.get, self.fields, self._missing)))

    def make(self, organization: str, values: dict[str, Any]) -> Backup:
        """A Backup from a value for every field."""
        return Backup(organization, values[IDENTITY], tuple(values[name] for name in self.fields))

    def pack(self, raw: dict[str, Any]) -> bytes:
        """An entry that passed `problem`, packed for the fixture cache: its values in field order
        (ABSENT where it has none), by marshal. Compact, and packed and unpacked in under a
        microsecond (JSON takes five times as long each way): a first start with 100,000 backups
        packs them all. Its values are JSON values, which marshal holds exactly, dict order
        included; the cache's key names the marshal format (fixture_cache.py)."""
        return marshal.dumps(tuple(map(raw.get, self.fields, self._absent)))

    def pack_all(self, entries: list[dict[str, Any]]) -> list[bytes]:
        """`pack` for each entry; where every field is required, each one's values are taken in C."""
        if self._values_of is None:
            return list(map(self.pack, entries))
        return list(map(marshal.dumps, map(self._values_of, entries)))

    def decode(self, record: bytes) -> tuple[Any, ...]:
        """The values of a packed entry (`pack`): a Backup read from the fixture cache unpacks its own
        on first use (bulk.read)."""
        values: tuple[Any, ...] = marshal.loads(record)
        return values if ABSENT not in values else tuple(MISSING if value is ABSENT else value for value in values)

    def as_dict(self, backup: Backup) -> dict[str, Any]:
        """The backup's fields that it has, in the spec's order."""
        values = backup.values
        return {name: values[at] for name, at in zip(self.order, self._in_order, strict=True)
                if values[at] is not MISSING}

    def value(self, backup: Backup, name: str) -> Any:
        position = self.index.get(name)
        return MISSING if position is None else backup.values[position]


def _describe(error: Any) -> str:
    """A jsonschema_rs error as a short message: `backup.field: what is wrong`."""
    kind = error.kind
    where = ".".join(["backup", *(str(part) for part in error.instance_path)])
    name = type(kind).__name__
    if name == "Required":
        return f"{where}: missing field {kind.property!r}"
    if name == "AdditionalProperties":
        return f"{where}: unexpected field {', '.join(repr(item) for item in kind.unexpected)}"
    if name == "Type":
        return f"{where}: {shown(error.instance, 80)} is not of type {_types(kind)}"
    return f"{where}: {shown(error.instance, 80)} {_rest(error.message)}"


def _types(kind: Any) -> str:
    raw = kind.as_dict().get("types") or []
    return " or ".join(str(item).lower() for item in raw) if raw else "the declared type"


def _rest(message: str) -> str:
    """jsonschema_rs says `<value> does not match ...`: keep what follows the value."""
    for marker in (" does not match ", " is not a ", " is not one of ", " is shorter than ", " is longer than ",
                   " is less than ", " is greater than ", " is not valid under any", " is valid under more"):
        if marker in message:
            return marker.strip() + " " + message.split(marker, 1)[1]
    return message


def shape_of(spec: Spec) -> RecordShape:
    """The record shape of a loaded spec (checked and compiled first)."""
    return RecordShape(load_model(spec))


_PLAIN_TYPES = frozenset((str, bool, type(None)))
_STRING = frozenset((str,))


def _plain(raw: dict[Any, Any]) -> bool:
    """Every key a string and every value a string, a boolean or null: JSON as it is (what
    `json_problem` would find nothing in, a tenth of its cost)."""
    for key, value in raw.items():
        if type(key) is not str or type(value) not in _PLAIN_TYPES:
            return False
    return True
