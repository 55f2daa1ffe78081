"""Backup sizes as the mock documents them, read with this module's own parser (tests only).

mockserver/factory.py: a created backup is "a little larger than the last one", written with one
decimal in the largest unit that keeps the number below 1024, 1 KB = 1024 B. "A little" is at most
1.5 % (the factory grows a size by 0.1-1.5 %).
"""

from __future__ import annotations

import re

SIZE_UNITS = ("B", "KB", "MB", "GB", "TB")
MAX_GROWTH = 0.015


def size(text: str) -> tuple[float, float]:
    """(bytes shown, bytes of one step of the last shown digit) of a size such as `47.0 MB`."""
    match = re.fullmatch(r"(\d+)\.(\d) (B|KB|MB|GB|TB)", text)
    assert match, f"not a documented size: {text!r}"
    unit = 1024 ** SIZE_UNITS.index(match.group(3))
    return (int(match.group(1)) + int(match.group(2)) / 10) * unit, unit / 10


def assert_grew_a_little(newest: str, created: str) -> None:
    """Strictly larger as shown; at most 1.5 % more than the newest could have been before
    rounding, with one shown step of slack (growing by less than a step would show no growth)."""
    before, before_step = size(newest)
    after, after_step = size(created)
    assert after > before, f"{created} is not larger than the newest backup's {newest}"
    limit = (before + before_step) * (1 + MAX_GROWTH) + after_step / 2
    assert after <= limit, f"{created} grew more than a little from {newest}"
