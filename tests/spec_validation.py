"""Check a response against openapi.yaml with a real JSON Schema validator (tests only).

The mock checks fixtures with its own small checker; the tests judge every answer with
openapi-schema-validator instead, so the two cannot share a blind spot.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS31Validator

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


@lru_cache(maxsize=1)
def spec_document() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def mutated(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of openapi.yaml in tmp_path, changed by `change` (which edits the parsed document)."""
    document = copy.deepcopy(spec_document())
    change(document)
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def resolve(node: Any, document: dict[str, Any] | None = None) -> Any:
    """Inline every local $ref (the spec has no cycles)."""
    document = document or spec_document()
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            return resolve(target, document)
        return {key: resolve(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(value, document) for value in node]
    return node


def operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    for path, item in spec_document()["paths"].items():
        for method, definition in item.items():
            if isinstance(definition, dict) and definition.get("operationId") == operation_id:
                return path, method, resolve(definition)
    raise KeyError(operation_id)


def response_examples(operation_id: str, status: str) -> dict[str, Any]:
    """example name -> value of one documented answer (in the spec's order)."""
    media = operation(operation_id)[2]["responses"][status].get("content", {}).get("application/json", {})
    return {name: example["value"] for name, example in media.get("examples", {}).items()}


def without_sids(value: Any) -> Any:
    """An example or answer with every backup's sid blanked (the mock puts real sids in examples)."""
    if isinstance(value, dict):
        return {key: ("<sid>" if key == "sid" else without_sids(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [without_sids(item) for item in value]
    return value


def validate_schema(schema: dict[str, Any], value: Any) -> None:
    OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(value)


def assert_conforms(operation_id: str, status: int, headers: Any, body: bytes | str) -> Any:
    """Status documented, JSON content type, declared headers present, body valid."""
    _, _, definition = operation(operation_id)
    responses = definition["responses"]
    assert str(status) in responses, f"{operation_id}: status {status} is not documented ({list(responses)})"
    response = responses[str(status)]
    lowered = {key.lower(): value for key, value in headers.items()}
    for name, header in response.get("headers", {}).items():
        if header.get("required"):
            assert name.lower() in lowered, f"missing header {name}"
            validate_schema(header["schema"], lowered[name.lower()])
    content_type = lowered.get("content-type", "")
    assert content_type.split(";")[0].strip() == "application/json", content_type
    data = json.loads(body)
    validate_schema(response["content"]["application/json"]["schema"], data)
    return data
