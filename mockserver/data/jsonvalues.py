"""JSON values: is this YAML value something JSON can hold, and compact JSON bytes.

Files are YAML; the API speaks JSON.

PyYAML's safe loader still makes dates, timestamps, sets (`!!set`), binary (`!!binary`),
non-string keys and floats such as `.nan` or `.inf`, and a document can nest deeply enough to
exhaust the stack of whatever walks it. A fixture or state value must be plain JSON before the
schema validator sees it, so each of these is a one-line error that says what was found.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

MAX_DEPTH = 64
MAX_INT = 2**63  # the validator, and most JSON parsers, hold integers in 64 bits


def json_problem(value: Any, where: str = "", depth: int = 0) -> str | None:
    """Why `value` is not plain JSON (with where in it), or None."""
    label = where or "the value"
    if depth > MAX_DEPTH:
        return f"{label}: nested more than {MAX_DEPTH} levels deep"
    if value is None or isinstance(value, (bool, str)):
        return None
    if isinstance(value, int):
        return None if -MAX_INT <= value < MAX_INT else f"{label}: a number too large to use ({len(str(value))} digits)"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{label}: {value!r} is not a number JSON can hold"
    if isinstance(value, (datetime, date)):
        return f"{label}: {value.isoformat()} was read as a YAML date, not a string: quote it"
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = json_problem(item, f"{where}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{label}: the key {key!r} is not a string"
            problem = json_problem(item, f"{where}.{key}" if where else key, depth + 1)
            if problem:
                return problem
        return None
    return f"{label}: a {type(value).__name__} value, which JSON cannot hold"


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # made once, not per call


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as every answer of the mock is rendered."""
    return _ENCODER.encode(value).encode("utf-8")
