"""A value for a schema the mock has no rule for: what a new property of a backup gets.

The spec may grow a property the mock knows nothing about. Every new backup (POST, dynamic
data) still needs a value for it, and that value must be valid. The candidates, in order: the
schema's `default`, its `example` or first `examples` entry, its `const`, its first `enum`
value, then one generated from its type and constraints (bounds, lengths, formats, required
properties, items). The first candidate the schema accepts (checked with jsonschema_rs, the
same validator the fixtures are checked with) wins. When none is accepted (a `pattern` with no
example, say) the mock cannot fill the property: `value_for` raises CannotFill, and the caller
turns it into a start-up error that names the property.

No library generates a value from a JSON Schema without a test-only dependency (hypothesis
does, through hypothesis-jsonschema); the mock must install without them, and needs one valid
value per property, not a distribution, so this small generator is written by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs

NOW = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)  # fixed: the same spec gives the same values
_FORMAT_STRINGS = {
    "date-time": NOW.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    "date": NOW.strftime("%Y-%m-%d"),
    "time": NOW.strftime("%H:%M:%SZ"),
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uri-reference": "https://example.com/",
    "email": "user@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "duration": "P1D",
}
_STRING_SEEDS = ("example", "a", "0", "x0", "A0a", "")
MAX_DEPTH = 8


class CannotFill(Exception):
    """No candidate value is valid for the schema (the message says why)."""


def validator(schema: Any) -> Any:
    """A draft 2020-12 validator that checks formats, as the fixtures' checker does."""
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def value_for(schema: Any) -> Any:
    """A value valid under `schema` (inlined: no `$ref`), or CannotFill."""
    try:
        check = validator(schema)
    except (ValueError, jsonschema_rs.ValidationError) as exc:
        raise CannotFill(f"its schema is not usable ({exc})") from None
    for candidate in _candidates(schema, 0):
        try:
            if check.is_valid(candidate):
                return candidate
        except ValueError:  # a candidate jsonschema_rs cannot take (never expected)
            continue
    raise CannotFill("no default, example or enum value is valid, and none could be generated "
                     "(give the property a `default` or an `example`)")


def _candidates(schema: Any, depth: int) -> list[Any]:
    if not isinstance(schema, dict):
        return [None] if schema is not False else []
    found: list[Any] = []
    for key in ("default", "example", "const"):
        if key in schema:
            found.append(schema[key])
    for key in ("examples", "enum"):
        if isinstance(schema.get(key), list) and schema[key]:
            found.append(schema[key][0])
    if depth < MAX_DEPTH:
        found += _generated(schema, depth)
    return found


def _generated(schema: dict[str, Any], depth: int) -> list[Any]:
    found: list[Any] = []
    for alternatives in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(alternatives) or []:
            merged = {**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "allOf")}, **sub} \
                if isinstance(sub, dict) else sub
            found += _candidates(merged, depth + 1)
    types = schema.get("type")
    names = [types] if isinstance(types, str) else list(types) if isinstance(types, list) else []
    if not names:  # untyped: guess from the constraints present
        if "properties" in schema or "required" in schema:
            names = ["object"]
        elif "items" in schema:
            names = ["array"]
        elif any(key in schema for key in ("minimum", "maximum", "multipleOf")):
            names = ["number"]
        elif any(key in schema for key in ("pattern", "minLength", "maxLength", "format")):
            names = ["string"]
        else:
            names = ["null", "string"]
    for name in names:
        maker = _MAKERS.get(name)
        if maker is not None:
            found.extend(maker(schema, depth))
    return found


def _number(schema: dict[str, Any], integer: bool) -> list[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(schema.get("exclusiveMinimum"), (int, float)):
        low = schema["exclusiveMinimum"] + (1 if integer else 1e-6)
    if isinstance(schema.get("exclusiveMaximum"), (int, float)):
        high = schema["exclusiveMaximum"] - (1 if integer else 1e-6)
    step = schema.get("multipleOf")
    start = low if isinstance(low, (int, float)) else (min(0, high) if isinstance(high, (int, float)) else 0)
    if isinstance(step, (int, float)) and step > 0:
        start = math.ceil(start / step) * step
    if integer:
        start = math.ceil(start)
    values: list[Any] = [start]
    if isinstance(high, (int, float)):
        values.append(math.floor(high) if integer else high)
    return [int(value) if integer else float(value) for value in values]


def _string(schema: dict[str, Any], depth: int) -> list[Any]:
    low = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
    high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
    found: list[Any] = []
    formatted = _FORMAT_STRINGS.get(str(schema.get("format")))
    if formatted is not None:
        found.append(formatted)
    for seed in _STRING_SEEDS:
        text = seed * max(1, -(-low // max(len(seed), 1))) if seed else ""
        text = text[:high] if high is not None else text
        if len(text) < low:
            text = text + "a" * (low - len(text))
        found.append(text)
    return found


def _array(schema: dict[str, Any], depth: int) -> list[Any]:
    count = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
    if count == 0:
        return [[]]
    return [[item] * count for item in _candidates(schema.get("items", {}), depth + 1)[:3]]


def _object(schema: dict[str, Any], depth: int) -> list[Any]:
    properties: dict[str, Any] = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
    value: dict[str, Any] = {}
    for name in schema.get("required") or []:
        sub = properties.get(name, {})
        try:
            value[name] = value_for(sub)
        except CannotFill:
            return []
    return [value]


_MAKERS: dict[str, Callable[[dict[str, Any], int], list[Any]]] = {
    "null": lambda schema, depth: [None],
    "boolean": lambda schema, depth: [False, True],
    "integer": lambda schema, depth: _number(schema, True),
    "number": lambda schema, depth: _number(schema, False),
    "string": _string,
    "array": _array,
    "object": _object,
}
