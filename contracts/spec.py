"""The contract as the kit reads it: openapi.yaml, with the facts the checks need.

Operations are found by their `x-role` (`list`, `create`, `detail`), parameters by theirs
(`level`, `organization`, `backup`, `serializer`, `page`, `page-size`), never by name, so a
renamed parameter or operation changes nothing in the kit. Messages, field sets, the page-size
default and cap, documented headers, credential forms and the servers' path prefix all come
from the spec. `Spec.load` checks the document once (see `consistency`) and refuses one the
kit cannot follow with a one-line `SpecError` naming the file and the JSON pointer.

Only PyYAML, jsonschema_rs and the standard library are imported here: the validating proxy
of the mock server loads specs through this module.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import jsonschema_rs
import yaml

from .errors import SpecError

SHARE = Path(sys.prefix) / "share" / "labii-backup-mock" / "openapi.yaml"
CHECKOUT = Path(__file__).resolve().parent.parent / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
OPERATION_ROLES = ("list", "create", "detail")
PARAMETER_ROLES = ("level", "organization", "backup", "serializer", "page", "page-size")
T = TypeVar("T")
# The documented 406 example that answers a wrong value of each path parameter role.
ROLE_MESSAGES = {"level": "wrongLevel", "organization": "wrongId", "backup": "wrongId",
                 "serializer": "wrongSerializer"}


def default_spec_path() -> Path:
    """The checkout's openapi.yaml, else the installed data file."""
    for candidate in (CHECKOUT, SHARE):
        if candidate.is_file():
            return candidate
    raise SpecError(f"openapi.yaml not found (looked at {CHECKOUT} and {SHARE}); pass --spec FILE")


def escape(part: str) -> str:
    """One JSON-pointer reference token (RFC 6901)."""
    return part.replace("~", "~0").replace("/", "~1")


def pointer_to(*parts: str | int) -> str:
    return "#/" + "/".join(escape(str(part)) for part in parts)


@dataclass(frozen=True)
class Parameter:
    """A parameter with its `$ref`s resolved, and where the spec declares it."""

    name: str
    location: str
    role: str | None
    required: bool
    schema: dict[str, Any]
    definition: dict[str, Any]
    pointer: str


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    role: str | None
    definition: dict[str, Any]
    parameters: tuple[Parameter, ...]
    pointer: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # as written, $refs kept

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def allowed_roles(self) -> tuple[str, ...]:
        return tuple(self.definition.get("x-allowed-roles") or ())

    def param(self, role: str) -> Parameter | None:
        """The parameter carrying `role`, if the operation has one."""
        return next((parameter for parameter in self.parameters if parameter.role == role), None)

    def needs(self, role: str) -> Parameter:
        return found(self.param(role), f"{self.pointer}: operation {self.operation_id} has no parameter with "
                                       f"x-role {role!r}")

    def statuses(self) -> set[int]:
        return {int(code) for code in self.definition.get("responses", {}) if str(code).isdigit()}

    def success_statuses(self) -> set[int]:
        return {code for code in self.statuses() if 200 <= code < 300}

    def response(self, status: int) -> dict[str, Any] | None:
        responses: dict[str, Any] = self.definition.get("responses", {})
        found = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        return found if isinstance(found, dict) else None

    def fill(self, values: Mapping[str, str]) -> str:
        """The path with each path parameter replaced: `values` is keyed by role, else by name."""
        path = self.path
        for parameter in self.parameters:
            if parameter.location != "path":
                continue
            value = values.get(parameter.role or "", values.get(parameter.name))
            if value is None:
                value = example_value(parameter)
            path = path.replace("{" + parameter.name + "}", quote(str(value), safe=""))
        return path


def found(value: T | None, problem: str) -> T:
    """`value`, or a SpecError saying what the spec lacks."""
    if value is None:
        raise SpecError(problem)
    return value


