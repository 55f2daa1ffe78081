"""One problem, one root finding: findings that show the same fault are grouped.

Two findings show the same fault when they break the same rule, or when they name the same
field (other than the status, which each situation expects on its own) with the same expected and
received value (error bodies sent as text/plain break the rule of every error status, but say the
same thing each time). In each group the check naming the fault
best keeps its finding as the root (see coverage for the ranking; the lowest status breaks ties,
as the spec's order of checks does); the other findings become consequences listed under it as
"also seen", so a bug that shows in five checks reads as one problem with four echoes. Every check
keeps its verdict: a check that only saw consequences still failed, and says whose root explains it.
"""

from __future__ import annotations

import re

from .results import CheckResult, Finding

_INDEX = re.compile(r"/\d+(?=/|$)")
_STATUS = re.compile(r"\.(\d{3})(?:\.|$)")


def _keys(finding: Finding) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [("rule", finding.rule)] if finding.rule else []
    if finding.field and finding.received and finding.field != "/status":  # a wrong status is the situation's
        keys.append(("field", _INDEX.sub("/*", finding.field), finding.expected, finding.received))
    return keys


def group(results: list[CheckResult], ranking: dict[str, list[str]]) -> None:
    """Mark consequences (`root_of`) and list them on their root (`also_seen`), in place."""
    items = [(result, finding) for result in results for finding in result.findings]
    parent = list(range(len(items)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first: dict[tuple[str, ...], int] = {}
    for index, (_, finding) in enumerate(items):
        for key in _keys(finding):
            if key in first:
                parent[find(index)] = find(first[key])
            else:
                first[key] = index
    groups: dict[int, list[int]] = {}
    for index in range(len(items)):
        groups.setdefault(find(index), []).append(index)
    order = {result.check_id: number for number, result in enumerate(results)}
    for members in groups.values():
        if len(members) < 2:
            continue
        root_index = min(members, key=lambda index: _rank(items[index], ranking, order))
        root_result, root = items[root_index]
        for index in members:
            result, finding = items[index]
            if index == root_index:
                continue
            finding.root_of = root_result.check_id
            times = f" ({finding.occurrences} times)" if finding.occurrences > 1 else ""
            root.also_seen.append(f"{result.check_id}: {finding.summary}{times}")


def _rank(item: tuple[CheckResult, Finding], ranking: dict[str, list[str]],
          order: dict[str, int]) -> tuple[int, int, int, int]:
    result, finding = item
    checks = ranking.get(finding.rule, [])
    position = checks.index(result.check_id) if result.check_id in checks else len(checks)
    status = _STATUS.search(finding.rule)
    return (int(result.check_id.startswith("schemathesis.")), position, int(status.group(1)) if status else 0,
            order.get(result.check_id, 0))
