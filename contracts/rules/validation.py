"""Judge one exchange (a request and its answer) by the spec: the single definition of each rule.

The kit's checks use it wherever they judge a single answer, and the mock server's validating
proxy (`--proxy URL`) uses it for every exchange flowing through it. Imports only PyYAML,
jsonschema_rs and the standard library (through contracts.spec).

API::

    from contracts.spec import Spec
    from contracts.rules import Request, Answer, validate

    spec = Spec.load(Path("openapi.yaml"))          # or Spec(document_dict)
    violations = validate(spec,
                          Request("GET", "/v1/organizations/backup/list/organization/X/list/",
                                  query="page=2", headers={"Authorization": "Token ..."}),
                          Answer(200, {"Content-Type": "application/json"}, body_bytes))
    for v in violations:
        print(v.rule, v.pointer, v.message, v.expected, v.received, v.side)

`Request.path` may carry a server prefix (any path of the spec's `servers`, e.g. `/v1`) or not;
`query` is the raw query string; header names are case-insensitive. Pass `answer=None` to judge
the request alone. Each `Violation` has:

- `rule`: a rule id of the inventory (`contracts.rules.inventory(spec)`), e.g.
  `listBackups.401.header.WWW-Authenticate`, `schema.Backup.database_size`, `listBackups.status`;
- `pointer`: a JSON pointer into the exchange seen as one document,
  `{"request": {"method", "path": {<path parameter>: ...}, "query": {...}}, "status", "headers":
  {<lower-case name>: ...}, "body": <the JSON body>}`, e.g. `/body/results/0/database_size`,
  `/headers/www-authenticate`, `/request/path/level`;
- `message` (one line), `expected` and `received` (short texts);
- `side`: `"request"` when the request strays from the spec (an undocumented path or method, a
  parameter outside its schema), `"answer"` when the answer does;
- `operation`: the operationId judged, or None when no operation matches.

What is judged: an undocumented path or method; path and query parameters against their
schemas; the status documented for the operation; the content type and the body against the
documented schema (results of a list against the schema of the serializer in the path, so a
violation names the field rather than a `oneOf`); documented headers (required ones present,
values per their schema); error texts among the documented examples (`messages=False` skips
this, as `--lenient-messages` does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from ..spec import response_messages, validator_for
from . import ids

if TYPE_CHECKING:
    from ..spec import Operation, Spec

MAX_SHOWN = 120
ALWAYS_ANSWERED = ("options", "head")  # HTTP answers these on any path: not judged as operations


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == lowered), None)


@dataclass(frozen=True)
class Violation:
    rule: str
    pointer: str
    message: str
    expected: str
    received: str
    side: str = "answer"
    operation: str | None = None


@dataclass(frozen=True)
class Route:
    """What a request path names: the operations of one path template, and its parameter values."""

    path: str
    operations: tuple[Operation, ...]
    values: dict[str, str]

    def operation(self, method: str) -> Operation | None:
        wanted = "get" if method.lower() == "head" else method.lower()
        return next((operation for operation in self.operations if operation.method == wanted), None)


def show(value: Any) -> str:
    """A value as a short one-line text."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split()) if isinstance(value, str) else text
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."


def route(spec: Spec, path: str) -> Route | None:
    """The documented path `path` names (with or without a server prefix), or None."""
    path = path.split("?", 1)[0]
    candidates = [path]
    for prefix in sorted(spec.prefixes, key=len, reverse=True):
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            candidates.insert(0, path[len(prefix):] or "/")
    for candidate in candidates:
        best: Route | None = None
        for template, pattern in _patterns(spec):
            match = pattern.fullmatch(candidate)
            if match is None:
                continue
            values = {name: unquote(value) for name, value in match.groupdict().items()}
            if best is None or len(values) < len(best.values):
                operations = tuple(op for op in spec.operations if op.path == template)
                best = Route(template, operations, values)
        if best is not None:
            return best
    return None


def _patterns(spec: Spec) -> list[tuple[str, re.Pattern[str]]]:
    def build() -> list[tuple[str, re.Pattern[str]]]:
        found = []
        for template in dict.fromkeys(operation.path for operation in spec.operations):
            parts = re.split(r"\{([^{}]+)\}", template)
            regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
                            for index, part in enumerate(parts))
            found.append((template, re.compile(regex)))
        return found

    return list(spec.cached("routes", build))


