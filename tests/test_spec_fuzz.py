"""No edit of openapi.yaml, however wrong, makes the mock fail with anything but a one-line SpecError.

Hypothesis picks a node of the real spec and deletes it, or replaces it with a value of
another type (lists, maps, nulls, huge numbers, odd strings, deep nesting); the mock must
then either start or refuse with a SpecError (or a FixtureError, when the change makes the
fixtures wrong) whose message is one line naming the spec file.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.app import create_app
from mockserver.exceptions import FixtureError, SpecError
from mockserver.settings import Settings
from tests.contracts_helpers import ROOT

DOCUMENT = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(DOCUMENT)
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.just(10**400),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["#/components/schemas/Nope", "#/", "", "{", "x-role", "list", "organization", "\x1b[31m"]),
)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3), max_leaves=8)


def apply(document: dict[str, Any], path: tuple[Any, ...], action: str, value: Any) -> None:
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if action == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    else:
        parent[key] = value


@settings(max_examples=int(os.environ.get("SPEC_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(["delete", "replace"]), values),
                      min_size=1, max_size=3))
def test_any_edit_starts_or_is_refused_in_one_line(tmp_path: Path, edits: list[tuple[Any, str, Any]]) -> None:
    document = copy.deepcopy(DOCUMENT)
    for path, action, value in edits:
        try:
            apply(document, path, action, value)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier edit removed that node or replaced its parent (a scalar, null)
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        create_app(Settings(spec_path=spec))
    except SpecError as exc:
        assert "\n" not in str(exc) and str(spec) in str(exc), str(exc)
    except FixtureError as exc:  # a change to the schemas the fixtures no longer follow
        assert "\n" not in str(exc) and "fixtures" in str(exc), str(exc)
