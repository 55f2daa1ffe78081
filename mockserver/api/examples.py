"""Documented answers, as Prism gives them: the spec's examples, ready to send.

They serve two purposes: `Prefer: code=` / `example=` forces one (frontend/scenarios.py), and
an operation the mock has no behaviour for (no `x-role`) is answered with its first success
example. A success answer without an example gets a value generated from its schema
(spec/values.py), one without content an empty body. Documented headers are sent with their
documented value (the schema's `const`, first `enum`, an example or the default).

Where an example names a backup (`sid: xxx` in the Backup page's example), the mock puts a
real fixture sid in its place, so a forced 200 or 201 links to a detail URL that answers.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from mockserver.api.responses import JSON
from mockserver.data.jsonvalues import dumps
from mockserver.spec.model import IDENTITY, ApiModel, Operation
from mockserver.spec.values import CannotFill, value_for

GENERATED = "generated"  # the name of an example made from the schema


@dataclass(frozen=True)
class Canned:
    """A documented answer: status, the example's JSON and the response's documented headers."""

    status: int
    body: bytes
    headers: dict[str, str]
    media_type: str | None = JSON

    def response(self) -> Response:
        return Response(self.body, status_code=self.status, headers=dict(self.headers), media_type=self.media_type)


Answers = dict[str, dict[str, dict[str, Canned]]]  # operationId -> status -> example name -> answer


def _header_value(model: ApiModel, header: dict[str, Any]) -> str | None:
    schema = model.spec.resolve(header.get("schema", {}))
    schema = schema if isinstance(schema, dict) else {}
    for value in (schema.get("const"), (schema.get("enum") or [None])[0], header.get("example"),
                  (schema.get("examples") or [None])[0], schema.get("default")):
        if value is not None:
            return str(value)
    return None


def canned_answers(model: ApiModel, real_sids: Sequence[str] = ()) -> Answers:
    """Every documented answer of every operation, in the spec's order."""
    answers: Answers = {}
    for operation_id, operation in model.operations.items():
        by_status: dict[str, dict[str, Canned]] = {}
        for status in operation.statuses:
            if not status.isdigit():
                continue
            response = model.response(operation, status)
            headers = {}
            for name, raw in (response.get("headers") or {}).items():
                header = model.spec.resolve(raw)
                value = _header_value(model, header) if isinstance(header, dict) else None
                if value is not None:
                    headers[str(name)] = value
            media = (response.get("content") or {}).get("application/json")
            by_status[status] = _examples(model, operation, status, media, headers, real_sids)
        answers[operation_id] = by_status
    return answers


def _examples(model: ApiModel, operation: Operation, status: str, media: Any, headers: dict[str, str],
              real_sids: Sequence[str]) -> dict[str, Canned]:
    code = int(status)
    success = status.startswith("2")
    if not isinstance(media, dict):
        if not success:
            return {}
        return {GENERATED: Canned(code, b"", headers, None)}  # documented without a body (204, say)
    found: dict[str, Canned] = {}
    for name, raw in (media.get("examples") or {}).items():
        example = model.spec.resolve(raw)
        if isinstance(example, dict) and "value" in example:
            value = _with_real_sids(example["value"], real_sids) if success else example["value"]
            found[str(name)] = Canned(code, dumps(value), headers)
    if not found and "example" in media:
        found["example"] = Canned(code, dumps(media["example"]), headers)
    if not found and success and "schema" in media:
        try:
            value = value_for(model.spec.inline(media["schema"]))
        except CannotFill:
            return found
        found[GENERATED] = Canned(code, dumps(value), headers)
    return found


def _with_real_sids(value: Any, real_sids: Sequence[str]) -> Any:
    """The example with each backup's sid replaced by a real one (in order, cycling)."""
    if not real_sids:
        return value
    value = copy.deepcopy(value)
    backups: list[dict[str, Any]] = []
    if isinstance(value, dict) and IDENTITY in value:
        backups.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, list):
                backups += [entry for entry in item if isinstance(entry, dict) and IDENTITY in entry]
    for position, backup in enumerate(backups):
        backup[IDENTITY] = real_sids[position % len(real_sids)]
    return value


def example_answer(answers: Answers, operation: Operation) -> Response:
    """The first documented success answer of an operation the mock has no behaviour for."""
    for status, examples in answers.get(operation.operation_id, {}).items():
        if status.startswith("2") and examples:
            return next(iter(examples.values())).response()
    return Response(b"", status_code=204)
