"""Which checks probe which rules: the rule inventory joined with what each check declares.

Checks declare rule-id patterns (fnmatch) with placeholders the spec fills in, so that a new
operation, serializer or schema in the spec is covered, or shown as uncovered, without an edit:
`{list}`, `{create}`, `{detail}` (operationIds by x-role), `{roled}` and `{unroled}` (operations
with and without x-role), `{page}` (the list's page schema), `{serializers}` (each serializer's
schema) and `{error}` (each schema an error answer uses).
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from itertools import product

from .builtins import BUILTIN_CHECKS
from .checks import all_checks
from .rules import Rule, inventory
from .spec import Spec


def placeholders(spec: Spec) -> dict[str, list[str]]:
    roled = [op.operation_id for op in spec.operations if op.role]
    errors: list[str] = []
    for operation in spec.operations:
        for code in operation.statuses():
            if code >= 400:
                for media in (operation.response(code) or {}).get("content") or {}:
                    name = spec.answer_schema(operation, code, media)[0]
                    if name and name not in errors:
                        errors.append(name)
    page = spec.page_schema_name
    return {
        **{role: [op.operation_id] for role in ("list", "create", "detail") if (op := spec.by_role(role))},
        "roled": roled, "unroled": [op.operation_id for op in spec.unroled],
        "page": [page] if page else [], "serializers": list(dict.fromkeys(spec.schema_name(ref)
                                                                          for ref in spec.serializers.values())),
        "error": errors,
    }


def expand(pattern: str, values: dict[str, list[str]]) -> list[str]:
    """Every pattern `pattern` stands for once its placeholders are filled (none if one is empty)."""
    names = [name for name in values if "{" + name + "}" in pattern]
    if not names:
        return [pattern]
    expanded = []
    for combination in product(*(values[name] for name in names)):
        filled = pattern
        for name, value in zip(names, combination, strict=True):
            filled = filled.replace("{" + name + "}", value)
        expanded.append(filled)
    return expanded


def declared() -> list[tuple[str, tuple[str, ...]]]:
    """(check id, patterns) of every check the kit can run, its own and schemathesis'."""
    return [(check.check_id, check.covers) for check in all_checks()] + [
        (f"schemathesis.{name}", covers) for name, (_, covers) in BUILTIN_CHECKS.items()]


def coverage(spec: Spec, checks: Iterable[tuple[str, tuple[str, ...]]] | None = None) -> list[tuple[Rule, list[str]]]:
    """Each rule of the inventory with the checks that probe it, the one naming it best first.

    A check names a rule better the more literal its matching pattern is; the kit's own checks
    come before schemathesis' (their findings say what was expected in the situation).
    """
    values = placeholders(spec)
    patterns = [(check_id, [filled for pattern in covers for filled in expand(pattern, values)])
                for check_id, covers in (declared() if checks is None else checks)]
    found = []
    for rule in inventory(spec):
        ranked = []
        for order, (check_id, filled) in enumerate(patterns):
            matching = [pattern for pattern in filled if fnmatchcase(rule.rule_id, pattern)]
            if matching:
                literal = max(len(pattern.replace("*", "")) - 4 * pattern.count("*") for pattern in matching)
                ranked.append((check_id.startswith("schemathesis."), -literal, order, check_id))
        found.append((rule, [check_id for *_, check_id in sorted(ranked)]))
    return found
