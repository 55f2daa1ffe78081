"""Field sets and JSON rendering, precomputed so a request only joins bytes.

The field set of each `serializer` value comes from the spec (`x-serializer-schemas`
on the serializer parameter); the order of the page's keys comes from the `BackupPage`
schema. A backup is rendered once per distinct field set, the first time it is served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mockserver.exceptions import SpecError
from mockserver.data.models import BACKUP_FIELDS, Backup
from mockserver.spec.document import Spec

LIST_OPERATION = "listBackups"
DETAIL_SERIALIZER = "detail"


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # made once, not per call


def dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


@dataclass(frozen=True)
class Serializers:
    """serializer name -> field names, and the order of a page's keys."""

    fields: dict[str, tuple[str, ...]]
    page_keys: tuple[str, ...]

    @classmethod
    def from_spec(cls, spec: Spec) -> "Serializers":
        fields = spec.serializer_fields(LIST_OPERATION)
        for name, names in fields.items():
            unknown = set(names) - set(BACKUP_FIELDS)
            if unknown:
                raise SpecError(f"{spec.source}: serializer {name!r} names unknown fields {sorted(unknown)}")
        if DETAIL_SERIALIZER not in fields:
            raise SpecError(f"{spec.source}: no {DETAIL_SERIALIZER!r} serializer")
        page_keys = spec.field_names("#/components/schemas/BackupPage")
        if page_keys[-1:] != ("results",):
            raise SpecError(f"{spec.source}: BackupPage must list 'results' last")
        return cls(fields, page_keys)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def render(self, backup: Backup) -> dict[str, bytes]:
        """The backup's JSON for every serializer (equal field sets share one rendering)."""
        data = backup.as_dict()
        by_fields: dict[tuple[str, ...], bytes] = {}
        for names in self.fields.values():
            if names not in by_fields:
                by_fields[names] = dumps({name: data[name] for name in names})
        return {serializer: by_fields[names] for serializer, names in self.fields.items()}

    def render_page(self, envelope: dict[str, Any], results: list[bytes]) -> bytes:
        """A page: the envelope's keys in spec order, then the pre-rendered results."""
        head = dumps({key: envelope[key] for key in self.page_keys[:-1]})
        return b"".join((head[:-1], b',"results":[', b",".join(results), b"]}"))
