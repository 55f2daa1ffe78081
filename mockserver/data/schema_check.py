"""A small, fast JSON Schema checker for the subset openapi.yaml uses.

Fixtures are checked against the spec's schemas at start-up. A full validator would add a
dependency and cost seconds on 100,000 backups; this one compiles a schema once into nested
closures. It understands: type, enum, const, pattern, minLength, maxLength, minimum,
maximum, format date-time, required, properties, additionalProperties, items, anyOf, oneOf.
Anything else in a schema is an error, so the subset cannot silently drift from the spec.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable

Check = Callable[[Any, str], list[str]]

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}
_ANNOTATIONS = {"description", "examples", "example", "title", "default", "summary", "deprecated", "readOnly"}


def _date_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


def compile_schema(schema: dict[str, Any]) -> Check:
    """Turn an inlined (ref-free) schema into a function returning error messages."""
    checks: list[Check] = []
    for key, value in schema.items():
        if key in _ANNOTATIONS or key.startswith("x-"):
            continue
        factory = _FACTORIES.get(key)
        if factory is None:
            raise ValueError(f"schema keyword {key!r} is not supported by the fixture checker")
        check = factory(value, schema)
        if check is not None:
            checks.append(check)

    def run(instance: Any, where: str) -> list[str]:
        for check in checks:
            errors = check(instance, where)
            if errors:
                return errors
        return []

    return run


def _type(value: Any, _: dict[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    tests = [_TYPES[name] for name in names]

    def check(instance: Any, where: str) -> list[str]:
        if any(test(instance) for test in tests):
            return []
        return [f"{where}: {instance!r} is not of type {' or '.join(names)}"]

    return check


def _enum(value: list[Any], _: dict[str, Any]) -> Check:
    return lambda instance, where: [] if instance in value else [f"{where}: {instance!r} is not one of {value}"]


def _const(value: Any, _: dict[str, Any]) -> Check:
    return lambda instance, where: [] if instance == value else [f"{where}: {instance!r} is not {value!r}"]


def _pattern(value: str, _: dict[str, Any]) -> Check:
    regex = re.compile(value)

    def check(instance: Any, where: str) -> list[str]:
        if not isinstance(instance, str) or regex.search(instance):
            return []
        return [f"{where}: {instance!r} does not match {value}"]

    return check


def _min_length(value: int, _: dict[str, Any]) -> Check:
    return lambda i, w: [f"{w}: {i!r} is shorter than {value}"] if isinstance(i, str) and len(i) < value else []


def _max_length(value: int, _: dict[str, Any]) -> Check:
    return lambda i, w: [f"{w}: {i!r} is longer than {value}"] if isinstance(i, str) and len(i) > value else []


def _minimum(value: float, _: dict[str, Any]) -> Check:
    return lambda i, w: [f"{w}: {i!r} is less than {value}"] if _TYPES["number"](i) and i < value else []


def _maximum(value: float, _: dict[str, Any]) -> Check:
    return lambda i, w: [f"{w}: {i!r} is more than {value}"] if _TYPES["number"](i) and i > value else []


def _format(value: str, _: dict[str, Any]) -> Check | None:
    if value == "date-time":
        return lambda i, w: [] if not isinstance(i, str) or _date_time(i) else [f"{w}: {i!r} is not a date-time"]
    return None  # other formats are annotations, as JSON Schema 2020-12 has them by default


def _required(value: list[str], _: dict[str, Any]) -> Check:
    def check(instance: Any, where: str) -> list[str]:
        if not isinstance(instance, dict):
            return []
        missing = [name for name in value if name not in instance]
        return [f"{where}: missing field {name!r}" for name in missing]

    return check


def _properties(value: dict[str, Any], _: dict[str, Any]) -> Check:
    compiled = {name: compile_schema(sub) for name, sub in value.items()}

    def check(instance: Any, where: str) -> list[str]:
        if not isinstance(instance, dict):
            return []
        for name, sub in compiled.items():
            if name in instance:
                errors = sub(instance[name], f"{where}.{name}")
                if errors:
                    return errors
        return []

    return check


def _additional_properties(value: Any, schema: dict[str, Any]) -> Check | None:
    if value is not False:
        return None
    known = set(schema.get("properties", {}))

    def check(instance: Any, where: str) -> list[str]:
        if not isinstance(instance, dict):
            return []
        extra = sorted(set(instance) - known)
        return [f"{where}: unexpected field {name!r}" for name in extra]

    return check


def _items(value: dict[str, Any], _: dict[str, Any]) -> Check:
    sub = compile_schema(value)

    def check(instance: Any, where: str) -> list[str]:
        if not isinstance(instance, list):
            return []
        for index, item in enumerate(instance):
            errors = sub(item, f"{where}[{index}]")
            if errors:
                return errors
        return []

    return check


def _any_of(value: list[dict[str, Any]], _: dict[str, Any]) -> Check:
    subs = [compile_schema(sub) for sub in value]

    def check(instance: Any, where: str) -> list[str]:
        failures = [sub(instance, where) for sub in subs]
        if any(not errors for errors in failures):
            return []
        return [f"{where}: matches none of the alternatives ({'; '.join(e[0] for e in failures)})"]

    return check


def _one_of(value: list[dict[str, Any]], _: dict[str, Any]) -> Check:
    subs = [compile_schema(sub) for sub in value]

    def check(instance: Any, where: str) -> list[str]:
        matches = sum(1 for sub in subs if not sub(instance, where))
        if matches == 1:
            return []
        return [f"{where}: matches {matches} of the alternatives, expected exactly one"]

    return check


_FACTORIES: dict[str, Callable[[Any, dict[str, Any]], Check | None]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "format": _format,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional_properties,
    "items": _items,
    "anyOf": _any_of,
    "oneOf": _one_of,
}
