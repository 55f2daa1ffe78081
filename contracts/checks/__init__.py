"""The kit's own checks, by theme, in the order a run performs them.

Each theme module exposes CHECKS; this catalog is what the CLI runs, what the JUnit report
lists, what the pytest module parametrizes over, and what `--list-rules` maps to rules.
"""

from __future__ import annotations

from . import access, detail, errors, isolation, operations, pagination, serializers, writes
from .base import Check, Recorder, Skip

THEME_CHECKS: dict[str, tuple[Check, ...]] = {
    "pagination": pagination.CHECKS,
    "serializers": serializers.CHECKS,
    "detail": detail.CHECKS,
    "errors": errors.CHECKS,
    "access": access.CHECKS,
    "isolation": isolation.CHECKS,
    "operations": operations.CHECKS,
    "writes": writes.CHECKS,
}


def all_checks() -> list[Check]:
    return [check for checks in THEME_CHECKS.values() for check in checks]


__all__ = ["Check", "Recorder", "Skip", "THEME_CHECKS", "all_checks"]