def example_value(parameter: Parameter) -> Any:
    """A documented value of a parameter: its example, first named example, enum or default."""
    definition, schema = parameter.definition, parameter.schema
    if "example" in definition:
        return definition["example"]
    for example in (definition.get("examples") or {}).values():
        if isinstance(example, dict) and "value" in example:
            return example["value"]
    for source in (schema.get("examples") or [], schema.get("enum") or []):
        if source:
            return source[0]
    if "default" in schema:
        return schema["default"]
    raise SpecError(f"{parameter.pointer}: parameter {parameter.name!r} has no example, enum or default to use")


@dataclass(frozen=True)
class CredentialForm:
    """One of the ways the spec's security schemes let a caller present a token."""

    name: str
    header: str
    prefix: str
    scheme: str = ""

    def headers(self, token: str) -> dict[str, str]:
        return {self.header: self.prefix + token}


class Spec:
    """A loaded spec with the questions the checks ask of it."""

    def __init__(self, document: dict[str, Any], path: Path | None = None, *, check: bool = True) -> None:
        self.document = document
        self.path = path
        self._cache: dict[str, Any] = {}
        if check:
            from .consistency import check_spec

            check_spec(self)

    @classmethod
    def load(cls, path: Path | None = None) -> Spec:
        path = path or default_spec_path()
        try:
            with open(path, encoding="utf-8") as handle:
                document = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SpecError(f"cannot read {path}: {first}") from None
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            raise SpecError(f"{path}: not an OpenAPI document (no `paths` object)")
        return cls(document, path)

    @property
    def source(self) -> str:
        return str(self.path) if self.path else "the spec"

    def where(self, pointer: str) -> str:
        """`file#/pointer`, as SpecError messages name a place."""
        return f"{self.source}{pointer}"

    def copy_document(self) -> dict[str, Any]:
        return copy.deepcopy(self.document)

    # -- references -------------------------------------------------------------------------
    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SpecError(f"{self.source}: only local references are supported, got {ref}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise SpecError(f"{self.where(ref)}: unresolvable reference") from None
        return node

    def resolve(self, node: Any, _seen: tuple[str, ...] = ()) -> Any:
        """`node` with every local $ref inlined."""
        if isinstance(node, dict):
            if "$ref" in node:
                ref = node["$ref"]
                if ref in _seen:
                    raise SpecError(f"{self.where(ref)}: recursive reference")
                return self.resolve(self.pointer(ref), (*_seen, ref))
            return {key: self.resolve(value, _seen) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(value, _seen) for value in node]
        return node

    # -- operations -------------------------------------------------------------------------
    @cached_property
    def operations(self) -> tuple[Operation, ...]:
        found: list[Operation] = []
        for path, item in self.document["paths"].items():
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                definition = item.get(method)
                if not isinstance(definition, dict):
                    continue
                where = pointer_to("paths", path, method)
                parameters = self._parameters(path, item, definition, where)
                resolved = self.resolve({key: value for key, value in definition.items() if key != "parameters"})
                found.append(Operation(str(definition.get("operationId") or f"{method.upper()} {path}"), method,
                                       path, definition.get("x-role"), resolved, parameters, where, definition))
        return tuple(found)

    def _parameters(self, path: str, item: dict[str, Any], definition: dict[str, Any],
                    where: str) -> tuple[Parameter, ...]:
        merged: dict[tuple[str, str], Parameter] = {}
        for container, base in ((item.get("parameters", []), pointer_to("paths", path, "parameters")),
                                (definition.get("parameters", []), where + "/parameters")):
            for index, raw in enumerate(container or []):
                pointer = raw["$ref"] if isinstance(raw, dict) and "$ref" in raw else f"{base}/{index}"
                resolved = self.resolve(raw)
                if not isinstance(resolved, dict) or "name" not in resolved or "in" not in resolved:
                    raise SpecError(f"{self.where(pointer)}: a parameter needs `name` and `in`")
                parameter = Parameter(str(resolved["name"]), str(resolved["in"]), resolved.get("x-role"),
                                      bool(resolved.get("required")), resolved.get("schema") or {}, resolved,
                                      pointer)
                merged[(parameter.location, parameter.name)] = parameter  # operation level wins
        return tuple(merged.values())

    def operation(self, operation_id: str) -> Operation:
        for operation in self.operations:
            if operation.operation_id == operation_id:
                return operation
        raise SpecError(f"{self.source}: no operation {operation_id!r}")

    def by_role(self, role: str) -> Operation | None:
        return next((operation for operation in self.operations if operation.role == role), None)

    def role(self, role: str) -> Operation:
        """The operation with x-role `role` (SpecError if the spec has none)."""
        return found(self.by_role(role), f"{self.source}: no operation has x-role {role!r}")

    @property
    def list_op(self) -> Operation:
        return self.role("list")

    @cached_property
    def page_schema_name(self) -> str | None:
        """The components name of the list's 200 answer schema (the page), if it has one."""
        return self.answer_schema(self.list_op, 200, "application/json")[0]

    @property
    def unroled(self) -> tuple[Operation, ...]:
        """Operations the kit knows no behaviour for: checked from their documented responses."""
        return tuple(operation for operation in self.operations if operation.role is None)

    # -- servers ----------------------------------------------------------------------------
    @cached_property
    def prefixes(self) -> tuple[str, ...]:
        """The path part of each server URL (`/v1`), in order, without duplicates."""
        found: list[str] = []
        for server in self.document.get("servers") or []:
            url = server.get("url", "") if isinstance(server, dict) else ""
            prefix = urlsplit(url).path.rstrip("/")
            if prefix not in found:
                found.append(prefix)
        return tuple(found)

    @property
    def prefix(self) -> str:
        """The path prefix a base URL without a path gets: the first server's."""
        return self.prefixes[0] if self.prefixes else ""

    # -- facts the checks use ---------------------------------------------------------------
    @cached_property
    def messages(self) -> dict[str, str]:
        """Every documented error text, by its example name (wrongId, invalidPage, ...)."""
        found: dict[str, str] = {}
        for operation in self.operations:
            for response in operation.definition.get("responses", {}).values():
                for text, name in response_messages(response):
                    found.setdefault(name, text)
        return found

    def message(self, name: str) -> str:
        try:
            return self.messages[name]
        except KeyError:
            raise SpecError(f"{self.source}: no error example named {name!r} (the kit needs it)") from None

    def schema(self, name: str) -> dict[str, Any]:
        return dict(self.resolve({"$ref": f"#/components/schemas/{name}"}))

    def schema_at(self, ref: str) -> dict[str, Any]:
        resolved = self.resolve({"$ref": ref})
        if not isinstance(resolved, dict):
            raise SpecError(f"{self.where(ref)}: not a schema")
        return resolved

    def validator_at(self, ref: str) -> Any:
        return self.cached(f"validator:{ref}", lambda: validator_for(self.schema_at(ref)))

    def validator_for_node(self, key: str, schema: dict[str, Any]) -> Any:
        """A cached validator for an inline (already resolved) schema, under a stable key."""
        return self.cached(f"validator:{key}", lambda: validator_for(schema))

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """Something derived from the document, built once (compiled validators, route patterns)."""
        cache = self._cache
        if key not in cache:
            cache[key] = build()
        return cache[key]

    @cached_property
    def serializers(self) -> dict[str, str]:
        """Serializer value -> JSON pointer of its schema (x-serializer-schemas)."""
        parameter = self.list_op.needs("serializer")
        return {str(key): str(ref) for key, ref in (parameter.definition.get("x-serializer-schemas") or {}).items()}

    def serializer_schema(self, serializer: str) -> dict[str, Any]:
        return self.schema_at(self.serializers[serializer])

    def schema_name(self, ref: str) -> str:
        return ref.rsplit("/", 1)[-1]

    def named(self, node: Any) -> tuple[str | None, Any]:
        """Follow `$ref`s from `node`: the last components schema name met, and the node reached."""
        name = None
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node and node["$ref"] not in seen:
            ref = node["$ref"]
            seen.add(ref)
            if ref.startswith("#/components/schemas/") and ref.count("/") == 3:
                name = ref.rsplit("/", 1)[-1]
            node = self.pointer(ref)
        return name, node

    def answer_schema(self, operation: Operation, status: int, media_type: str) -> tuple[str | None, Any]:
        """(components schema name, raw schema) documented for an answer, following $refs."""
        responses = operation.raw.get("responses", {})
        raw = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        _, response = self.named(raw)
        content = (response or {}).get("content") or {}
        media = content.get(media_type)
        if media is None:
            return None, None
        return self.named(media.get("schema"))

    def fields(self, serializer: str) -> tuple[str, ...]:
        """Properties the serializer's schema declares."""
        return tuple(self.serializer_schema(serializer).get("properties", {}))

    def required_fields(self, serializer: str) -> tuple[str, ...]:
        return tuple(self.serializer_schema(serializer).get("required", []))

    @property
    def full_serializers(self) -> tuple[str, ...]:
        """Serializers whose schema declares the most properties (what a create answers, say)."""
        widest = max(len(self.fields(name)) for name in self.serializers)
        return tuple(name for name in self.serializers if len(self.fields(name)) == widest)

    @cached_property
    def levels(self) -> list[str]:
        return [str(value) for value in self.list_op.needs("level").schema.get("enum", [])]

    def page_size_parameter(self) -> Parameter:
        return self.list_op.needs("page-size")

    @cached_property
    def page_size_default(self) -> int:
        return int(self.page_size_parameter().schema["default"])

    @cached_property
    def page_size_max(self) -> int:
        return int(self.page_size_parameter().definition["x-max-page-size"])

    @cached_property
    def credential_forms(self) -> tuple[CredentialForm, ...]:
        """The credential forms of the security schemes the list operation accepts, in the spec's order."""
        schemes = self.document.get("components", {}).get("securitySchemes", {})
        requirements = self.list_op.definition.get("security", self.document.get("security", []))
        forms: list[CredentialForm] = []
        for requirement in requirements or []:
            for name in requirement:
                form = credential_form(name, self.resolve(schemes.get(name, {})))
                if form is not None and form not in forms:
                    forms.append(form)
        return tuple(forms)

    def response_headers(self, operation: Operation, status: int) -> dict[str, dict[str, Any]]:
        """Documented headers of an answer, by lower-case name."""
        response = operation.response(status) or {}
        return {str(name).lower(): header for name, header in (response.get("headers") or {}).items()}

    @cached_property
    def www_authenticate(self) -> str | None:
        header = self.response_headers(self.list_op, 401).get("www-authenticate")
        if header is None:
            return None
        schema = header.get("schema", {})
        value = schema.get("const") or (schema.get("enum") or [None])[0]
        return str(value) if value is not None else None


def credential_form(name: str, scheme: dict[str, Any]) -> CredentialForm | None:
    """The header a security scheme puts the token in, or None for schemes the kit cannot present."""
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") == "header" and scheme.get("name"):
        keyword = scheme.get("x-token-keyword")
        header = str(scheme["name"])
        if keyword:
            return CredentialForm(f"{header}: {keyword}", header, f"{keyword} ", name)
        return CredentialForm(f"{header} header", header, "", name)
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return CredentialForm("Authorization: Bearer", "Authorization", "Bearer ", name)
    return None


def response_messages(response: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, example name) of every `{"detail": ...}` example of a response."""
    found = []
    for media in (response.get("content") or {}).values():
        for name, example in (media.get("examples") or {}).items():
            value = example.get("value") if isinstance(example, dict) else None
            if isinstance(value, dict) and isinstance(value.get("detail"), str):
                found.append((value["detail"], str(name)))
        value = media.get("example")
        if isinstance(value, dict) and isinstance(value.get("detail"), str):
            found.append((value["detail"], "example"))
    return found


def validator_for(schema: dict[str, Any]) -> Any:
    """A JSON Schema 2020-12 validator that also checks formats (date-time, uri)."""
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