def validate(spec: Spec | Mapping[str, Any], request: Request, answer: Answer | None = None, *,
             messages: bool = True) -> list[Violation]:
    """Every violation of the spec in this exchange (an empty list when it conforms)."""
    from ..spec import Spec as SpecClass

    loaded = spec if isinstance(spec, SpecClass) else SpecClass(dict(spec))
    found = route(loaded, request.path)
    if found is None:
        return [Violation("request.path", "/request/path", f"no documented path matches {request.path}",
                          "one of " + ", ".join(dict.fromkeys(op.path for op in loaded.operations)),
                          request.path, "request")]
    operation = found.operation(request.method)
    if operation is None:
        return _undocumented_method(found, request, answer)
    violations = _request(loaded, operation, found, request)
    if answer is not None:
        violations += _answer(loaded, operation, found, answer, messages)
    return violations


def _undocumented_method(found: Route, request: Request, answer: Answer | None) -> list[Violation]:
    documented = sorted(operation.method.upper() for operation in found.operations)
    first = found.operations[0].operation_id
    if request.method.lower() in ALWAYS_ANSWERED:
        return []
    rule = ids.behaviour(first, "methods")
    violations = [Violation(rule, "/request/method", f"{request.method.upper()} is not documented for {found.path}",
                            ", ".join(documented), request.method.upper(), "request", None)]
    if answer is not None and 200 <= answer.status < 300:
        violations.append(Violation(rule, "/status", f"an undocumented method was accepted with {answer.status}",
                                    "405 with an Allow header", str(answer.status)))
    elif answer is not None and answer.status == 405 and answer.header("allow") is None:
        violations.append(Violation(rule, "/headers/allow", "405 without an Allow header",
                                    f"Allow: {', '.join(documented)}", "no Allow header"))
    return violations


# -- the request --------------------------------------------------------------------------
def _request(spec: Spec, operation: Operation, found: Route, request: Request) -> list[Violation]:
    violations = []
    query = dict(parse_qsl(request.query, keep_blank_values=True))
    for parameter in operation.parameters:
        key = parameter.role or parameter.name
        if parameter.location == "path":
            value: str | None = found.values.get(parameter.name)
        elif parameter.location == "query":
            value = query.get(parameter.name)
        else:
            continue
        rule = ids.param(operation.operation_id, key)
        where = f"/request/{parameter.location}/{parameter.name}"
        if value is None:
            if parameter.required:
                violations.append(Violation(rule, where, f"required {parameter.location} parameter "
                                            f"{parameter.name} is missing", "a value", "nothing", "request",
                                            operation.operation_id))
            continue
        if not _accepts(spec, f"{parameter.pointer}/schema", parameter.schema, value):
            violations.append(Violation(rule, where, f"{parameter.name}={value!r} is outside its schema",
                                        _constraint(parameter.schema), show(value), "request",
                                        operation.operation_id))
    return violations


def _accepts(spec: Spec, key: str, schema: dict[str, Any], raw: str) -> bool:
    """Whether a parameter's text value is valid, read as text or as the number it spells."""
    validator = spec.validator_for_node(key, schema)
    if validator.is_valid(raw):
        return True
    for convert in (int, float):
        try:
            if validator.is_valid(convert(raw)):
                return True
        except ValueError:
            continue
    return raw in ("true", "false") and bool(validator.is_valid(raw == "true"))


