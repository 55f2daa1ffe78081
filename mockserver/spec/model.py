"""The API as the mock serves it, compiled once from openapi.yaml.

Nothing about the API is written in Python: the operations and their paths, the prefixes
they are served under (the path part of each `servers` entry, plus the root), what each
parameter carries (its `x-role`), what each operation does (its `x-role`: list, create,
detail, or none: answered from its examples), who may call it (its security requirements
and `x-allowed-roles`), the field set of every serializer (`x-serializer-schemas`), the
page-size default and cap, the keys of a page, and the properties of a backup all come from
the document. `checks.py` makes sure, before this runs, that the document says all of it
consistently; what is still missing here is a SpecError naming the file and the pointer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mockserver.exceptions import SpecError
from mockserver.spec.document import HTTP_METHODS, Spec, pointer_of

# operation roles (x-role on an operation)
LIST, CREATE, DETAIL = "list", "create", "detail"
OPERATION_ROLES = (LIST, CREATE, DETAIL)
# parameter roles (x-role on a parameter)
LEVEL, ORGANIZATION, BACKUP, SERIALIZER, PAGE, PAGE_SIZE = (
    "level", "organization", "backup", "serializer", "page", "page-size")
PARAMETER_ROLES = (LEVEL, ORGANIZATION, BACKUP, SERIALIZER, PAGE, PAGE_SIZE)
# what each behaviour cannot do without
NEEDED = {LIST: (ORGANIZATION, SERIALIZER), CREATE: (ORGANIZATION,), DETAIL: (BACKUP,)}
# organization roles the docs name (notes: Admin, Member, Alumni, User, Anonymous)
KNOWN_ROLES = ("Admin", "Member", "Alumni", "User", "Anonymous")
# fields a backup must have for the mock's documented rules: identity and order
IDENTITY, ORDER = "sid", "date_created"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, header, cookie
    role: str | None
    schema: dict[str, Any]  # inlined
    pointer: str
    definition: dict[str, Any] = field(repr=False)

    @property
    def enum(self) -> tuple[str, ...] | None:
        values = self.schema.get("enum")
        return tuple(str(value) for value in values) if isinstance(values, list) else None


@dataclass(frozen=True)
class CredentialForm:
    """One way a caller may present a token (from a security scheme)."""

    scheme: str
    kind: str  # "keyword" (Authorization: <Keyword> <token>), "header" or "query"
    name: str  # the keyword, the header name or the query parameter


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str
    role: str | None
    parameters: tuple[Parameter, ...]
    forms: tuple[CredentialForm, ...] | None  # None: no credentials needed
    allowed_roles: frozenset[str] | None  # None: any member of the organization
    statuses: tuple[str, ...]
    pointer: str
    definition: dict[str, Any] = field(repr=False)

    def param(self, role: str) -> Parameter | None:
        return next((param for param in self.parameters if param.role == role), None)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def success_status(self) -> str | None:
        """The first documented 2xx (the Backup page's 200 for the create operation)."""
        return next((status for status in self.statuses if status.startswith("2") and status.isdigit()), None)


@dataclass(frozen=True)
class PageModel:
    """What a list operation's pages look like: keys in order, the results key, sizes."""

    keys: tuple[str, ...]
    results_key: str
    default_size: int
    max_size: int
    schema: dict[str, Any]


@dataclass(frozen=True)
class RecordField:
    name: str
    schema: dict[str, Any]
    required: bool


class ApiModel:
    """The compiled view of the spec: one instance, built at start-up, read by everything."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.warnings: list[str] = []  # what the mock serves but cannot honour fully (printed at start)
        self.prefixes = self._prefixes()
        self.operations: dict[str, Operation] = {}
        for operation in self._operations():
            self.operations[operation.operation_id] = operation
        for operation in self.operations.values():
            if operation.role in (CREATE, DETAIL):
                schema = self.response_schema(operation, operation.success_status)
                if schema is None or not isinstance(schema.get("properties"), dict):
                    raise spec.error(operation.pointer, f"x-role {operation.role} needs a 2xx answer whose "
                                                        "application/json schema is an object with properties")
        self.serializers = self._serializers()
        self.record = self._record()
        self.page = self._page()

    # -- servers ------------------------------------------------------------------------------

    def _prefixes(self) -> tuple[str, ...]:
        """The root, then the path part of every `servers` URL (variables at their default)."""
        prefixes = [""]
        servers = self.spec.document.get("servers") or []
        if not isinstance(servers, list):
            raise self.spec.error("#/servers", "expected a list of servers")
        for index, server in enumerate(servers):
            url = server.get("url") if isinstance(server, dict) else None
            if not isinstance(url, str):
                raise self.spec.error(pointer_of("servers", index), "a server needs a url")
            for name, variable in (server.get("variables") or {}).items():
                default = variable.get("default") if isinstance(variable, dict) else None
                url = url.replace("{" + str(name) + "}", str(default if default is not None else ""))
            if "{" in url:
                raise self.spec.error(pointer_of("servers", index, "url"), f"{url!r} has a variable without a default")
            path = urlsplit(url).path.rstrip("/")
            if path and not path.startswith("/"):
                path = "/" + path
            if path not in prefixes:
                prefixes.append(path)
        return tuple(prefixes)

    @property
    def api_prefix(self) -> str:
        """The prefix the mock advertises (the first server's path, `/v1`), or the root."""
        return self.prefixes[1] if len(self.prefixes) > 1 else ""

    # -- operations -----------------------------------------------------------------------------

    def _operations(self) -> list[Operation]:
        spec = self.spec
        found: list[Operation] = []
        seen: dict[str, str] = {}
        for path, item in spec.document["paths"].items():
            item_pointer = pointer_of("paths", path)
            item = spec.resolve(item, item_pointer)
            if not isinstance(item, dict):
                raise spec.error(item_pointer, "a path item must be a mapping")
            for method in HTTP_METHODS:
                definition = item.get(method)
                if definition is None:
                    continue
                where = pointer_of("paths", path, method)
                if not isinstance(definition, dict):
                    raise spec.error(where, "an operation must be a mapping")
                operation_id = definition.get("operationId") or f"{method.upper()} {path}"
                if not isinstance(operation_id, str):
                    raise spec.error(where + "/operationId", "must be a string")
                if operation_id in seen:
                    raise spec.error(where + "/operationId", f"{operation_id!r} is also used at {seen[operation_id]}")
                seen[operation_id] = where
                found.append(self._operation(path, method, item, definition, operation_id, where))
        return found

    def _operation(self, path: str, method: str, item: dict[str, Any], definition: dict[str, Any],
                   operation_id: str, where: str) -> Operation:
        spec = self.spec
        role = definition.get("x-role")
        if role is not None and role not in OPERATION_ROLES:
            raise spec.error(where + "/x-role", f"{role!r} is not one of {', '.join(OPERATION_ROLES)}")
        parameters: dict[tuple[str, str], Parameter] = {}
        for level_pointer, raw_list in ((pointer_of("paths", path, "parameters"), item.get("parameters")),
                                        (where + "/parameters", definition.get("parameters"))):
            if raw_list is None:
                continue
            if not isinstance(raw_list, list):
                raise spec.error(level_pointer, "expected a list of parameters")
            for index, raw in enumerate(raw_list):
                param = self._parameter(raw, f"{level_pointer}/{index}")
                parameters[(param.location, param.name)] = param  # the operation's own override the path's
        params = tuple(parameters.values())
        for param_role in PARAMETER_ROLES:
            holders = [param.name for param in params if param.role == param_role]
            if len(holders) > 1:
                raise spec.error(where, f"parameters {holders} all have x-role {param_role}")
        if role is not None:
            for needed in NEEDED[role]:
                if not any(param.role == needed for param in params):
                    raise spec.error(where, f"x-role {role} needs a parameter with x-role {needed}")
        responses = definition.get("responses") or {}
        if not isinstance(responses, dict):
            raise spec.error(where + "/responses", "expected a mapping of statuses")
        allowed = definition.get("x-allowed-roles")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(value in KNOWN_ROLES for value in allowed):
                raise spec.error(where + "/x-allowed-roles", f"expected a list of {', '.join(KNOWN_ROLES)}")
        return Operation(
            operation_id=operation_id,
            method=method.upper(),
            path=path,
            role=role,
            parameters=params,
            forms=self._forms(definition, where),
            allowed_roles=frozenset(allowed) if allowed is not None else None,
            statuses=tuple(str(status) for status in responses),
            pointer=where,
            definition=definition,
        )

    def _parameter(self, raw: Any, where: str) -> Parameter:
        spec = self.spec
        definition = spec.resolve(raw, where)
        if isinstance(raw, dict) and "$ref" in raw:
            where = raw["$ref"]
        if not isinstance(definition, dict) or not isinstance(definition.get("name"), str) \
                or definition.get("in") not in ("path", "query", "header", "cookie"):
            raise spec.error(where, "a parameter needs a name and `in` (path, query, header or cookie)")
        role = definition.get("x-role")
        if role is not None and role not in PARAMETER_ROLES:
            raise spec.error(where + "/x-role", f"{role!r} is not one of {', '.join(PARAMETER_ROLES)}")
        schema = spec.inline(definition.get("schema", {}), where + "/schema")
        return Parameter(definition["name"], definition["in"], role, schema if isinstance(schema, dict) else {},
                         where, definition)

    def _forms(self, definition: dict[str, Any], where: str) -> tuple[CredentialForm, ...] | None:
        """The credential forms an operation accepts (any of them), or None when it needs none."""
        spec = self.spec
        requirements = definition.get("security", spec.document.get("security"))
        if requirements is None or requirements == [] or any(req == {} for req in requirements or []):
            return None
        if not isinstance(requirements, list):
            raise spec.error(where + "/security", "expected a list of security requirements")
        schemes = (spec.document.get("components") or {}).get("securitySchemes") or {}
        forms: list[CredentialForm] = []
        for requirement in requirements:
            if not isinstance(requirement, dict):
                raise spec.error(where + "/security", "each security requirement must be a mapping")
            for name in requirement:
                scheme = schemes.get(name)
                if scheme is None:
                    raise spec.error(where + "/security", f"unknown security scheme {name!r}")
                scheme = spec.resolve(scheme, pointer_of("components", "securitySchemes", name))
                form = _form(str(name), scheme)
                if form is None:
                    warning = (f"security scheme {name!r} ({scheme.get('type') if isinstance(scheme, dict) else '?'}) "
                               "cannot be checked by the mock: requests carrying only it get 401")
                    if warning not in self.warnings:
                        self.warnings.append(warning)
                elif form not in forms:
                    forms.append(form)
        return tuple(forms)

    def by_role(self, role: str) -> list[Operation]:
        return [operation for operation in self.operations.values() if operation.role == role]

    @property
    def examples_only(self) -> list[Operation]:
        return [operation for operation in self.operations.values() if operation.role is None]

    def response(self, operation: Operation, status: str) -> dict[str, Any]:
        raw = (operation.definition.get("responses") or {}).get(status, {})
        response = self.spec.resolve(raw, f"{operation.pointer}/responses/{status}")
        return response if isinstance(response, dict) else {}

    def response_schema(self, operation: Operation, status: str | None) -> dict[str, Any] | None:
        if status is None:
            return None
        media = (self.response(operation, status).get("content") or {}).get("application/json") or {}
        if "schema" not in media:
            return None
        schema = self.spec.inline(media["schema"], f"{operation.pointer}/responses/{status}")
        return schema if isinstance(schema, dict) else None

    # -- serializers, records and pages -----------------------------------------------------

    def _serializers(self) -> dict[str, dict[str, Any]]:
        """serializer value -> the (inlined) schema of one result."""
        found: dict[str, dict[str, Any]] = {}
        for operation in self.operations.values():
            param = operation.param(SERIALIZER)
            if param is None:
                continue
            mapping = param.definition.get("x-serializer-schemas")
            if not isinstance(mapping, dict) or not mapping:
                raise self.spec.error(param.pointer, "the serializer parameter needs x-serializer-schemas "
                                                     "(serializer value -> schema $ref)")
            for value, ref in mapping.items():
                schema = self.spec.inline({"$ref": ref}, f"{param.pointer}/x-serializer-schemas/{value}")
                if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
                    raise self.spec.error(f"{param.pointer}/x-serializer-schemas/{value}",
                                          "must name an object schema with properties")
                found.setdefault(str(value), schema)
        return found

    def views(self) -> dict[str, dict[str, Any]]:
        """Every shape a backup is rendered in: each serializer, and the create and detail answers."""
        views = {f"serializer:{name}": schema for name, schema in self.serializers.items()}
        for role in (CREATE, DETAIL):
            for operation in self.by_role(role):
                schema = self.response_schema(operation, operation.success_status)
                if schema is not None:
                    views[f"{role}:{operation.operation_id}"] = schema
        return views

    def _record(self) -> tuple[RecordField, ...]:
        """A backup's fields: every property any view declares; required where any view requires it."""
        fields: dict[str, RecordField] = {}
        for view, schema in self.views().items():
            properties = schema.get("properties")
            if not isinstance(properties, dict):
                raise self.spec.error("#", f"the {view.replace(':', ' ')} schema must be an object with properties")
            required = set(schema.get("required") or ())
            for name, sub in properties.items():
                known = fields.get(name)
                is_required = name in required or bool(known and known.required)
                fields[name] = RecordField(name, known.schema if known else sub, is_required)
        if fields and (IDENTITY not in fields or ORDER not in fields):
            raise SpecError(f"{self.spec.source}: a backup's schemas must declare {IDENTITY!r} and {ORDER!r} "
                            "(identity and the documented order)")
        return tuple(fields.values())

    def _page(self) -> PageModel | None:
        lists = self.by_role(LIST)
        if not lists:
            return None
        operation = lists[0]
        schema = self.response_schema(operation, "200")
        if schema is None or not isinstance(schema.get("properties"), dict):
            raise self.spec.error(f"{operation.pointer}/responses/200", "a list operation needs a 200 answer whose "
                                                                      "schema is an object with properties")
        arrays = [name for name, sub in schema["properties"].items()
                  if isinstance(sub, dict) and sub.get("type") == "array"]
        if len(arrays) != 1:
            raise self.spec.error(f"{operation.pointer}/responses/200",
                                  f"a page needs exactly one array property (the results), found {arrays}")
        size = operation.param(PAGE_SIZE)
        default, maximum = 10, 10  # no page-size parameter: DRF's fixed page size
        if size is not None:
            found: list[int] = []
            for value, key in ((size.schema.get("default"), "schema/default"),
                               (size.definition.get("x-max-page-size"), "x-max-page-size")):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise self.spec.error(f"{size.pointer}/{key}", "the page-size parameter needs a whole number "
                                                                  "of at least 1 here")
                found.append(value)
            default, maximum = found
            if default > maximum:
                raise self.spec.error(f"{size.pointer}/schema/default", f"default {default} is above "
                                                                       f"x-max-page-size {maximum}")
        return PageModel(tuple(schema["properties"]), arrays[0], default, maximum, schema)


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token (RFC 9110): header names, keywords


def _form(name: str, scheme: Any) -> CredentialForm | None:
    """The credential form of a security scheme, or None for a kind the mock cannot check."""
    form = _scheme_form(name, scheme)
    if form is not None and form.kind != "query" and not _TOKEN.match(form.name):
        return None  # not something an HTTP header can carry
    return form


def _scheme_form(name: str, scheme: Any) -> CredentialForm | None:
    if not isinstance(scheme, dict):
        return None
    kind, where = scheme.get("type"), scheme.get("in")
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return CredentialForm(name, "keyword", "Bearer")
    if kind == "apiKey" and where == "header" and str(scheme.get("name", "")).lower() == "authorization":
        return CredentialForm(name, "keyword", str(scheme.get("x-token-keyword") or "Token"))
    if kind == "apiKey" and where == "header" and scheme.get("name"):
        return CredentialForm(name, "header", str(scheme["name"]))
    if kind == "apiKey" and where == "query" and scheme.get("name"):
        return CredentialForm(name, "query", str(scheme["name"]))
    return None
