"""The spec is checked once, at start-up: each inconsistency is one line naming file and pointer.

These are the mistakes an edit of openapi.yaml can make that would otherwise surface as a
wrong answer, or a traceback, while the mock runs: a `$ref` to nothing, a serializer enum
that disagrees with `x-serializer-schemas`, an example its own schema refuses, a path whose
`{parameters}` are not declared (or the other way round). The structural questions (is this
a mapping, does the page-size parameter have its default and cap) are asked where the model
reads the node (model.py), with the same kind of message.
"""

from __future__ import annotations

import re
from typing import Any

from mockserver.exceptions import SpecError
from mockserver.spec.document import HTTP_METHODS, Spec, pointer_of
from mockserver.spec.model import SERIALIZER, ApiModel
from mockserver.spec.values import validator
from mockserver.text import shown

_TEMPLATE = re.compile(r"{([^{}/]+)}")


def load_model(spec: Spec) -> ApiModel:
    """The checked, compiled spec; any problem is a one-line SpecError, never a traceback."""
    try:
        check_refs(spec)
        model = ApiModel(spec)
        check_serializers(model)
        check_path_templates(model)
        check_examples(spec)
        return model
    except SpecError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, RecursionError) as exc:
        # a shape no check above foresaw: still one line, with what Python saw
        raise SpecError(f"{spec.source}: cannot use the spec ({type(exc).__name__}: {shown(exc)})") from None


def check_refs(spec: Spec) -> None:
    for where, ref in spec.refs():
        spec.pointer(ref, where)


def check_serializers(model: ApiModel) -> None:
    """Each serializer parameter's enum and x-serializer-schemas name the same values."""
    for operation in model.operations.values():
        param = operation.param(SERIALIZER)
        if param is None:
            continue
        enum = param.enum
        mapping = param.definition.get("x-serializer-schemas") or {}
        if enum is None:
            raise model.spec.error(f"{param.pointer}/schema", "the serializer parameter needs an enum "
                                                              "(the values x-serializer-schemas maps)")
        if set(enum) != {str(key) for key in mapping}:
            only_enum = sorted(set(enum) - {str(key) for key in mapping})
            only_map = sorted({str(key) for key in mapping} - set(enum))
            detail = "; ".join(part for part in (
                f"only in the enum: {', '.join(only_enum)}" if only_enum else "",
                f"only in x-serializer-schemas: {', '.join(only_map)}" if only_map else "") if part)
            raise model.spec.error(param.pointer, f"the serializer enum and x-serializer-schemas differ ({detail})")


def check_path_templates(model: ApiModel) -> None:
    """Every `{name}` in a path is a declared path parameter, and every path parameter is in the path."""
    for operation in model.operations.values():
        in_path = set(_TEMPLATE.findall(operation.path))
        declared = {param.name for param in operation.parameters if param.location == "path"}
        if in_path != declared:
            missing, unused = sorted(in_path - declared), sorted(declared - in_path)
            detail = "; ".join(part for part in (
                f"not declared: {', '.join(missing)}" if missing else "",
                f"declared but not in the path: {', '.join(unused)}" if unused else "") if part)
            raise model.spec.error(operation.pointer, f"path parameters and {operation.path} disagree ({detail})")


def check_examples(spec: Spec) -> None:
    """Every example of a response, request body or parameter is valid under its own schema."""
    for path, item in spec.document["paths"].items():
        item = spec.resolve(item)
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            where = pointer_of("paths", path, method)
            for index, raw in enumerate([*(item.get("parameters") or []), *(operation.get("parameters") or [])]):
                _check_holder(spec, spec.resolve(raw), f"{where}/parameters/{index}")
            for status, raw in (operation.get("responses") or {}).items():
                response = spec.resolve(raw)
                for media_type, media in ((response or {}).get("content") or {}).items():
                    _check_holder(spec, media, f"{where}/responses/{status}/content/{pointer_of(media_type)[2:]}")
            body = spec.resolve(operation.get("requestBody") or {})
            for media_type, media in (body.get("content") or {}).items():
                _check_holder(spec, media, f"{where}/requestBody/content/{pointer_of(media_type)[2:]}")


def _check_holder(spec: Spec, holder: Any, where: str) -> None:
    """A parameter or media type object: its `example` and `examples` against its `schema`."""
    if not isinstance(holder, dict) or "schema" not in holder:
        return
    examples: list[tuple[str, Any]] = []
    if "example" in holder:
        examples.append((f"{where}/example", holder["example"]))
    for name, raw in (holder.get("examples") or {}).items():
        example = spec.resolve(raw, f"{where}/examples/{name}")
        if isinstance(example, dict) and "value" in example:
            examples.append((f"{where}/examples/{name}", example["value"]))
    if not examples:
        return
    schema = spec.inline(holder["schema"], f"{where}/schema")
    try:
        check = validator(schema)
    except ValueError as exc:
        raise spec.error(f"{where}/schema", f"not a usable JSON Schema ({exc})") from None
    for pointer, value in examples:
        try:
            errors = list(check.iter_errors(value))
        except ValueError as exc:  # a value JSON cannot hold (a YAML date, say)
            raise spec.error(pointer, f"the example is not JSON ({exc})") from None
        if errors:
            first = errors[0]
            at = "/".join(str(part) for part in first.instance_path)
            where = f"{at}: " if at else ""
            raise spec.error(pointer, f"the example does not match its schema: {where}{first.message}")
