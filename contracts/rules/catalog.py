"""The rule inventory: every rule openapi.yaml states, derived from the document itself.

Statuses, messages and headers come from each operation's responses; parameter behaviour
from each parameter's role, schema (`default`, `enum`, `minimum`, an open string branch) and
`x-max-page-size`; field rules from every property of every schema an answer uses; access
rules from `security` and `x-allowed-roles` for every caller and organization; behaviours the
roles imply (list order, detail read-back, the effect of a create) from the roled operations'
descriptions. Each rule carries the JSON pointer of the statement it comes from, so a change
to the spec changes the inventory with no change to the kit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..spec import ROLE_MESSAGES, credential_form, response_messages
from . import ids

if TYPE_CHECKING:
    from ..spec import Operation, Parameter, Spec

MAX_TEXT = 160


@dataclass(frozen=True)
class Rule:
    rule_id: str
    text: str
    source: str  # JSON pointer of the statement in the spec
    kind: str  # status, message, header, access, security, parameter, field, behaviour, link


def inventory(spec: Spec) -> list[Rule]:
    """Every rule, in the spec's order (operations, then schemas)."""
    rules: list[Rule] = []
    for operation in spec.operations:
        rules += _responses(spec, operation)
        rules += _security(spec, operation)
        rules += _access(spec, operation)
        rules += _parameters(spec, operation)
        rules += _behaviours(spec, operation)
    rules += _methods(spec)
    rules += _schemas(spec)
    unique: dict[str, Rule] = {}
    for rule in rules:
        unique.setdefault(rule.rule_id, rule)
    return list(unique.values())


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."


def _responses(spec: Spec, operation: Operation) -> list[Rule]:
    op = operation.operation_id
    where = operation.pointer + "/responses"
    codes = sorted(operation.statuses())
    rules = [Rule(ids.status(op), f"{operation.label} answers only {', '.join(map(str, codes))}", where, "status")]
    for code in codes:
        response = operation.response(code) or {}
        media = ", ".join(response.get("content") or {}) or "no body"
        name, _ = spec.answer_schema(operation, code, next(iter(response.get("content") or {"": 0})))
        shape = f" ({name})" if name else ""
        rules.append(Rule(ids.response(op, code), f"{code}: {_short(response.get('description', ''))} "
                          f"[{media}{shape}]", f"{where}/{code}", "status"))
        messages = response_messages(response)
        if messages:
            rules.append(Rule(ids.message(op, code), f"{code} messages are among the {len(messages)} documented",
                              f"{where}/{code}", "message"))
        for text, example in messages:
            rules.append(Rule(ids.message(op, code, example), f"{code} says {text!r} in its situation",
                              f"{where}/{code}", "message"))
        for header, definition in (response.get("headers") or {}).items():
            schema = definition.get("schema", {})
            value = schema.get("const") or schema.get("enum") or schema.get("pattern") or "present"
            required = "required" if definition.get("required") else "optional"
            rules.append(Rule(ids.header(op, code, header), f"{code} carries {header}: {value} ({required})",
                              f"{where}/{code}/headers/{header}", "header"))
    return rules


def _security(spec: Spec, operation: Operation) -> list[Rule]:
    rules = []
    schemes = spec.document.get("components", {}).get("securitySchemes", {})
    for requirement in operation.definition.get("security", spec.document.get("security", [])) or []:
        for name in requirement:
            form = credential_form(name, spec.resolve(schemes.get(name, {})))
            shown = form.name if form else f"scheme {name} (not presentable by the kit)"
            rules.append(Rule(ids.security(operation.operation_id, name), f"a valid token as {shown} is accepted",
                              f"#/components/securitySchemes/{name}", "security"))
    return rules


def _secured(spec: Spec, operation: Operation) -> bool:
    return bool(operation.definition.get("security", spec.document.get("security")))


# Who may call an operation on which organization: (caller, organization) -> (status, example name).
# None as status means a documented success. Callers are the tokens the kit can present: an Admin
# (a role in x-allowed-roles) of --org-sid, a member of it with another role, the Admin of a second
# organization, no credentials, a token nobody was issued. For the detail operation the organization
# is the backup's.
ACCESS: dict[tuple[str, str], tuple[int | None, str]] = {
    ("admin", "own"): (None, ""),
    ("admin", "foreign"): (406, "wrongId"),
    ("admin", "unknown"): (406, "wrongId"),
    ("member", "own"): (403, "permissionDenied"),
    ("member", "foreign"): (406, "wrongId"),
    ("member", "unknown"): (406, "wrongId"),
    ("foreign-admin", "own"): (406, "wrongId"),
    ("foreign-admin", "unknown"): (406, "wrongId"),
    **{("anonymous", org): (401, "notAuthenticated") for org in ids.ORGANIZATIONS},
    **{("unknown-token", org): (401, "invalidToken") for org in ids.ORGANIZATIONS},
}
CALLER_TEXT = {
    "admin": "a member with a role in [{allowed}]", "member": "a member whose role is not in [{allowed}]",
    "foreign-admin": "the Admin of another organization", "anonymous": "no credentials",
    "unknown-token": "a token nobody was issued",
}
ORGANIZATION_TEXT = {"own": "its {scope}", "foreign": "another organization's {thing}",
                     "unknown": "a {thing} that does not exist"}


