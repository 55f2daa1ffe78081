"""The contract as the kit reads it: openapi.yaml, with the facts the checks need.

Messages, field sets, the page-size default and cap, the 401 header, the POST's statuses and
its link to the detail operation all come from the spec, never from the kit's own code, so
the spec stays the single source of truth.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from .errors import SpecError

SHARE = Path(sys.prefix) / "share" / "labii-backup-mock" / "openapi.yaml"
CHECKOUT = Path(__file__).resolve().parent.parent / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def default_spec_path() -> Path:
    """The checkout's openapi.yaml, else the installed data file."""
    for candidate in (CHECKOUT, SHARE):
        if candidate.is_file():
            return candidate
    raise SpecError(f"openapi.yaml not found (looked at {CHECKOUT} and {SHARE}); pass --spec FILE")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    definition: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class Link:
    target: str
    parameters: dict[str, str]


class Spec:
    """A loaded spec with the questions the checks ask of it."""

    def __init__(self, document: dict[str, Any], path: Path | None = None) -> None:
        self.document = document
        self.path = path

    @classmethod
    def load(cls, path: Path | None = None) -> "Spec":
        path = path or default_spec_path()
        try:
            with open(path, encoding="utf-8") as handle:
                document = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(f"cannot read {path}: {exc}") from None
        if not isinstance(document, dict) or "paths" not in document:
            raise SpecError(f"{path} is not an OpenAPI document")
        return cls(document, path)

    def copy_document(self) -> dict[str, Any]:
        return copy.deepcopy(self.document)

    # -- references -------------------------------------------------------------------------
    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SpecError(f"only local references are supported, got {ref}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError):
                raise SpecError(f"unresolvable reference {ref}") from None
        return node

    def resolve(self, node: Any, _seen: tuple[str, ...] = ()) -> Any:
        """`node` with every local $ref inlined."""
        if isinstance(node, dict):
            if "$ref" in node:
                ref = node["$ref"]
                if ref in _seen:
                    raise SpecError(f"recursive reference {ref}")
                return self.resolve(self.pointer(ref), (*_seen, ref))
            return {key: self.resolve(value, _seen) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(value, _seen) for value in node]
        return node

    # -- operations -------------------------------------------------------------------------
    @cached_property
    def operations(self) -> dict[str, Operation]:
        found: dict[str, Operation] = {}
        for path, item in self.document.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in HTTP_METHODS:
                definition = item.get(method)
                if isinstance(definition, dict) and definition.get("operationId"):
                    merged = dict(definition, parameters=[*shared, *definition.get("parameters", [])])
                    found[definition["operationId"]] = Operation(
                        definition["operationId"], method, path, self.resolve(merged))
        return found

    def operation(self, operation_id: str) -> Operation:
        try:
            return self.operations[operation_id]
        except KeyError:
            raise SpecError(f"the spec has no operation {operation_id!r}") from None

    def parameter(self, operation_id: str, location: str, name: str) -> dict[str, Any]:
        for parameter in self.operation(operation_id).definition["parameters"]:
            if parameter.get("in") == location and parameter.get("name") == name:
                return parameter
        raise SpecError(f"{operation_id} has no {location} parameter {name!r}")

    def statuses(self, operation_id: str) -> set[int]:
        return {int(code) for code in self.operation(operation_id).definition.get("responses", {})
                if str(code).isdigit()}

    def success_statuses(self, operation_id: str) -> set[int]:
        return {code for code in self.statuses(operation_id) if 200 <= code < 300}

    def link(self, operation_id: str, status: int, name: str | None = None) -> Link:
        response = self.operation(operation_id).definition["responses"].get(str(status), {})
        links = response.get("links", {})
        if not links:
            raise SpecError(f"{operation_id} {status} declares no link")
        link = links[name] if name else next(iter(links.values()))
        return Link(link["operationId"], dict(link.get("parameters", {})))

    # -- facts the checks use ---------------------------------------------------------------
    @cached_property
    def messages(self) -> dict[str, str]:
        """Every documented error text, by its example name (wrongId, invalidPage, ...)."""
        found: dict[str, str] = {}
        for response in self.document.get("components", {}).get("responses", {}).values():
            for media in response.get("content", {}).values():
                for name, example in media.get("examples", {}).items():
                    value = self.resolve(example).get("value")
                    if isinstance(value, dict) and isinstance(value.get("detail"), str):
                        found.setdefault(name, value["detail"])
        return found

    def message(self, name: str) -> str:
        try:
            return self.messages[name]
        except KeyError:
            raise SpecError(f"the spec documents no error example named {name!r}") from None

    def schema(self, name: str) -> dict[str, Any]:
        return self.resolve({"$ref": f"#/components/schemas/{name}"})

    def validator(self, name: str) -> Any:
        return validator_for(self.schema(name))

    def fields(self, schema_name: str) -> tuple[str, ...]:
        return tuple(self.schema(schema_name).get("properties", {}))

    @cached_property
    def serializer_schemas(self) -> dict[str, str]:
        """Serializer value -> schema name (from x-serializer-schemas)."""
        parameter = self.parameter("listBackups", "path", "serializer")
        mapping = parameter.get("x-serializer-schemas") or {}
        if not mapping:
            raise SpecError("the serializer parameter declares no x-serializer-schemas")
        return {key: ref.rsplit("/", 1)[-1] for key, ref in mapping.items()}

    @cached_property
    def levels(self) -> list[str]:
        return list(self.parameter("listBackups", "path", "level")["schema"].get("enum", []))

    @cached_property
    def page_size_default(self) -> int:
        return int(self.parameter("listBackups", "query", "page_size")["schema"].get("default", 10))

    @cached_property
    def page_size_max(self) -> int:
        parameter = self.parameter("listBackups", "query", "page_size")
        return int(parameter.get("x-max-page-size", 1000))

    @cached_property
    def www_authenticate(self) -> str | None:
        headers = self.document["components"]["responses"].get("NotAuthenticated", {}).get("headers", {})
        for name, header in headers.items():
            if name.lower() == "www-authenticate":
                schema = self.resolve(header).get("schema", {})
                return schema.get("const") or (schema.get("enum") or [None])[0]
        return None


def validator_for(schema: dict[str, Any]) -> Any:
    """A JSON Schema 2020-12 validator that also checks formats (date-time, uri)."""
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def schema_errors(validator: Any, value: Any, limit: int = 5) -> list[str]:
    """Readable validation errors, at most `limit`."""
    errors = []
    for error in validator.iter_errors(value):
        where = "/".join(str(part) for part in error.instance_path) or "(root)"
        errors.append(f"{where}: {error.message}")
        if len(errors) >= limit:
            break
    return errors
