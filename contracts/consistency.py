"""The spec is checked once, when it is loaded: a spec the kit cannot follow is refused.

Each problem is one line naming the file and the JSON pointer (`openapi.yaml#/components/...`),
raised as SpecError (the CLI exits 2). What is checked is what the kit relies on: known
`x-role` values, one operation per role, the parameters each role needs, the serializer enum
against `x-serializer-schemas`, the page-size default and cap, resolvable references.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import SpecError
from .spec import OPERATION_ROLES, PARAMETER_ROLES

if TYPE_CHECKING:
    from .spec import Operation, Parameter, Spec

# Path parameters each operation role needs to be called at all.
NEEDED = {"list": ("level", "organization", "serializer"), "create": ("level", "organization", "serializer"),
          "detail": ("backup",)}


def check_spec(spec: Spec) -> None:
    """Raise SpecError for the first problem found."""
    operations = spec.operations  # resolves every operation: unknown $refs surface here
    seen: dict[str, Operation] = {}
    for operation in operations:
        _check_operation(spec, operation, seen)
    if "list" not in seen:
        raise SpecError(f"{spec.where('#/paths')}: no operation has x-role 'list' (the kit starts from the list)")
    _check_serializers(spec, seen["list"].needs("serializer"))
    _check_page_size(spec, seen["list"].needs("page-size"))
    page = seen["list"].param("page")
    if page is not None and "default" not in page.schema:
        raise SpecError(f"{spec.where(page.pointer)}/schema: the page parameter declares no `default`")
    if not spec.credential_forms:
        raise SpecError(f"{spec.where('#/components/securitySchemes')}: no security scheme the kit can present "
                        "(an apiKey header, or http bearer)")


def _check_operation(spec: Spec, operation: Operation, seen: dict[str, Operation]) -> None:
    role = operation.role
    if role is not None:
        if role not in OPERATION_ROLES:
            raise SpecError(f"{spec.where(operation.pointer)}/x-role: unknown role {role!r} "
                            f"(known: {', '.join(OPERATION_ROLES)})")
        if role in seen:
            raise SpecError(f"{spec.where(operation.pointer)}/x-role: {role!r} is also the role of "
                            f"{seen[role].operation_id}")
        seen[role] = operation
        for needed in NEEDED[role]:
            if operation.param(needed) is None:
                _missing(spec, operation, needed)
    allowed = operation.definition.get("x-allowed-roles")
    if allowed is not None and (not isinstance(allowed, list) or not all(isinstance(x, str) for x in allowed)):
        raise SpecError(f"{spec.where(operation.pointer)}/x-allowed-roles: expected a list of role names")
    roles: dict[str, Parameter] = {}
    for parameter in operation.parameters:
        if parameter.role is None:
            continue
        if parameter.role not in PARAMETER_ROLES:
            raise SpecError(f"{spec.where(parameter.pointer)}/x-role: unknown role {parameter.role!r} "
                            f"(known: {', '.join(PARAMETER_ROLES)})")
        if parameter.role in roles:
            raise SpecError(f"{spec.where(parameter.pointer)}/x-role: {operation.operation_id} has two "
                            f"parameters with role {parameter.role!r}")
        roles[parameter.role] = parameter
        if parameter.location == "path" and "{" + parameter.name + "}" not in operation.path:
            raise SpecError(f"{spec.where(parameter.pointer)}/name: path parameter {parameter.name!r} does not "
                            f"appear in {operation.path}")


def _missing(spec: Spec, operation: Operation, role: str) -> None:
    raise SpecError(f"{spec.where(operation.pointer)}: operation {operation.operation_id} (x-role "
                    f"{operation.role!r}) has no parameter with x-role {role!r}")


def _check_serializers(spec: Spec, parameter: Parameter) -> None:
    where = spec.where(parameter.pointer)
    mapping: Any = parameter.definition.get("x-serializer-schemas")
    if not isinstance(mapping, dict) or not mapping:
        raise SpecError(f"{where}/x-serializer-schemas: missing or empty (serializer value -> schema)")
    enum = [str(value) for value in parameter.schema.get("enum", [])]
    only_enum = sorted(set(enum) - set(map(str, mapping)))
    only_mapping = sorted(set(map(str, mapping)) - set(enum))
    if only_enum or only_mapping:
        detail = "; ".join(part for part in (f"only in enum: {', '.join(only_enum)}" if only_enum else "",
                                             f"only in x-serializer-schemas: {', '.join(only_mapping)}"
                                             if only_mapping else "") if part)
        raise SpecError(f"{where}: the serializer enum and x-serializer-schemas differ ({detail})")
    for value, ref in mapping.items():
        if not isinstance(ref, str):
            raise SpecError(f"{where}/x-serializer-schemas/{value}: expected a reference string")
        schema = spec.schema_at(ref)
        if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
            raise SpecError(f"{spec.where(ref)}: the schema of serializer {value!r} is not an object with properties")
        missing = sorted(set(schema.get("required", [])) - set(schema["properties"]))
        if missing:
            raise SpecError(f"{spec.where(ref)}/required: {', '.join(missing)} required but not declared")


def _check_page_size(spec: Spec, parameter: Parameter) -> None:
    where = spec.where(parameter.pointer)
    default, cap = parameter.schema.get("default"), parameter.definition.get("x-max-page-size")
    if not isinstance(default, int) or isinstance(default, bool) or default < 1:
        raise SpecError(f"{where}/schema/default: the page-size parameter needs an integer default of 1 or more"
                        f" (got {default!r})")
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < default:
        raise SpecError(f"{where}/x-max-page-size: the page-size parameter needs an integer cap at least its "
                        f"default {default} (got {cap!r})")
