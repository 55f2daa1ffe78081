"""The spec as schemathesis should see it for this deployment: values the caller really may use.

The published spec admits any well-formed organization sid and any backup sid, but for the
caller only its own organization and that organization's backups exist; every other value
is correctly refused with the documented 406. Generating "valid" data from the published
spec would therefore make a correct server look wrong (schemathesis' ST202). This module
pins those path parameters to the real values (positive generation draws from them and
negative generation from everything else) and replaces their examples, in a copy: the
published spec is not touched. See `describe()` for the exact changes, which the report shows.
"""

from __future__ import annotations

from typing import Any, Sequence

from .spec import Spec

MAX_SIDS = 50


def narrow(spec: Spec, org_sid: str, backup_sids: Sequence[str]) -> dict[str, Any]:
    document = spec.copy_document()
    for operation_id in ("listBackups", "createBackup"):
        operation = spec.operation(operation_id)
        _pin(document, operation.path, operation.method, "sid", [org_sid])
    detail = spec.operation("getBackup")
    if backup_sids:
        _pin(document, detail.path, detail.method, "sid", list(backup_sids[:MAX_SIDS]))
    else:
        # No backup to name: keep the documented shape, drop the examples (they name nothing here).
        sid_schema = {key: value for key, value in spec.schema("Sid").items() if key != "examples"}
        _replace(document, detail.path, detail.method, "sid", sid_schema, None)
    return document


def describe(org_sid: str, backup_sids: Sequence[str]) -> list[str]:
    lines = [f"organization `sid` path parameter limited to the given organization ({org_sid})"]
    if backup_sids:
        lines.append(f"backup `sid` of the detail operation limited to {min(len(backup_sids), MAX_SIDS)} "
                     "sid(s) the list shows")
    else:
        lines.append("the organization lists no backups: the detail operation gets negative data only")
    return lines


def _pin(document: dict[str, Any], path: str, method: str, name: str, values: list[str]) -> None:
    """Replace path parameter `name` with an enum of `values`, the first one as its example."""
    _replace(document, path, method, name, {"type": "string", "enum": values}, values[0])


def _replace(document: dict[str, Any], path: str, method: str, name: str, schema: dict[str, Any],
             example: str | None) -> None:
    """Give path parameter `name` (path or operation level, $ref or inline) a new schema and example."""
    item = document["paths"][path]
    for container in (item.get(method, {}).get("parameters", []), item.get("parameters", [])):
        for index, parameter in enumerate(container):
            resolved = _deref(document, parameter)
            if resolved.get("in") == "path" and resolved.get("name") == name:
                pinned = {key: value for key, value in resolved.items() if key not in ("schema", "examples", "example")}
                pinned["schema"] = schema
                if example is not None:
                    pinned["examples"] = {"real": {"value": example}}
                container[index] = pinned
                return


def _deref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node
