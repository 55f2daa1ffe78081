"""Schemathesis' own generation over every operation, run through its engine.

All four phases (examples, coverage, fuzzing, stateful), positive and negative data, every
built-in check that can apply to this API. Generation is kept inside what the contract
accepts for this caller (see narrowing), documented rejections count as correct, answers
from infrastructure are listed apart (see infrastructure), and the write budget holds through
schemathesis' public hooks (see budget): without --allow-writes no creating operation is
generated at all, and the only methods sent besides the documented ones are OPTIONS and TRACE.

Each failure is judged again by the shared rules (contracts.rules) so that it names the rule,
the field, the expected and the received value, like the kit's own findings.

Schemathesis is used through its public API (`schemathesis.openapi.from_dict`, `schemathesis.Config`,
schema hooks, `schemathesis.hook` and `schemathesis.hooks.unregister` for `before_call`, which is
process-wide only, and `schemathesis.errors`) with one exception: its engine
(`schemathesis.engine.from_schema` and the events its CLI extensions receive), which runs the four
phases as `st run` does; schemathesis offers no other way to run them from Python.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .budget import WriteBudget
from .builtins import BUILTIN_CHECKS, NOT_APPLICABLE
from .guard import READ_METHODS
from .infrastructure import Tolerated, classify
from .narrowing import describe, narrow
from .results import CheckResult, Finding, Status
from .rules import Answer, Request, Violation, ids, validate
from .storage import hypothesis_storage

if TYPE_CHECKING:
    from .context import KitContext

UNEXPECTED_METHODS = ["options", "trace"]  # never PUT, PATCH or DELETE
POSITIVE_STATUSES = [200, 201, 404]  # 404: a page past the end, documented
NEGATIVE_STATUSES = [400, 404, 406, 413, 414, 431]  # 404/406 documented; the rest see infrastructure
PHASES = ("examples", "coverage", "fuzzing", "stateful")


def preload() -> threading.Thread:
    """Import schemathesis and Hypothesis in the background (about a second) while the kit's own checks,
    which mostly wait for answers, run."""
    def load() -> None:
        import schemathesis.engine  # noqa: F401
        import schemathesis.openapi  # noqa: F401

    thread = threading.Thread(target=load, name="contracts-preload", daemon=True)
    thread.start()
    return thread


@dataclass
class FuzzOutcome:
    results: list[CheckResult]
    tolerated: list[Tolerated] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    network_error: bool = False
    no_links: bool = False
    creating_pass: bool = False


def _creating(ctx: KitContext) -> list[str]:
    return [op.operation_id for op in ctx.spec.operations if op.method.upper() not in READ_METHODS]


@dataclass(frozen=True)
class Pass:
    """One execution of schemathesis' engine over the reading or the creating operations."""

    creating: bool


MAX_CREATE_STEPS = 2  # a create, then its link
MAX_READ_STEPS = 3  # a list, a backup it names, one more read (the kit's detail theme reads them all)
STATEFUL_SHARE = 4  # the stateful phase runs max-examples / 4 scenarios: each is several requests


