"""The layering the README's Architecture section draws, kept true by a test.

`mockserver/` is grouped into rooms stacked in levels: a module imports only from its own level
or below (a lazy import inside a function counts too: it is the same dependency, paid later).
The mock imports the contract kit in one module only, and only the parts that need no extra;
the kit never imports the mock (tests/test_contracts_units.py), and those parts load no extra
(tests/test_contracts_rules.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mockserver"

# The README's Architecture block, bottom (0) to top: a room is a sub-package or a top module.
LEVELS = {
    "exceptions": 0, "text": 0, "resources": 0, "notes": 0,
    "spec": 1,
    "data": 2,
    "store": 3,
    "api": 4,
    "protocol": 5, "settings": 5,
    "frontend": 6, "control": 6, "middleware": 6, "proxy": 6,
    "cli": 7, "app": 7, "gateway": 7,
    "__main__": 8, "__init__": 8,
}
KIT_IMPORTER = "mockserver.proxy.validation"
KIT_PARTS = {"contracts.errors", "contracts.rules", "contracts.spec"}  # no kit extra: tests/test_contracts_rules.py


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            raise AssertionError(f"{path}: a relative import (the layering test reads absolute ones)")
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_room_has_a_level() -> None:
    rooms = {_room(_module(path)) for path in MODULES}
    assert rooms <= set(LEVELS), f"rooms missing from LEVELS (and from the README): {rooms - set(LEVELS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE.parent)))
def test_imports_point_down(path: Path) -> None:
    module = _module(path)
    level = LEVELS[_room(module)]
    upward = [name for name in _imports(path)
              if name.split(".")[0] == "mockserver" and LEVELS[_room(name)] > level]
    assert not upward, f"{module} (level {level}) imports from above it: {upward}"


def test_the_mock_imports_the_kit_in_one_place_and_only_its_rules() -> None:
    kit_imports = {(_module(path), name) for path in MODULES for name in _imports(path)
                   if name.split(".")[0] == "contracts"}
    assert {module for module, _ in kit_imports} == {KIT_IMPORTER}
    assert {name for _, name in kit_imports} <= KIT_PARTS

