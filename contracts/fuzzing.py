"""Schemathesis' own generation over every operation, run through its engine.

All four phases (examples, coverage, fuzzing, stateful), positive and negative data, every
built-in check that can apply to this API. Generation is kept inside what the contract
accepts for this caller (see narrowing), documented rejections count as correct, answers
from infrastructure are listed apart (see infrastructure), and every request passes the
kit's guard (see guard): without --allow-writes the create operation is not generated at
all, and the only methods sent besides the documented ones are OPTIONS and TRACE.
"""

from __future__ import annotations

import io
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, Iterator

from schemathesis.core.errors import NoLinksFound

from .errors import RequestRefused
from .infrastructure import REFUSED_MARK, Tolerated, classify
from .narrowing import describe, narrow
from .results import CheckResult, Finding, Status

if TYPE_CHECKING:
    from .context import KitContext

BUILTIN_CHECKS: dict[str, str] = {
    "not_a_server_error": "no answer is a server error (5xx)",
    "status_code_conformance": "every status is one the spec documents for the operation",
    "content_type_conformance": "every content type is one the spec documents",
    "response_headers_conformance": "documented response headers are present and valid",
    "response_schema_conformance": "every body matches its documented schema",
    "negative_data_rejection": "invalid input is rejected",
    "positive_data_acceptance": "valid input is accepted",
    "ignored_auth": "authentication is enforced: no or invalid credentials are refused",
    "unsupported_method": "an undocumented method gets 405 with an Allow header",
    "allow_header_conformance": "Allow lists exactly the documented methods",
    "ensure_resource_availability": "a created backup is available through the link right away",
}
NOT_APPLICABLE: dict[str, str] = {
    "use_after_free": "the API offers no DELETE",
    "missing_required_header": "no operation declares a required header",
    "object_level_authorization": "covered by the isolation theme (needs schemathesis' auth workflow config)",
    "max_response_time": "the contract sets no response-time limit",
}
UNEXPECTED_METHODS = ["options", "trace"]  # never PUT, PATCH or DELETE
POSITIVE_STATUSES = [200, 201, 404]  # 404: a page past the end, documented
NEGATIVE_STATUSES = [400, 404, 406, 413, 414, 431]  # 404/406 documented; the rest see infrastructure


@dataclass
class FuzzOutcome:
    results: list[CheckResult]
    tolerated: list[Tolerated] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    network_error: bool = False
    no_links: bool = False


def _config(ctx: "KitContext", checks: list[str], negative_only_detail: bool) -> Any:
    from schemathesis.config import SchemathesisConfig

    options = ctx.options
    data: dict[str, Any] = {
        "seed": options.seed,
        "base-url": ctx.client.base_url,
        "headers": ctx.admin,
        "workers": 1,
        "request-timeout": options.timeout,
        "cache": {"enabled": False},
        "suppress-health-check": ["all"],
        "generation": {"max-examples": options.max_examples, "with-security-parameters": False,
                       "database": "none", "mode": "all"},
        "checks": {
            **{name: {"enabled": True} for name in checks},
            **{name: {"enabled": False} for name in NOT_APPLICABLE if name != "max_response_time"},
            **{name: {"enabled": False} for name in BUILTIN_CHECKS if name not in checks},
            "positive_data_acceptance": {"enabled": True, "expected-statuses": POSITIVE_STATUSES},
            "negative_data_rejection": {"enabled": True, "expected-statuses": NEGATIVE_STATUSES},
        },
        "phases": {"coverage": {"unexpected-methods": UNEXPECTED_METHODS}},
        "warnings": False,
    }
    negative = {"generation": {"mode": "negative"}}
    # Positive POSTs create backups: the writes theme makes the few that prove creation, and the
    # stateful phase (POST, then its link) gets what is left of --max-writes. Everywhere else the
    # create operation gets invalid data only, which a correct server refuses without creating.
    operations: list[dict[str, Any]] = [{"include-operation-id": "createBackup", "phases": {
        "examples": {"enabled": False}, "coverage": negative, "fuzzing": negative}}]
    if negative_only_detail:  # nothing to read: every sid is rightly refused, so no positive data exists
        operations.append({"include-operation-id": "getBackup", **negative,
                           "phases": {"examples": {"enabled": False}}})
    data["operations"] = operations
    return SchemathesisConfig.from_dict(data)


def _refused_response(request: Any, reason: str) -> Any:
    """A stand-in answer for a request the guard did not send (never judged, see infrastructure)."""
    import requests
    import urllib3
    from requests.structures import CaseInsensitiveDict

    body = b'{"detail": "not sent by the contract kit"}'
    raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers={"Content-Type": "application/json"}, status=418,
                               preload_content=False, version=11, reason="Not Sent")
    response = requests.Response()
    response.status_code, response.raw, response.reason = 418, raw, "Not Sent"
    response._content, response._content_consumed = body, True  # type: ignore[attr-defined]
    response.headers = CaseInsensitiveDict(raw.headers)
    response.request, response.url, response.encoding = request, request.url, "utf-8"
    response.elapsed = timedelta(0)
    setattr(request, REFUSED_MARK, reason)
    return response


@contextmanager
def guarded_transport(ctx: "KitContext", refused_cases: set[str]) -> Iterator[None]:
    """Route schemathesis' requests through the kit's guard for the duration of a run."""
    from schemathesis.core import SCHEMATHESIS_TEST_CASE_HEADER
    from schemathesis.transport.requests import SameHostRedirectsSession

    guard = ctx.guard
    had_own = "send" in SameHostRedirectsSession.__dict__
    original = SameHostRedirectsSession.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        try:
            guard.before(request.method or "GET")
        except RequestRefused as exc:
            case_id = request.headers.get(SCHEMATHESIS_TEST_CASE_HEADER)
            if case_id:
                refused_cases.add(case_id)
            return _refused_response(request, str(exc))
        status = None
        try:
            response = original(self, request, **kwargs)
            status = response.status_code
            return response
        finally:
            guard.after(request.method or "GET", status)

    SameHostRedirectsSession.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        if had_own:
            SameHostRedirectsSession.send = original  # type: ignore[method-assign]
        else:
            del SameHostRedirectsSession.send