def _access(spec: Spec, operation: Operation) -> list[Rule]:
    """Who may call the operation on which organization: every combination the kit can present."""
    op = operation.operation_id
    if not _secured(spec, operation):
        return []
    if operation.role is None or not operation.allowed_roles:
        return [Rule(ids.access(op, caller), f"{CALLER_TEXT[caller]}: 401 {spec.messages.get(example, '')!r}",
                     operation.pointer + "/security", "access")
                for caller, example in (("anonymous", "notAuthenticated"), ("unknown-token", "invalidToken"))]
    allowed = ", ".join(operation.allowed_roles)
    detail = operation.role == "detail"
    scope, thing = ("backup", "backup") if detail else ("organization", "organization")
    success = "/".join(map(str, sorted(operation.success_statuses())))
    rules = []
    for (caller, org), (status, example) in ACCESS.items():
        outcome = success if status is None else f"{status} {spec.messages.get(example, example)!r}"
        who = CALLER_TEXT[caller].format(allowed=allowed)
        where = ORGANIZATION_TEXT[org].format(scope=scope, thing=thing)
        rules.append(Rule(ids.access(op, caller, org), f"{who}, on {where}: {outcome}",
                          operation.pointer + ("/x-allowed-roles" if caller in ("admin", "member") else "/security"),
                          "access"))
    return rules


def _parameters(spec: Spec, operation: Operation) -> list[Rule]:
    rules = []
    for parameter in operation.parameters:
        rules += _parameter(spec, operation, parameter)
    return rules


def _parameter(spec: Spec, operation: Operation, parameter: Parameter) -> list[Rule]:
    op, role, schema, where = operation.operation_id, parameter.role, parameter.schema, parameter.pointer
    key = role or parameter.name
    if role in ("level", "organization", "backup"):
        text = spec.messages.get(ROLE_MESSAGES[role], "406")
        accepted = f"values {schema['enum']}" if "enum" in schema else "existing values"
        return [Rule(ids.param(op, key), f"{parameter.name} ({role}): {accepted} accepted, anything else 406 "
                     f"{text!r}", where, "parameter")]
    if role == "serializer":
        text = spec.messages.get("wrongSerializer", "406")
        rules = [Rule(ids.param(op, key), f"{parameter.name}: values {list(spec.serializers)}, anything else "
                      f"406 {text!r}", where, "parameter")]
        for value, ref in spec.serializers.items():
            target = spec.schema_at(ref)
            required, declared = target.get("required", []), list(target.get("properties", {}))
            if operation.role == "create":
                text = f"a create through {parameter.name}={value} answers the documented success schema"
            else:
                text = (f"{parameter.name}={value}: each result has required {required} and only {declared} "
                        f"({spec.schema_name(ref)})")
            rules.append(Rule(ids.param(op, key, value), text, f"{where}/x-serializer-schemas/{value}",
                              "parameter"))
        return rules
    if role == "page":
        rules = [Rule(ids.param(op, key, "default"), f"no {parameter.name}: page {schema.get('default')}", where,
                      "parameter")]
        for branch in schema.get("anyOf", [schema]):
            for value in branch.get("enum", []):
                aspect = "empty" if value == "" else str(value)
                meaning = f"page {schema.get('default')}" if value == "" else "the last page"
                rules.append(Rule(ids.param(op, key, aspect), f"{parameter.name}={value!r}: {meaning}", where,
                                  "parameter"))
            if "minimum" in branch:
                rules.append(Rule(ids.param(op, key, "invalid"), f"{parameter.name} below {branch['minimum']} or "
                                  f"not a number: 404 {spec.messages.get('invalidPage', '')!r}", where, "parameter"))
        rules.append(Rule(ids.param(op, key, "past-end"), f"{parameter.name} past the last page: 404 "
                          f"{spec.messages.get('invalidPage', '')!r}", where, "parameter"))
        return rules
    if role == "page-size":
        cap = parameter.definition.get("x-max-page-size")
        return [
            Rule(ids.param(op, key, "default"), f"no {parameter.name}: {schema.get('default')} per page", where,
                 "parameter"),
            Rule(ids.param(op, key, "honoured"), f"{parameter.name} from 1 to {cap}: that many per page", where,
                 "parameter"),
            Rule(ids.param(op, key, "cap"), f"{parameter.name} above {cap}: {cap} per page",
                 where + "/x-max-page-size", "parameter"),
            Rule(ids.param(op, key, "fallback"), f"{parameter.name} zero, negative, empty or not a number: "
                 f"{schema.get('default')} per page", where, "parameter"),
        ]
    return [Rule(ids.param(op, key), f"{parameter.name} ({parameter.location}): values per its schema accepted, "
                 "others refused", where, "parameter")]