def _constraint(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return show(schema["const"])
    parts = []
    for branch in schema.get("anyOf", [schema]):
        bits = [str(branch.get("type", ""))]
        for key in ("enum", "pattern", "minimum", "maximum", "minLength", "maxLength"):
            if key in branch:
                bits.append(f"{key} {branch[key]}")
        parts.append(" ".join(bit for bit in bits if bit))
    return " or ".join(part for part in parts if part) or "per its schema"


# -- the answer ---------------------------------------------------------------------------
def _answer(spec: Spec, operation: Operation, found: Route, answer: Answer, messages: bool) -> list[Violation]:
    op = operation.operation_id
    documented = sorted(operation.statuses())
    response = operation.response(answer.status)
    if response is None:
        return [Violation(ids.status(op), "/status", f"{answer.status} is not documented for {operation.label}",
                          ", ".join(map(str, documented)), str(answer.status), "answer", op)]
    violations = _headers(spec, operation, answer)
    content = response.get("content") or {}
    if not content:
        return violations
    media = (answer.header("content-type") or "").split(";")[0].strip().lower()
    if media not in content:
        violations.append(Violation(ids.response(op, answer.status), "/headers/content-type",
                                    f"content type {media or 'missing'} is not documented for {answer.status}",
                                    ", ".join(content), media or "none", "answer", op))
        return violations
    if "json" not in media:
        return violations
    try:
        body = json.loads(answer.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        violations.append(Violation(ids.response(op, answer.status), "/body", "the body is not JSON",
                                    f"JSON ({media})", show(answer.body.decode("utf-8", "replace")), "answer", op))
        return violations
    violations += _body(spec, operation, found, answer.status, media, body)
    if messages:
        violations += _message(operation, answer.status, response, body)
    return violations


def _headers(spec: Spec, operation: Operation, answer: Answer) -> list[Violation]:
    violations = []
    for name, header in spec.response_headers(operation, answer.status).items():
        spelled = _original(operation, answer.status, name)
        rule = ids.header(operation.operation_id, answer.status, spelled)
        value = answer.header(name)
        if value is None:
            if header.get("required"):
                violations.append(Violation(rule, f"/headers/{name}", f"{answer.status} without {spelled}",
                                            _constraint(header.get("schema", {})), "no such header", "answer",
                                            operation.operation_id))
            continue
        schema = header.get("schema") or {}
        key = f"{operation.pointer}/responses/{answer.status}/headers/{name}"
        if schema and not spec.validator_for_node(key, schema).is_valid(value):
            violations.append(Violation(rule, f"/headers/{name}", f"{spelled}: {value!r} is outside its schema",
                                        _constraint(schema),
                                        show(value), "answer", operation.operation_id))
    return violations


def _original(operation: Operation, status: int, lowered: str) -> str:
    """A header's name as the spec spells it (rule ids use it)."""
    for name in (operation.response(status) or {}).get("headers") or {}:
        if str(name).lower() == lowered:
            return str(name)
    return lowered


def _message(operation: Operation, status: int, response: dict[str, Any], body: Any) -> list[Violation]:
    documented = [text for text, _ in response_messages(response)]
    if not documented or not isinstance(body, dict) or not isinstance(body.get("detail"), str):
        return []
    if body["detail"] in documented:
        return []
    return [Violation(ids.message(operation.operation_id, status), "/body/detail",
                      f"{status} says {show(body['detail'])!r}, not a documented text",
                      " | ".join(documented), show(body["detail"]), "answer", operation.operation_id)]


def _body(spec: Spec, operation: Operation, found: Route, status: int, media: str, body: Any) -> list[Violation]:
    name, raw = spec.answer_schema(operation, status, media)
    if raw is None:
        return []
    op = operation.operation_id
    key = f"{operation.pointer}/responses/{status}/content/{media}"
    validator = spec.cached(f"validator:{key}", lambda: validator_for(spec.resolve(raw)))  # resolved once
    serializer = _serializer(spec, operation, found)
    per_result = serializer is not None and isinstance(body, dict) and isinstance(body.get("results"), list)
    fallback = ids.schema(name) if name else ids.response(op, status)
    violations = []
    for error in validator.iter_errors(body):
        path = list(error.instance_path)
        if per_result and len(path) >= 2 and path[0] == "results":
            continue  # judged below against the serializer's own schema
        violations.append(_violation(error, name, fallback, "/body", op))
    if per_result and serializer is not None:
        ref = spec.serializers[serializer]
        schema = spec.schema_at(ref)  # once a page, not once a result
        object_rule = ids.param(op, "serializer", serializer)
        for index, item in enumerate(body["results"]):
            where = f"/body/results/{index}"
            violations += schema_violations(spec, ref, item, object_rule=object_rule, pointer=where, operation=op)
            violations += _undeclared(spec, ref, schema, item, object_rule, where, op)
    return violations


def _undeclared(spec: Spec, ref: str, schema: dict[str, Any], item: Any, rule: str, pointer: str,
                operation: str) -> list[Violation]:
    """A serializer returns only what its schema (at `ref`) declares (required ⊆ returned ⊆ declared), even
    where the schema does not say `additionalProperties: false` (where it does, the schema's own error says it)."""
    if not isinstance(item, dict) or schema.get("additionalProperties") is False:
        return []
    declared = schema.get("properties", {})
    extra = sorted(set(item) - set(declared))
    if not extra:
        return []
    return [Violation(rule, pointer, f"{pointer.removeprefix('/body/')}: {', '.join(extra)} not declared by "
                      f"{spec.schema_name(ref)}", "only " + ", ".join(declared),
                      "also " + ", ".join(extra), "answer", operation)]


def schema_violations(spec: Spec, ref: str, value: Any, *, object_rule: str | None = None, pointer: str = "",
                      operation: str | None = None) -> list[Violation]:
    """`value` judged by the named schema at `ref`: one violation per error, naming the field.

    A wrong value breaks the property's rule (`schema.Backup.name`); a missing or extra key breaks
    `object_rule` when given (a serializer's field set), else the schema's own rule.
    """
    name = spec.schema_name(ref)
    return [_violation(error, name, object_rule or ids.schema(name), pointer, operation)
            for error in spec.validator_at(ref).iter_errors(value)]


def _serializer(spec: Spec, operation: Operation, found: Route) -> str | None:
    parameter = operation.param("serializer")
    if parameter is None or operation.role != "list":
        return None
    value = found.values.get(parameter.name)
    return value if value in spec.serializers else None


def _violation(error: Any, name: str | None, object_rule: str, pointer: str, operation: str | None) -> Violation:
    """One JSON Schema error as a violation naming the field, what was expected and what came."""
    kind = type(error.kind).__name__
    details = error.kind.as_dict() if hasattr(error.kind, "as_dict") else {}
    path = list(error.instance_path)
    field_name = str(details.get("property")) if kind == "Required" else (str(path[0]) if path else None)
    if name is None or field_name is None or kind in ("Required", "AdditionalProperties"):
        rule = object_rule
    else:
        rule = ids.schema(name, field_name)
    if kind == "Required":
        path.append(field_name)
    where = pointer + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)
    received = show(error.instance)
    if kind == "Required":
        received = "missing"
    elif kind == "AdditionalProperties":
        received = "also " + ", ".join(map(str, details.get("unexpected", [])))
    shown = where.removeprefix("/body").lstrip("/") or "the body"
    return Violation(rule, where or "/", f"{shown}: {_first_line(error.message)}", _expected(kind, details, error),
                     received, "answer", operation)


def _expected(kind: str, details: dict[str, Any], error: Any) -> str:
    simple: dict[str, Callable[[], str]] = {
        "Type": lambda: f"type {details.get('types')}", "Pattern": lambda: f"matching {details.get('pattern')}",
        "Format": lambda: f"format {details.get('format')}", "Required": lambda: "present",
        "AdditionalProperties": lambda: "only the declared properties",
        "Enum": lambda: f"one of {details.get('options')}", "Constant": lambda: f"{details.get('expected_value')!r}",
        "Minimum": lambda: f">= {details.get('limit')}", "Maximum": lambda: f"<= {details.get('limit')}",
        "MinLength": lambda: f"at least {details.get('limit')} characters",
        "MaxLength": lambda: f"at most {details.get('limit')} characters"}
    if kind in simple:
        return simple[kind]()
    if kind in ("OneOfNotValid", "AnyOf"):
        branches: list[list[Any]] = list(getattr(error.kind, "context", None) or [])
        best: list[Any] = min(branches, key=len, default=[])
        if best:
            return "; ".join(_first_line(item.message) for item in best[:3]) + " (closest alternative)"
    return _first_line(error.message)


def _first_line(text: str) -> str:
    line = str(text).splitlines()[0] if text else ""
    return line if len(line) <= 2 * MAX_SHOWN else line[:2 * MAX_SHOWN - 3] + "..."