@contextmanager
def private_hypothesis_home() -> Iterator[None]:
    """Keep Hypothesis' files (.hypothesis/) out of the user's working directory during a run."""
    import hypothesis.configuration as configuration

    key = "__hypothesis_home_directory"
    previous = vars(configuration).get(key)
    if previous is not None or os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="backup-contracts-") as directory:
        configuration.set_hypothesis_home_dir(directory)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(previous)


def applicable_checks(ctx: "KitContext") -> list[str]:
    checks = list(BUILTIN_CHECKS)
    if not ctx.options.allow_writes:
        checks.remove("ensure_resource_availability")
    return checks


def run(ctx: "KitContext", progress: Callable[[str], None]) -> FuzzOutcome:
    import schemathesis
    from schemathesis.engine import events, from_schema

    sids = [str(item["sid"]) for item in ctx.inventory()]
    checks = applicable_checks(ctx)
    schema = schemathesis.openapi.from_dict(narrow(ctx.spec, ctx.options.org_sid, sids),
                                            config=_config(ctx, checks, not sids))
    notes = [f"generation narrowed: {line}" for line in describe(ctx.options.org_sid, sids)]
    if not ctx.options.allow_writes:
        schema = schema.exclude(operation_id="createBackup")
        notes.append("createBackup not generated: the run is read-only (--allow-writes includes it, "
                     "within --max-writes)")
    for name, why in NOT_APPLICABLE.items():
        notes.append(f"{name}: not applicable ({why})")
    if "ensure_resource_availability" not in checks:
        notes.append("ensure_resource_availability: needs --allow-writes")

    tolerated: list[Tolerated] = []
    refused_cases: set[str] = set()

    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        reason = classify(case, response)
        if reason is None and failure.case_id in refused_cases:
            reason = "a follow-up request the kit's guard did not send"
        if reason is None:
            return True
        check = next((name for name in BUILTIN_CHECKS if name in failure.checks), type(failure).__name__)
        tolerated.append(Tolerated(reason, check, case.operation.label, response.status_code))
        return False

    schema.hooks.register_hook_with_name(filter_failure, "filter_failure")
    outcome = FuzzOutcome(results=[], tolerated=tolerated, notes=notes)
    collected: dict[str, _Collected] = {name: _Collected() for name in checks}
    with guarded_transport(ctx, refused_cases), private_hypothesis_home():
        for event in from_schema(schema).execute():
            _consume(ctx, event, events, collected, outcome, progress)
    outcome.results = [_result(ctx, name, collected[name]) for name in checks]
    return outcome


@dataclass
class _Collected:
    runs: int = 0
    findings: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    duplicates: int = 0


def _consume(ctx: "KitContext", event: Any, events: Any, collected: dict[str, _Collected],
             outcome: FuzzOutcome, progress: Callable[[str], None]) -> None:
    redact = ctx.redact
    if isinstance(event, events.PhaseStarted) and event.phase.name.value in ("examples", "coverage", "fuzzing",
                                                                             "stateful"):
        progress(f"schemathesis {event.phase.name.value} phase ...")
    elif isinstance(event, events.PhaseFinished) and event.phase.name.value in ("examples", "coverage",
                                                                                "fuzzing", "stateful"):
        skip = f" (skipped: {event.phase.skip_reason.value})" if event.phase.skip_reason else ""
        status = "nothing to do" if event.phase.name.value == "stateful" and outcome.no_links else event.status.value
        progress(f"schemathesis {event.phase.name.value} phase: {status}{skip}")
    elif isinstance(event, events.ScenarioFinished):
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
                    continue
                interaction = recorder.interactions.get(failure.case_id or case_id) or recorder.interactions.get(
                    case_id)
                response = interaction.response if interaction is not None else None
                body = response.content.decode("utf-8", "replace")[:1200] if response is not None else None
                bucket.findings[key] = Finding(
                    summary=redact(failure.title),
                    expected=redact(failure.message),
                    curl=redact(node.failure_info.code_sample),
                    status=response.status_code if response is not None else None,
                    body=redact(body) if body is not None else None,
                    operation=failure.operation,
                    extra=f"schemathesis {failure.code}, {event.phase.value} phase",
                )
    elif isinstance(event, events.NonFatalError):
        message = redact(f"{event.label}: {event.info.title}: {event.info.message}")
        if isinstance(event.value, NoLinksFound):
            # Read-only and nothing listed: no link can be followed, which says nothing about the server.
            outcome.no_links = True
            outcome.notes.append("stateful phase: no link to follow (the create operation is not generated "
                                 "and the list shows nothing to infer links from)")
            return
        outcome.errors.append(message)
        kind = str(getattr(event.info.kind, "value", ""))
        if kind.startswith(("connection", "network", "server_unavailable")):
            outcome.network_error = True
        progress(f"schemathesis error: {message.splitlines()[0]}")
    elif isinstance(event, events.FatalError):
        outcome.errors.append(redact(f"schemathesis stopped: {type(event.exception).__name__}: {event.exception}"))


def _result(ctx: "KitContext", name: str, collected: _Collected) -> CheckResult:
    result = CheckResult(f"schemathesis.{name}", BUILTIN_CHECKS[name])
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
