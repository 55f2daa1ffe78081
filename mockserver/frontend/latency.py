"""Durations for `--latency`, `--create-delay` and `Prefer: delay=...`, and the bound on them.

A duration is a number with a unit, `ms` or `s` (`300ms`, `2s`, `1.5s`); a bare number is
refused because `delay=2` could mean either. A latency may be a range, `200-800ms` or
`200ms-1s`, drawn uniformly for each response. Nothing waits longer than MAX_DELAY, so a
typo cannot hang a client: the command line refuses more, a `Prefer: delay` is cut to it.
"""

from __future__ import annotations

import random
import re

MAX_DELAY = 30.0  # seconds
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0}


def parse_duration(text: str, default_unit: str | None = None) -> float:
    """Seconds in `300ms` / `2s`; ValueError with a readable message otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 300ms or 2s")
    unit = (match.group(2) or default_unit or "").lower()
    if not unit:
        raise ValueError(f"{text!r} needs a unit: ms or s (for example 300ms or 2s)")
    return float(match.group(1)) * _UNITS[unit]


def parse_range(text: str) -> tuple[float, float]:
    """`300ms` -> (0.3, 0.3); `200-800ms` -> (0.2, 0.8): the unit after the range applies to both ends."""
    low_text, dash, high_text = text.partition("-")
    if not dash:
        value = parse_duration(text)
        return value, value
    high = parse_duration(high_text)
    unit = _DURATION.match(high_text)
    low = parse_duration(low_text, default_unit=unit.group(2) if unit else None)
    if low > high:
        raise ValueError(f"{text!r}: the lower end is above the upper end")
    return low, high


def bounded(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_DELAY)


def format_duration(seconds: float) -> str:
    """The shortest exact form: 0.3 -> `300ms`, 2.0 -> `2s`."""
    if seconds >= 1 and float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000, 3):g}ms"


class Latency:
    """The configured latency: a fixed value or a uniform draw from a range (seconds)."""

    def __init__(self, low: float, high: float, rng: random.Random | None = None) -> None:
        self.low, self.high = low, high
        self._rng = rng or random.Random()

    def draw(self) -> float:
        if self.low == self.high:
            return self.low
        return self._rng.uniform(self.low, self.high)
