"""openapi.yaml as a document: loaded once with `yaml.safe_load`, with local `$ref` lookups.

Everything the mock knows about the API is read from this document (see model.py); this
module only loads it and answers "what is at this JSON pointer". Every problem is a
SpecError whose message names the file and the JSON pointer of the node, on one line.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from mockserver.exceptions import SpecError
from mockserver.resources import project_path
from mockserver.text import one_line

DEFAULT_SPEC_PATH = project_path("openapi.yaml")
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same safe constructor, in C
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def escape(part: str) -> str:
    """One JSON-pointer segment (RFC 6901): `~` and `/` escaped."""
    return part.replace("~", "~0").replace("/", "~1")


def pointer_of(*parts: object) -> str:
    return "#/" + "/".join(escape(str(part)) for part in parts)


class Spec:
    """A loaded OpenAPI document and its source, with `$ref` resolution."""

    def __init__(self, document: Any, source: str = "<memory>") -> None:
        self.source = source
        if not isinstance(document, dict):
            raise SpecError(f"{source}: not an OpenAPI document (expected a mapping at the top)")
        if not isinstance(document.get("paths"), dict):
            raise self.error("#/paths", "not an OpenAPI document: expected a mapping of paths")
        self.document: dict[str, Any] = document

    @classmethod
    def load(cls, path: str | Path = DEFAULT_SPEC_PATH) -> Spec:
        path = Path(path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise SpecError(f"{path}: cannot read the spec ({exc.strerror or exc})") from None
        try:
            document = yaml.load(content.decode("utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - libyaml's safe loader
        except UnicodeDecodeError as exc:
            raise SpecError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except yaml.YAMLError as exc:
            raise SpecError(one_line(f"{path}: not valid YAML ({exc})")) from None
        except RecursionError:
            raise SpecError(f"{path}: nested too deeply to read") from None
        return cls(document, str(path))

    def error(self, pointer: str, problem: str) -> SpecError:
        """The one-line error for a problem at a JSON pointer of this document."""
        return SpecError(one_line(f"{self.source}{pointer}: {problem}"))

    # -- references -------------------------------------------------------------------------

    def pointer(self, ref: str, where: str = "") -> Any:
        """The node a local reference (`#/a/b`) points at."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.error(where or "#", f"only local $ref are supported, got {ref!r}")
        node: Any = self.document
        for raw in ref[2:].split("/") if ref not in ("#", "#/") else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise self.error(where or ref, f"unresolvable $ref {ref}")
        return node

    def resolve(self, node: Any, where: str = "") -> Any:
        """Follow `$ref` chains until a node that is not a reference."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or ref in seen:
                raise self.error(where or "#", f"circular or invalid $ref {ref!r}")
            seen.add(ref)
            node = self.pointer(ref, where)
        return node

    def inline(self, node: Any, where: str = "", _active: tuple[str, ...] = ()) -> Any:
        """A deep copy of `node` with every local `$ref` replaced by its target.

        A schema that refers to itself cannot be inlined: that is a SpecError (the mock's
        schemas are finite)."""
        if isinstance(node, dict):
            if "$ref" in node:
                ref = node["$ref"]
                if ref in _active:
                    raise self.error(where or "#", f"recursive $ref {ref} is not supported")
                target = self.pointer(ref, where)
                siblings = {key: value for key, value in node.items() if key != "$ref"}
                inlined = self.inline(target, ref, (*_active, ref))
                if siblings and isinstance(inlined, dict):  # OpenAPI 3.1: siblings apply too
                    return {**inlined, **self.inline(siblings, where, _active)}
                return inlined
            return {key: self.inline(value, where, _active) for key, value in node.items()}
        if isinstance(node, list):
            return [self.inline(value, where, _active) for value in node]
        return copy.deepcopy(node)

    def refs(self) -> list[tuple[str, str]]:
        """Every `$ref` in the document, with the pointer of the node that holds it."""
        found: list[tuple[str, str]] = []
        stack: list[tuple[Any, str]] = [(self.document, "#")]
        while stack:
            node, where = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if ref is not None:
                    found.append((where, ref))
                for key, value in node.items():
                    stack.append((value, f"{where}/{escape(str(key))}"))
            elif isinstance(node, list):
                for index, value in enumerate(node):
                    stack.append((value, f"{where}/{index}"))
        return found
