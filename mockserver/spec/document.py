"""Read openapi.yaml once and expose what the mock needs from it.

The spec is the single source of truth: operations and their paths, the values a path
parameter allows, the field set of each serializer, the schemas fixtures are checked
against and the documented error messages all come from here, not from Python constants.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mockserver.exceptions import SpecError
from mockserver.resources import project_path

DEFAULT_SPEC_PATH = project_path("openapi.yaml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    """One documented operation: where it lives and what it may answer."""

    operation_id: str
    method: str
    path: str
    statuses: tuple[str, ...]
    definition: dict[str, Any]


class Spec:
    """A loaded OpenAPI document with `$ref` lookups and the mock's views of it."""

    def __init__(self, document: dict[str, Any], source: str = "<memory>") -> None:
        if not isinstance(document, dict) or "paths" not in document:
            raise SpecError(f"{source}: not an OpenAPI document (no 'paths')")
        self.document = document
        self.source = source
        self.operations = self._collect_operations()

    @classmethod
    def load(cls, path: str | Path = DEFAULT_SPEC_PATH) -> "Spec":
        path = Path(path)
        try:
            with path.open(encoding="utf-8") as handle:
                document = yaml.safe_load(handle)
        except OSError as exc:
            raise SpecError(f"{path}: cannot read the spec ({exc.strerror})") from exc
        except yaml.YAMLError as exc:
            raise SpecError(f"{path}: not valid YAML ({exc})") from exc
        return cls(document, str(path))

    # -- references -------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """Follow `$ref` chains until a node that is not a reference."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"{self.source}: circular $ref {ref}")
            seen.add(ref)
            node = self.pointer(ref)
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SpecError(f"{self.source}: only local $ref are supported, got {ref}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[part]
            except (KeyError, TypeError):
                raise SpecError(f"{self.source}: unresolvable $ref {ref}") from None
        return node

    def inline(self, node: Any) -> Any:
        """A deep copy of `node` with every local `$ref` replaced by its target."""
        node = self.resolve(node)
        if isinstance(node, dict):
            return {key: self.inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self.inline(value) for value in node]
        return copy.deepcopy(node)

    # -- operations -------------------------------------------------------------------------

    def _collect_operations(self) -> dict[str, Operation]:
        operations: dict[str, Operation] = {}
        for path, item in self.document["paths"].items():
            for method in HTTP_METHODS:
                definition = item.get(method)
                if definition is None:
                    continue
                operation_id = definition.get("operationId")
                if not operation_id:
                    raise SpecError(f"{self.source}: {method.upper()} {path} has no operationId")
                statuses = tuple(str(code) for code in definition.get("responses", {}))
                operations[operation_id] = Operation(operation_id, method.upper(), path, statuses, definition)
        return operations

    def operation(self, operation_id: str) -> Operation:
        try:
            return self.operations[operation_id]
        except KeyError:
            raise SpecError(f"{self.source}: no operation {operation_id!r}") from None

    def parameters(self, operation_id: str) -> dict[tuple[str, str], dict[str, Any]]:
        """Path-level and operation-level parameters, keyed by (location, name)."""
        op = self.operation(operation_id)
        params: dict[tuple[str, str], dict[str, Any]] = {}
        item = self.document["paths"][op.path]
        for raw in [*item.get("parameters", []), *op.definition.get("parameters", [])]:
            param = self.resolve(raw)
            params[(param["in"], param["name"])] = param
        return params

    def parameter(self, operation_id: str, location: str, name: str) -> dict[str, Any]:
        try:
            return self.parameters(operation_id)[(location, name)]
        except KeyError:
            raise SpecError(f"{self.source}: {operation_id} has no {location} parameter {name!r}") from None

    def allowed_values(self, operation_id: str, location: str, name: str) -> tuple[str, ...]:
        """The enum of a parameter's schema."""
        schema = self.resolve(self.parameter(operation_id, location, name).get("schema", {}))
        if "enum" not in schema:
            raise SpecError(f"{self.source}: {operation_id} parameter {name!r} has no enum")
        return tuple(str(value) for value in schema["enum"])

    def parameter_default(self, operation_id: str, name: str) -> Any:
        schema = self.resolve(self.parameter(operation_id, "query", name).get("schema", {}))
        return schema.get("default")

    # -- schemas and examples ---------------------------------------------------------------

    def schema(self, name: str) -> dict[str, Any]:
        return self.inline({"$ref": f"#/components/schemas/{name}"})

    def field_names(self, schema_ref: str) -> tuple[str, ...]:
        """The properties of an object schema, in the order the spec lists them."""
        schema = self.resolve({"$ref": schema_ref})
        return tuple(schema.get("properties", {}))

    def serializer_fields(self, operation_id: str) -> dict[str, tuple[str, ...]]:
        """serializer value -> field names, from the parameter's `x-serializer-schemas`."""
        param = self.parameter(operation_id, "path", "serializer")
        mapping = param.get("x-serializer-schemas")
        if not mapping:
            raise SpecError(f"{self.source}: the serializer parameter has no x-serializer-schemas")
        return {value: self.field_names(ref) for value, ref in mapping.items()}

    def response_example(self, operation_id: str, status: str, example: str) -> Any:
        """The value of a named example of one response."""
        examples = self.response_examples(operation_id, status)
        try:
            return examples[example]
        except KeyError:
            raise SpecError(
                f"{self.source}: {operation_id} {status} has no example {example!r}"
            ) from None

    def response_examples(self, operation_id: str, status: str) -> dict[str, Any]:
        op = self.operation(operation_id)
        response = self.resolve(op.definition.get("responses", {}).get(status, {}))
        media = response.get("content", {}).get("application/json", {})
        return {name: self.resolve(example).get("value") for name, example in media.get("examples", {}).items()}

    def max_page_size(self, operation_id: str) -> int:
        return int(self.parameter(operation_id, "query", "page_size")["x-max-page-size"])