def _behaviours(spec: Spec, operation: Operation) -> list[Rule]:
    op, role, description = operation.operation_id, operation.role, operation.definition.get("description", "")
    rules = []
    if role == "list":
        rules.append(Rule(ids.behaviour(op, "order"), f"order: {_short(description.splitlines()[0])}",
                          operation.pointer + "/description", "behaviour"))
        stated = next((line for line in description.split("\n\n") if "in this order" in line), None)
        if stated:
            rules.append(Rule(ids.behaviour(op, "precedence"), _short(stated), operation.pointer + "/description",
                              "behaviour"))
    if role == "detail" and spec.by_role("list"):
        rules.append(Rule(ids.behaviour(op, "read-back"), "every listed backup reads back identically",
                          operation.pointer, "behaviour"))
    if role == "create":
        rules.append(Rule(ids.behaviour(op, "effect"), "a create changes every page of the list: first, count+1, "
                          "each page shifted by one", operation.pointer + "/description", "behaviour"))
        body = operation.definition.get("requestBody") or {}
        if body:
            rules.append(Rule(ids.behaviour(op, "body"), f"request body: {_short(body.get('description', ''))} "
                              f"({', '.join(body.get('content') or {})})", operation.pointer + "/requestBody",
                              "behaviour"))
    for code in sorted(operation.statuses()):
        for name in (operation.response(code) or {}).get("links") or {}:
            rules.append(Rule(ids.link(op, name), f"{code} link {name} leads to what was created",
                              f"{operation.pointer}/responses/{code}/links/{name}", "link"))
    return rules


def _methods(spec: Spec) -> list[Rule]:
    rules = []
    by_path: dict[str, list[Operation]] = {}
    for operation in spec.operations:
        by_path.setdefault(operation.path, []).append(operation)
    for path, operations in by_path.items():
        methods = ", ".join(operation.method.upper() for operation in operations)
        first = operations[0]
        rules.append(Rule(ids.behaviour(first.operation_id, "methods"), f"{path}: methods other than {methods} are "
                          "refused (405 with Allow)", f"#/paths/{path.replace('/', '~1')}", "behaviour"))
    return rules


def _schemas(spec: Spec) -> list[Rule]:
    """A rule per property of every named schema an answer uses (directly or through a serializer)."""
    names: list[str] = []
    for operation in spec.operations:
        for code in sorted(operation.statuses()):
            for media in (operation.response(code) or {}).get("content") or {}:
                name, _ = spec.answer_schema(operation, code, media)
                if name and name not in names:
                    names.append(name)
    for ref in spec.serializers.values():
        name = spec.schema_name(ref)
        if name not in names:
            names.append(name)
    rules = []
    for name in names:
        schema = spec.schema(name)
        where = f"#/components/schemas/{name}"
        rules.append(Rule(ids.schema(name), f"{name}: required {schema.get('required', [])}"
                          + (", no other properties" if schema.get("additionalProperties") is False else ""),
                          where, "field"))
        for prop, definition in (schema.get("properties") or {}).items():
            rules.append(Rule(ids.schema(name, prop), f"{name}.{prop}: {_describe(definition)}",
                              f"{where}/properties/{prop}", "field"))
    return rules


def _describe(schema: dict[str, Any]) -> str:
    parts = []
    kind = schema.get("type")
    if kind:
        parts.append(" or ".join(kind) if isinstance(kind, list) else str(kind))
    for key in ("format", "pattern", "minimum", "maximum", "const", "enum"):
        if key in schema:
            parts.append(f"{key} {schema[key]}")
    if "oneOf" in schema.get("items", {}):
        parts.append("items as their serializer's schema")
    if schema.get("description"):
        parts.append(_short(schema["description"]))
    return "; ".join(parts) or "any value"