def stateful_scenarios(max_examples: int) -> int:
    """Scenarios of the read-only stateful phase for --max-examples N (N counts single requests elsewhere)."""
    return max(1, max_examples // STATEFUL_SHARE)


def passes(ctx: KitContext) -> list[Pass]:
    """All four phases over every reading operation; then, with --allow-writes, the creating operations:
    the coverage phase's invalid data (which a correct server refuses) and a short stateful phase where a
    create leads through its link, one scenario per unit of write budget left.

    A creating operation gets valid data in the fuzzing phase whatever the mode (its body accepts
    anything), and a long stateful phase would keep drawing creates the budget refuses: so creates run
    apart, short and budgeted.
    """
    found = [Pass(creating=False)]
    if ctx.options.allow_writes and _creating(ctx):
        found.append(Pass(creating=True))
    return found


def _config(ctx: KitContext, checks: list[str], negative_only_detail: bool, run: Pass) -> Any:
    import schemathesis

    options = ctx.options
    phases: dict[str, Any] = {name: {"enabled": True} for name in PHASES}
    phases["stateful"].update({"max-steps": MAX_READ_STEPS,
                               "generation": {"max-examples": stateful_scenarios(options.max_examples)}})
    if run.creating:
        phases = {"examples": {"enabled": False}, "coverage": {"enabled": True}, "fuzzing": {"enabled": False},
                  "stateful": {"enabled": True, "max-steps": MAX_CREATE_STEPS,
                               "generation": {"max-examples": max(1, ctx.guard.remaining)}}}
    data: dict[str, Any] = {
        "seed": options.seed,
        "base-url": ctx.client.base_url,
        "headers": ctx.admin,
        "workers": 1,
        "request-timeout": options.timeout,
        "cache": {"enabled": False},
        "suppress-health-check": ["all"],
        "analysis": {"constants": {"enabled": False}},
        "generation": {"max-examples": options.max_examples, "with-security-parameters": False,
                       "database": "none", "mode": "all"},
        "checks": {
            **{name: {"enabled": True} for name in checks},
            **{name: {"enabled": False} for name in NOT_APPLICABLE if name != "max_response_time"},
            **{name: {"enabled": False} for name in BUILTIN_CHECKS if name not in checks},
            "positive_data_acceptance": {"enabled": True, "expected-statuses": POSITIVE_STATUSES},
            "negative_data_rejection": {"enabled": True, "expected-statuses": NEGATIVE_STATUSES},
        },
        "phases": phases,
        "warnings": False,
    }
    data["phases"]["coverage"]["unexpected-methods"] = UNEXPECTED_METHODS
    negative = {"generation": {"mode": "negative"}}
    operations: list[dict[str, Any]] = []
    if run.creating:
        # Valid creates come from the stateful phase only (a create, then its link), within the budget;
        # the coverage phase sends invalid ones, which a correct server refuses without creating. The
        # reading operations are there as the links' targets only. ignored_auth's own probes are not
        # budgeted: the errors and access themes check authentication on creating operations instead.
        for operation in ctx.spec.operations:
            if operation.method.upper() in READ_METHODS:
                operations.append({"include-operation-id": operation.operation_id,
                                   "phases": {"coverage": {"enabled": False}}})
            else:
                operations.append({"include-operation-id": operation.operation_id, **negative,
                                   "checks": {"ignored_auth": {"enabled": False}},
                                   "phases": {"stateful": {"generation": {"mode": "positive"}}}})
    detail = ctx.spec.by_role("detail")
    if negative_only_detail and detail is not None and not run.creating:  # nothing to read: every sid refused
        operations.append({"include-operation-id": detail.operation_id, **negative,
                           "phases": {"examples": {"enabled": False}}})
    data["operations"] = operations
    return schemathesis.Config.from_dict(data)


def applicable_checks(ctx: KitContext) -> list[str]:
    checks = list(BUILTIN_CHECKS)
    if not ctx.options.allow_writes:
        checks.remove("ensure_resource_availability")
    return checks


def run(ctx: KitContext, progress: Callable[[str], None]) -> FuzzOutcome:
    from schemathesis.engine import events

    sids = [str(item["sid"]) for item in ctx.listing()]
    checks = applicable_checks(ctx)
    document = narrow(ctx.spec, ctx.options.org_sid, sids)
    notes = [f"generation narrowed: {line}" for line in describe(ctx.spec, ctx.options.org_sid, sids)]
    creating = _creating(ctx)
    if creating and not ctx.options.allow_writes:
        notes.append(f"{', '.join(creating)} not generated: the run is read-only (--allow-writes includes them, "
                     "within --max-writes)")
    for name, why in NOT_APPLICABLE.items():
        notes.append(f"{name}: not applicable ({why})")
    if "ensure_resource_availability" not in checks:
        notes.append("ensure_resource_availability: needs --allow-writes")
    outcome = FuzzOutcome(results=[], notes=notes)
    collected: dict[str, _Collected] = {name: _Collected() for name in checks}
    with hypothesis_storage():
        for step in passes(ctx):
            if step.creating and ctx.guard.remaining < 1:
                outcome.notes.append(f"{', '.join(creating)}: not generated, no write budget left")
                continue
            budget = WriteBudget(ctx.guard, ctx.spec)
            outcome.creating_pass = step.creating
            for event in _execute(ctx, document, checks, not sids, step, outcome, budget):
                if isinstance(event, events.PhaseStarted):
                    budget.ends_scenarios = event.phase.name.value == "stateful"
                _consume(ctx, event, events, collected, outcome, progress)
    outcome.results = [_result(name, collected[name]) for name in checks]
    return outcome


def _execute(ctx: KitContext, document: dict[str, Any], checks: list[str], negative_only_detail: bool, step: Pass,
             outcome: FuzzOutcome, budget: WriteBudget) -> Iterator[Any]:
    """The engine's events for one pass, with the write budget's hooks in place."""
    import schemathesis
    from schemathesis.engine import from_schema

    schema: Any = schemathesis.openapi.from_dict(document, config=_config(ctx, checks, negative_only_detail, step))
    targets = {link.get("operationId") for op in ctx.spec.operations for code in op.statuses()
               for link in ((op.response(code) or {}).get("links") or {}).values()}
    for operation in ctx.spec.operations:
        reading = operation.method.upper() in READ_METHODS
        # the first pass reads; the second creates, keeping of the reads only what its links lead to
        if (not step.creating and not reading) or (step.creating and reading and operation.operation_id not in targets):
            schema = schema.exclude(operation_id=operation.operation_id)
    budget.schema = schema
    hooks = budget.hooks()
    schema.hooks.hook("filter_case")(hooks["filter_case"])
    schema.hooks.hook("after_call")(hooks["after_call"])
    schema.hooks.hook("filter_failure")(_failure_filter(ctx, outcome))
    schemathesis.hook("before_call")(hooks["before_call"])
    try:
        yield from from_schema(schema).execute()
    finally:
        schemathesis.hooks.unregister(hooks["before_call"])


def _failure_filter(ctx: KitContext, outcome: FuzzOutcome) -> Callable[..., bool]:
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        request = response.request
        reason = classify(ctx.spec, str(request.method), str(request.url), int(response.status_code),
                          response.content, ctx.client.base_url)
        if reason is None:
            return True
        check = next((name for name in BUILTIN_CHECKS if name in type(failure).__name__.lower()), "")
        outcome.tolerated.append(Tolerated(reason, check or type(failure).__name__, case.operation.label,
                                           response.status_code))
        return False
    return filter_failure


@dataclass
class _Collected:
    runs: int = 0
    findings: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    duplicates: int = 0


def _interaction(recorder: Any, *case_ids: str | None) -> Any:
    for case_id in case_ids:
        found = recorder.interactions.get(case_id) if case_id else None
        if found is not None:
            return found
    return None


def _judged(ctx: KitContext, check: str, interaction: Any, operation: str | None) -> Violation | None:
    """The rule a schemathesis failure breaks, judged again by the shared rules on its exchange."""
    if interaction is None or interaction.response is None:
        return None
    request, response = interaction.request, interaction.response
    path, query = ctx.relative(str(request.uri))
    headers = {name: ", ".join(values) if isinstance(values, list) else str(values)
               for name, values in (response.headers or {}).items()}
    violations = validate(ctx.spec, Request(str(request.method), path, query),
                          Answer(int(response.status_code), headers, response.content or b""),
                          messages=not ctx.options.lenient_messages)
    wanted = "request" if check in ("negative_data_rejection",) else "answer"
    chosen = [violation for violation in violations if violation.side == wanted] or violations
    return chosen[0] if chosen else None


def _fallback_rule(ctx: KitContext, check: str, label: str | None) -> str:
    operation = next((op for op in ctx.spec.operations if op.label == label), None)
    op = operation.operation_id if operation else "?"
    if check == "ignored_auth":
        return ids.access(op, "anonymous", "own") if operation and operation.role else ids.access(op, "anonymous")
    if check in ("unsupported_method", "allow_header_conformance"):
        first = next((other for other in ctx.spec.operations if operation and other.path == operation.path), None)
        return ids.behaviour(first.operation_id if first else op, "methods")
    if check == "ensure_resource_availability" and operation is not None:
        links = [name for code in sorted(operation.success_statuses())
                 for name in (operation.response(code) or {}).get("links") or {}]
        return ids.link(op, links[0]) if links else ids.status(op)
    return ids.status(op)


def _consume(ctx: KitContext, event: Any, events: Any, collected: dict[str, _Collected],
             outcome: FuzzOutcome, progress: Callable[[str], None]) -> None:
    redact = ctx.redact
    shown = isinstance(event, (events.PhaseStarted, events.PhaseFinished)) and event.phase.name.value in PHASES \
        and getattr(event.phase, "is_enabled", True)
    label = "with creates " if outcome.creating_pass else ""
    if isinstance(event, events.PhaseStarted) and shown:
        progress(f"schemathesis {event.phase.name.value} phase {label}...")
    elif isinstance(event, events.PhaseFinished) and shown:
        skip = f" (skipped: {event.phase.skip_reason.value})" if event.phase.skip_reason else ""
        status = "nothing to do" if event.phase.name.value == "stateful" and outcome.no_links else event.status.value
        if outcome.creating_pass and status == "skip" and ctx.guard.remaining < 1:
            status = "ended when the write budget was spent"
        progress(f"schemathesis {event.phase.name.value} phase {label}: {status}{skip}".replace(" :", ":"))
    elif isinstance(event, events.ScenarioFinished):
        _scenario(ctx, event, collected, outcome)
    elif isinstance(event, events.NonFatalError):
        from schemathesis.errors import NoLinksFound

        message = redact(f"{event.label}: {event.info.title}: {event.info.message}")
        if isinstance(event.value, NoLinksFound):
            # Read-only and nothing listed: no link can be followed, which says nothing about the server.
            outcome.no_links = True
            outcome.notes.append("stateful phase: no link to follow (the create operation is not generated "
                                 "and the list shows nothing to infer links from)")
            return
        if ("filter_case" in message or "write budget spent" in message) and ctx.guard.remaining < 1:
            return  # the write budget ran out: reported as one line of its own
        outcome.errors.append(message)
        kind = str(getattr(getattr(event.info, "kind", None), "value", ""))
        if kind.startswith(("connection", "network", "server_unavailable")):
            outcome.network_error = True
        progress(f"schemathesis error: {message.splitlines()[0]}")
    elif isinstance(event, events.FatalError):
        outcome.errors.append(redact(f"schemathesis stopped: {type(event.exception).__name__}: {event.exception}"))


def _scenario(ctx: KitContext, event: Any, collected: dict[str, _Collected], outcome: FuzzOutcome) -> None:
    redact = ctx.redact
    recorder = event.recorder
    for node in recorder.cases.values():
        label = node.value.operation.label
        outcome.cases[label] = outcome.cases.get(label, 0) + 1
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            bucket = collected.get(node.name)
            if bucket is None:
                continue
            bucket.runs += 1
            if node.failure_info is None:
                continue
            failure = node.failure_info.failure
            key = (failure.operation or "", type(failure).__name__, failure.title)
            if key in bucket.findings:
                bucket.duplicates += 1
                bucket.findings[key].occurrences += 1
                continue
            interaction = _interaction(recorder, failure.case_id, case_id)
            response = interaction.response if interaction is not None else None
            body = response.content.decode("utf-8", "replace")[:1200] if response is not None else None
            violation = _judged(ctx, node.name, interaction, failure.operation)
            bucket.findings[key] = Finding(
                summary=redact(f"{failure.title}" + (f": {violation.message}" if violation else "")),
                expected=redact(violation.expected if violation else _first_line(failure.message)),
                received=redact(violation.received if violation else ""),
                rule=violation.rule if violation else _fallback_rule(ctx, node.name, failure.operation),
                field=violation.pointer if violation else "",
                curl=redact(node.failure_info.code_sample),
                status=response.status_code if response is not None else None,
                body=redact(body) if body is not None else None,
                operation=failure.operation,
                extra=redact(f"schemathesis {failure.code}, {event.phase.value} phase: "
                             f"{_first_line(failure.message)}"),
            )


def _first_line(text: str) -> str:
    return str(text).strip().splitlines()[0] if str(text).strip() else ""


def _result(name: str, collected: _Collected) -> CheckResult:
    result = CheckResult(f"schemathesis.{name}", BUILTIN_CHECKS[name][0])
    result.findings = list(collected.findings.values())
    if collected.duplicates:
        result.notes.append(f"{collected.duplicates} more occurrence(s) of the same failures not repeated")
    if result.findings:
        result.status = Status.FAILED
    elif collected.runs == 0:
        result.status = Status.SKIPPED
        result.reason = "no generated request exercised this check"
    result.notes.append(f"evaluated {collected.runs} time(s)")
    return result
