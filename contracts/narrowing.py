"""The spec as schemathesis should see it for this deployment: values the caller really may use.

The published spec admits any well-formed organization sid and any backup sid, but for the
caller only its own organization and that organization's backups exist; every other value
is correctly refused with the documented 406. Generating "valid" data from the published
spec would therefore make a correct server look wrong (schemathesis' ST202). This module
pins the parameters with x-role `organization` and `backup`, in every operation, to the real
values (positive generation draws from them and negative generation from everything else) and
replaces their examples, in a copy: the published spec is not touched. It also lets a page's
results be any serializer's (the kit judges them by the serializer in the path). See `describe()`
for the exact changes, which the report shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .spec import Spec, pointer_to

MAX_SIDS = 50


def narrow(spec: Spec, org_sid: str, backup_sids: Sequence[str]) -> dict[str, Any]:
    document = spec.copy_document()
    _any_serializer(spec, document)
    for operation in spec.operations:
        for parameter in operation.parameters:
            if parameter.role == "organization":
                _pin(document, operation.path, operation.method, parameter.name, [org_sid])
            elif parameter.role == "backup" and backup_sids:
                _pin(document, operation.path, operation.method, parameter.name, list(backup_sids[:MAX_SIDS]))
            elif parameter.role == "backup":
                # No backup to name: keep the documented shape, drop the examples (they name nothing here).
                schema = {key: value for key, value in parameter.schema.items() if key != "examples"}
                _replace(document, operation.path, operation.method, parameter.name, schema, None)
    return document


def describe(spec: Spec, org_sid: str, backup_sids: Sequence[str]) -> list[str]:
    organization = sorted({p.name for op in spec.operations for p in op.parameters if p.role == "organization"})
    lines = [f"organization path parameter ({', '.join(organization)}) limited to the given organization ({org_sid})",
             "a page's results: any serializer's schema (the kit's own checks judge them by the serializer)"]
    if any(p.role == "backup" for op in spec.operations for p in op.parameters):
        if backup_sids:
            lines.append(f"backup path parameter limited to {min(len(backup_sids), MAX_SIDS)} sid(s) the list shows")
        else:
            lines.append("the organization lists no backups: the detail operation gets negative data only")
    return lines


def _any_serializer(spec: Spec, document: dict[str, Any]) -> None:
    """A list page's results admit any serializer's schema (anyOf), whatever the spec's `results.items` says.

    Schemathesis judges a page without knowing the serializer in its path; the kit's own validation
    (contracts.rules) judges each result by that serializer, field by field. So a serializer added to
    the spec without being added to the page schema's `oneOf`, or two serializers whose schemas
    overlap, make no false alarm here and are still judged exactly.
    """
    name = spec.page_schema_name
    page = document.get("components", {}).get("schemas", {}).get(name or "")
    results = page.get("properties", {}).get("results") if isinstance(page, dict) else None
    if isinstance(results, dict) and isinstance(results.get("items"), dict):
        refs = list(dict.fromkeys(spec.serializers.values()))
        results["items"] = {"anyOf": [{"$ref": ref} for ref in refs]}


def _pin(document: dict[str, Any], path: str, method: str, name: str, values: list[str]) -> None:
    """Replace path parameter `name` with an enum of `values`, the first one as its example."""
    _replace(document, path, method, name, {"type": "string", "enum": values}, values[0])


def _replace(document: dict[str, Any], path: str, method: str, name: str, schema: dict[str, Any],
             example: str | None) -> None:
    """Give path parameter `name` (path or operation level, $ref or inline) a new schema and example, in place
    in the operation (a parameter shared with other operations is overridden there, not changed)."""
    item = document["paths"][path]
    operation = item.get(method, {})
    for container in (operation.get("parameters", []), item.get("parameters", [])):
        for parameter in container:
            resolved = _deref(document, parameter)
            if resolved.get("in") == "path" and resolved.get("name") == name:
                pinned = {key: value for key, value in resolved.items() if key not in ("schema", "examples", "example")}
                pinned["schema"] = schema
                if example is not None:
                    pinned["examples"] = {"real": {"value": example}}
                own = [p for p in operation.setdefault("parameters", [])
                       if not (_deref(document, p).get("in") == "path" and _deref(document, p).get("name") == name)]
                operation["parameters"] = [*own, pinned]
                return
    raise KeyError(pointer_to("paths", path, method, "parameters", name))


def _deref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node
