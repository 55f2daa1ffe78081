"""Answers on demand around the operation handlers: `Prefer`, `__` query parameters, scenario rules, latency.

    Prefer: code=406, example=wrongLevel    a documented answer (Prism's conventions)
    Prefer: code=503                        a failure the spec does not document (`documented=false`)
    Prefer: fault=reset | empty | malformed | slow-body
    Prefer: dynamic=true, delay=2s          generated data, a wait
    ?__code=503&__delay=2s                  the same as query parameters (choices.py)
    POST /__mock/scenarios                  rules that answer without either (rules.py)

A forced code or example is a canned answer taken from openapi.yaml, as Prism gives it: it
needs no credentials and changes nothing (a forced 200 on POST creates no backup); so do the
failures and `malformed`. `delay`, `dynamic` and `slow-body` shape the real answer; `reset` and
`empty` send none (faults.py). Unknown preferences are ignored (RFC 7240); a known one with a bad
value, or a code or example the operation does not document, gets a 400 that lists the
documented ones. A choice in `Prefer` wins over the same `__` parameter (Prism reads the header
when there is one), and the request's own choices win over a rule's. An answer to the request's
own choices carries `Preference-Applied`; the journal notes the rule that answered and the fault.

A generated backup's detail opens without asking for dynamic data: when the fixtures do not know
a sid, the generated data (whose sids say they are generated) is asked before answering 406. A
page that asked for dynamic data (or for none, when the mock runs `--dynamic`) links to pages
that ask the same: `__dynamic=true` (or `false`), the one `__` parameter links keep.

Without Prefer, `__` parameters and rules, a request costs a truth test, a search of its query
(none when it has none) and one scan of its header names more than the handler itself.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from mockserver.api.endpoints import Handler
from mockserver.api.examples import Answers
from mockserver.api.responses import error_response, json_response
from mockserver.exceptions import ApiError
from mockserver.frontend.choices import (
    DROPS,
    NONE,
    ChoiceError,
    Choices,
    Forced,
    forced,
    parse_prefer,
    read_choices,
    split_query,
)
from mockserver.frontend.faults import Dropped, Trickled, malformed
from mockserver.frontend.latency import Latency, format_duration
from mockserver.frontend.rules import RuleBook
from mockserver.notes import NOTES, note
from mockserver.spec.model import BACKUP, DETAIL, ORGANIZATION, ApiModel, Operation

APPLIED = "Preference-Applied"
SLOW_BODY = 3.0  # seconds a `slow-body` takes when no delay is given
# `%` (as an int: `bytes.__contains__` with a bytes needle tries it as an int first and pays for
# the exception, five times the cost of `find`): `%5F%5Fcode` is `__code` too
PERCENT = ord("%")


class _NoRules:
    rules: list[object] = []


_NO_RULES = _NoRules()


class RequestFacts:
    """What a rule may narrow by (rules.Facts), each worked out only when a rule asks."""

    def __init__(self, request: Request, query: bytes, operation: Operation,
                 identify: Callable[[list[tuple[bytes, bytes]], bytes], str | None] | None,
                 owner: Callable[[str], str | None] | None) -> None:
        self.request, self.kept_query, self.operation = request, query, operation
        self.identify, self.owner = identify, owner

    def organization(self) -> str | None:
        params = self.request.path_params
        organization = self.operation.param(ORGANIZATION)
        if organization is not None:
            return str(params.get(organization.name))
        backup = self.operation.param(BACKUP)
        if backup is not None and self.owner is not None:
            return self.owner(str(params.get(backup.name)))
        return None

    def user(self) -> str | None:
        scope = self.request.scope
        return self.identify(scope["headers"], scope["query_string"]) if self.identify is not None else None

    def query(self) -> Mapping[str, list[str]]:
        return parse_qs(self.kept_query.decode("latin-1"), keep_blank_values=True)


class Scenarios:
    """Wraps the operation handlers with Prefer, `__` parameters, rules and latency."""

    def __init__(self, model: ApiModel, canned: Callable[[], Answers], latency: Latency | None = None,
                 dynamic_by_default: bool = False, rules: RuleBook | None = None,
                 identify: Callable[[list[tuple[bytes, bytes]], bytes], str | None] | None = None,
                 owner: Callable[[str], str | None] | None = None) -> None:
        self.model = model
        self.latency = latency
        self.dynamic_by_default = dynamic_by_default
        self.answers = canned  # the documented answers, with the fixtures' real sids in them
        self.rules = rules
        self.identify, self.owner = identify, owner
        self.rng = random.Random()

    def wrap(self, normal: dict[str, Handler], dynamic: dict[str, Handler]) -> dict[str, Handler]:
        return {operation_id: self._wrap(operation_id, normal[operation_id], dynamic[operation_id])
                for operation_id in normal}

    def _wrap(self, operation_id: str, normal: Handler, dynamic: Handler) -> Handler:
        default = dynamic if self.dynamic_by_default else normal
        detail = self.model.operations[operation_id].role == DETAIL and not self.dynamic_by_default
        generated = dynamic if detail else None
        latency, book = self.latency, self.rules or _NO_RULES

        async def handler(request: Request) -> Response:
            scope = request.scope
            query = scope["query_string"]
            if book.rules or (query and (query.find(b"__") >= 0 or PERCENT in query)):
                return await self.answer(operation_id, request, normal, dynamic, generated)
            for name, _ in scope["headers"]:
                if name == b"prefer":
                    return await self.answer(operation_id, request, normal, dynamic, generated)
            if latency is not None:
                await asyncio.sleep(latency.draw())
            try:
                return await default(request)
            except ApiError as error:  # costs nothing until raised
                if generated is None or error.status != 406:
                    raise
                return await generated(request)

        return handler

    async def answer(self, operation_id: str, request: Request, normal: Handler, dynamic: Handler,
                     generated: Handler | None) -> Response:
        """The answer to a request that asks for something, or that a rule may answer."""
        scope = request.scope
        kept = scope["query_string"]
        prefix = "Prefer: "
        try:
            own = NONE
            if kept.find(b"__") >= 0 or PERCENT in kept:
                kept, values = split_query(kept)
                own = self._checked(operation_id, values, prefix := "__")
            prefer = [value for name, value in scope["headers"] if name == b"prefer"]
            if prefer:
                text = b",".join(prefer).decode("latin-1")
                own = self._checked(operation_id, parse_prefer(text), prefix := "Prefer: ").over(own)
            rule = None
            if self.rules is not None and self.rules.rules:
                operation = self.model.operations[operation_id]
                rule = self.rules.match(operation_id, RequestFacts(request, kept, operation, self.identify,
                                                                   self.owner))
            choices = own.over(rule.respond) if rule is not None else own
            found = forced(self.answers(), operation_id, choices, prefix)
        except ChoiceError as error:
            body: dict[str, Any] = {"detail": error.detail}
            if error.documented is not None:
                body["documented"] = error.documented
            return json_response(body, 400)
        delay = self._delay(choices.delay)
        notes = {"rule": rule.id} if rule is not None else {}
        if choices.fault in DROPS:
            note(scope, **notes, fault=choices.fault)
            await asyncio.sleep(delay)
            return Dropped(str(choices.fault))
        if notes:
            note(scope, **notes)
        if choices.fault != "slow-body":
            await asyncio.sleep(delay)
        if found is None:
            response = await self._real(request, kept, choices.dynamic, normal, dynamic, generated)
        elif choices.fault == "malformed":
            response = malformed(found.answer)
        else:
            response = found.answer.response()
        if choices.fault == "slow-body":
            response = Trickled(response, delay or SLOW_BODY)
        applied = self._applied(operation_id, own, found, delay)
        if applied:
            response.headers[APPLIED] = ", ".join(applied)
        return response

    def _checked(self, operation_id: str, values: Mapping[str, object], prefix: str) -> Choices:
        choices = read_choices(values, prefix, cut_delays=True)
        forced(self.answers(), operation_id, choices, prefix)  # a code or example it does not document: 400
        return choices

    def _delay(self, chosen: tuple[float, float] | None) -> float:
        if chosen is not None:
            low, high = chosen
            return low if low == high else self.rng.uniform(low, high)
        return self.latency.draw() if self.latency is not None else 0.0

    async def _real(self, request: Request, kept: bytes, use_dynamic: bool | None, normal: Handler,
                    dynamic: Handler, generated: Handler | None) -> Response:
        """The handler's own answer, to the query without `__` parameters (but `__dynamic` when the
        request's choice differs from the mock's, so that the page's links keep it)."""
        scope = request.scope
        if use_dynamic is not None and use_dynamic != self.dynamic_by_default:
            kept += (b"&" if kept else b"") + (b"__dynamic=true" if use_dynamic else b"__dynamic=false")
        if kept != scope["query_string"]:
            scope.setdefault(NOTES, {})  # shared with the copy: what the handler notes reaches the journal
            request = Request({**scope, "query_string": kept}, request.receive)
        if use_dynamic is None:
            handler, fallback = (dynamic if self.dynamic_by_default else normal), generated
        else:
            handler, fallback = (dynamic if use_dynamic else normal), None
        try:
            if fallback is None:
                return await handler(request)
            return await _or_generated(handler, fallback, request)
        except ApiError as error:
            return error_response(error)

    def _applied(self, operation_id: str, own: Choices, found: Forced | None, delay: float) -> list[str]:
        """Preference-Applied: the request's own choices, as followed."""
        applied = []
        if own.delay is not None:
            applied.append(f"delay={format_duration(delay)}")
        if found is not None and (own.code is not None or own.example is not None or own.fault == "malformed"):
            applied += found.applied
        if own.dynamic is not None and found is None and self.model.operations[operation_id].method == "GET":
            applied.append(f"dynamic={'true' if own.dynamic else 'false'}")
        if own.fault is not None and own.fault not in DROPS:
            applied.append(f"fault={own.fault}")
        return applied


async def _or_generated(handler: Handler, generated: Handler, request: Request) -> Response:
    """The handler's answer; where it does not know the backup (406), the generated data's."""
    try:
        return await handler(request)
    except ApiError as error:
        if error.status != 406:
            raise
        return await generated(request)
