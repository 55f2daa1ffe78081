"""`Prefer` on the three operations (Prism's conventions), and the configured latency.

    Prefer: code=406                       the documented status with its first named example
    Prefer: code=406, example=wrongLevel   that named example (`Prefer: example=wrongLevel` too)
    Prefer: dynamic=true | dynamic=false   generated data for this request, or not (dynamic.py)
    Prefer: delay=2s                       wait before answering, at most 30 s (latency.py)

A forced code or example is a canned answer taken from openapi.yaml, as Prism gives it: it
needs no credentials and changes nothing (a forced 200 on POST creates no backup). Unknown
preferences are ignored (RFC 7240); a known one with a bad value, or a code or example the
operation does not document, gets a 400 that lists the documented ones. An answer to a
Prefer carries `Preference-Applied`. Without Prefer and latency, a request costs one scan
of its header names more than before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.api.endpoints import Handler
from mockserver.api.examples import Answers, Canned
from mockserver.api.responses import json_response
from mockserver.exceptions import ApiError
from mockserver.frontend.latency import Latency, bounded, format_duration, parse_duration
from mockserver.spec.model import ApiModel

APPLIED = "Preference-Applied"
TRUE, FALSE = ("true", "yes", "1", ""), ("false", "no", "0")


class PreferError(Exception):
    def __init__(self, detail: str, documented: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.documented = documented


def parse_prefer(text: str) -> dict[str, str]:
    """`code=406, example="wrongId"; delay=1s` -> {name: value}; the first of a name wins."""
    preferences: dict[str, str] = {}
    for item in text.split(","):
        for part in item.split(";"):
            name, _, value = part.strip().partition("=")
            name = name.strip().lower()
            if name and name not in preferences:
                preferences[name] = value.strip().strip('"')
    return preferences


class Scenarios:
    """Wraps the operation handlers with Prefer handling and latency."""

    def __init__(self, model: ApiModel, canned: Callable[[], Answers], latency: Latency | None = None,
                 dynamic_by_default: bool = False) -> None:
        self.model = model
        self.latency = latency
        self.dynamic_by_default = dynamic_by_default
        self.answers = canned  # the documented answers, with the fixtures' real sids in them

    def wrap(self, normal: dict[str, Handler], dynamic: dict[str, Handler]) -> dict[str, Handler]:
        return {operation_id: self._wrap(operation_id, normal[operation_id], dynamic[operation_id])
                for operation_id in normal}

    def _wrap(self, operation_id: str, normal: Handler, dynamic: Handler) -> Handler:
        default = dynamic if self.dynamic_by_default else normal
        latency = self.latency

        async def handler(request: Request) -> Response:
            for name, _ in request.scope["headers"]:
                if name == b"prefer":
                    return await self.answer_preferring(operation_id, request, normal, dynamic)
            if latency is not None:
                await asyncio.sleep(latency.draw())
            return await default(request)

        return handler

    async def answer_preferring(
        self, operation_id: str, request: Request, normal: Handler, dynamic: Handler
    ) -> Response:
        text = b",".join(value for name, value in request.scope["headers"] if name == b"prefer").decode("latin-1")
        try:
            delay, use_dynamic, canned, applied = self._decide(operation_id, parse_prefer(text))
        except PreferError as error:
            body: dict[str, Any] = {"detail": error.detail}
            if error.documented is not None:
                body["documented"] = error.documented
            return json_response(body, 400)
        if delay is None and self.latency is not None:
            delay = self.latency.draw()
        if delay:
            await asyncio.sleep(delay)
        if canned is not None:
            response = canned.response()
        else:
            handler = {True: dynamic, False: normal, None: dynamic if self.dynamic_by_default else normal}[use_dynamic]
            try:
                response = await handler(request)
            except ApiError as error:
                if applied:
                    raise ApiError(error.status, error.detail, {**error.headers, APPLIED: ", ".join(applied)}) from None
                raise
        if applied:
            response.headers[APPLIED] = ", ".join(applied)
        return response

    def _decide(
        self, operation_id: str, preferences: dict[str, str]
    ) -> tuple[float | None, bool | None, Canned | None, list[str]]:
        applied: list[str] = []
        delay = None
        if "delay" in preferences:
            try:
                delay = bounded(parse_duration(preferences["delay"]))
            except ValueError as exc:
                raise PreferError(f"Prefer: delay: {exc}") from None
            applied.append(f"delay={format_duration(delay)}")
        canned = self._canned(operation_id, preferences.get("code"), preferences.get("example"))
        if canned is not None:
            applied.append(f"code={canned[0]}")
            applied.append(f"example={canned[1]}")
        use_dynamic = None
        if "dynamic" in preferences:
            value = preferences["dynamic"].lower()
            if value not in TRUE + FALSE:
                raise PreferError(f"Prefer: dynamic must be true or false, not {preferences['dynamic']!r}")
            use_dynamic = value in TRUE
            if canned is None and self.model.operations[operation_id].method == "GET":
                applied.append(f"dynamic={'true' if use_dynamic else 'false'}")
        return delay, use_dynamic, canned[2] if canned else None, applied

    def _canned(self, operation_id: str, code: str | None, example: str | None) -> tuple[str, str, Canned] | None:
        if code is None and example is None:
            return None
        by_status = self.answers()[operation_id]
        documented = {status: list(examples) for status, examples in by_status.items()}
        if code is not None:
            if code not in by_status:
                what = (f"code={code} is not documented" if code.isdigit()
                        else f"code must be a status code, not {code!r}")
                raise PreferError(
                    f"Prefer: {what} for {operation_id}; documented codes: {', '.join(by_status)}.", documented
                )
            examples = by_status[code]
            if example is None:
                if not examples:
                    raise PreferError(f"Prefer: code={code}: {operation_id} documents no example body for it.",
                                      documented)
                name = next(iter(examples))
                return code, name, examples[name]
            if example not in examples:
                raise PreferError(
                    f"Prefer: example={example} is not documented for {operation_id} {code}; "
                    f"its examples: {', '.join(examples) or 'none'}.",
                    documented,
                )
            return code, example, examples[example]
        assert example is not None
        for status, examples in by_status.items():
            if example in examples:
                return status, example, examples[example]
        raise PreferError(f"Prefer: example={example} is not documented for {operation_id}.", documented)
