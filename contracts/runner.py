"""One run of the kit: preflight, the themes in order, grouping of findings, and the verdict.

The CLI and the pytest plugin both drive this module, so both run exactly the same checks.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import preflight
from .checks import THEME_CHECKS, Check, Recorder, Skip
from .checks.base import FOREIGN, MEMBER, WRITES
from .context import KitContext
from .coverage import coverage
from .errors import ConnectionProblem, ContractKitError, RequestRefused
from .grouping import group
from .infrastructure import Tolerated
from .options import THEMES, Options
from .results import CheckResult, Status
from .spec import Spec

EXIT_OK, EXIT_NONCONFORMANT, EXIT_USAGE = 0, 1, 2
Progress = Callable[[str], None]
WORDS = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.SKIPPED: "SKIP", Status.ERROR: "ERROR"}


@dataclass
class RunReport:
    options: Options
    results: list[CheckResult] = field(default_factory=list)
    tolerated: list[Tolerated] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # usage and connection problems
    fuzz_cases: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    requests: int = 0
    writes_used: int = 0
    writes_not_sent: int = 0
    spec_path: str = ""
    base_url: str = ""

    @property
    def exit_code(self) -> int:
        if self.errors or any(result.status is Status.ERROR for result in self.results):
            return EXIT_USAGE
        if any(result.status is Status.FAILED for result in self.results):
            return EXIT_NONCONFORMANT
        return EXIT_OK

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def writes_line(self) -> str | None:
        """The budget as one informational line, when writes were allowed or refused."""
        if not self.options.allow_writes and not self.writes_not_sent:
            return None
        line = f"writes: {self.writes_used} used of {self.options.max_writes if self.options.allow_writes else 0}"
        if self.writes_not_sent:
            line += f"; {self.writes_not_sent:,} further POST{'s' if self.writes_not_sent != 1 else ''} not sent"
        return line


def needs_text(options: Options, need: str) -> str:
    """Why a check was skipped, naming the options as this route (command line or pytest) spells them."""
    return {
        MEMBER: f"needs a member token ({options.flag('member_token')})",
        FOREIGN: f"needs a second organization ({options.flag('foreign_org_sid')} and "
                 f"{options.flag('foreign_token')})",
        WRITES: f"needs writes allowed ({options.flag('allow_writes')}): the kit is read-only by default",
    }[need]


class Run:
    """A prepared run whose themes can be executed all at once or one by one (pytest)."""

    def __init__(self, options: Options, progress: Progress = lambda text: None) -> None:
        self.options = options
        self.progress = progress
        self.report = RunReport(options)
        self.started = time.monotonic()
        self.ctx: KitContext | None = None
        self.ready = False
        self.ranking: dict[str, list[str]] = {}
        self.preloading: threading.Thread | None = None

    def prepare(self) -> bool:
        """Load the spec and pass preflight; False (with report.errors set) when the run cannot go on."""
        try:
            spec = Spec.load(self.options.spec)
            self.report.spec_path = str(spec.path)
            self.ctx = KitContext(self.options, spec)
            self.report.base_url = self.ctx.client.base_url
            self.ranking = {rule.rule_id: checks for rule, checks in coverage(spec)}
            if self.ctx.client.base_url != self.options.base_url.rstrip("/"):
                self.report.notes.append(f"--base-url has no path: the spec's server prefix {spec.prefix!r} is "
                                         f"used ({self.ctx.client.base_url})")
            self.progress(f"preflight: {self.ctx.list_url()}")
            self.report.notes += preflight.check(self.ctx)
            count = len(self.ctx.listing())
            self.progress(f"preflight: ok, credentials as {self.ctx.form.name}, {count} backup(s) listed")
        except ContractKitError as exc:
            self.report.errors.append(self._redact(str(exc)))
            return False
        except Exception as exc:  # never a traceback that might quote a header value
            self.report.errors.append(self._redact(f"the kit failed during preflight: {type(exc).__name__}: {exc}"))
            return False
        self.ready = True
        if "schemathesis" in self.options.checks:
            from .fuzzing import preload

            self.preloading = preload()
        return True

    def _redact(self, text: str) -> str:
        return self.ctx.redact(text) if self.ctx else text

    def themes(self) -> Iterator[str]:
        for theme in THEMES:  # always the canonical order: reads, then writes, then generation
            if theme in self.options.checks:
                yield theme

    def run_theme(self, theme: str) -> list[CheckResult]:
        assert self.ctx is not None and self.ready
        if theme == "schemathesis":
            results = self._run_schemathesis()
        else:
            results = [self.run_check(check) for check in THEME_CHECKS[theme]]
        for result in results:
            result.rules = tuple(rule for rule, checks in self.ranking.items() if result.check_id in checks)
        self.report.results += results
        return results

    def run_check(self, check: Check) -> CheckResult:
        ctx = self.ctx
        assert ctx is not None
        result = CheckResult(check.check_id, check.title)
        missing = [need for need in check.needs if not _has(ctx, need)]
        if missing:
            result.status, result.reason = Status.SKIPPED, needs_text(ctx.options, missing[0])
            self.progress(f"SKIP  {check.check_id}: {result.reason}")
            return result
        started, sent = time.monotonic(), ctx.client.sent
        try:
            check.run(ctx, Recorder(ctx, result))
        except Skip as exc:
            result.status, result.reason = Status.SKIPPED, str(exc)
        except (ConnectionProblem, RequestRefused) as exc:
            result.status, result.reason = Status.ERROR, ctx.redact(str(exc))
        except Exception as exc:  # a bug in the kit must not pass for a verdict on the server
            result.status = Status.ERROR
            result.reason = ctx.redact(f"the kit failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        if result.status is Status.PASSED and result.findings:
            result.status = Status.FAILED
        result.duration, result.requests = time.monotonic() - started, ctx.client.sent - sent
        detail = f" ({len(result.findings)} problem(s))" if result.findings else (
            f": {result.reason.splitlines()[0]}" if result.reason else "")
        self.progress(f"{WORDS[result.status]:<5} {check.check_id}{detail}")
        return result

    def _run_schemathesis(self) -> list[CheckResult]:
        from . import fuzzing

        ctx = self.ctx
        assert ctx is not None
        started = time.monotonic()
        if self.preloading is not None:
            self.preloading.join()
        try:
            outcome = fuzzing.run(ctx, self.progress)
        except Exception as exc:  # schemathesis' own errors, or a bug: no verdict either way
            result = CheckResult("schemathesis.run", "schemathesis' generation ran", Status.ERROR,
                                 reason=ctx.redact(f"{type(exc).__name__}: {exc}"))
            self.progress(f"ERROR schemathesis.run: {result.reason.splitlines()[0]}")
            return [result]
        self.report.tolerated += outcome.tolerated
        self.report.fuzz_cases = outcome.cases
        self.report.notes += outcome.notes
        results = outcome.results
        if outcome.errors:
            results.append(CheckResult("schemathesis.run", "schemathesis' generation ran to the end",
                                       Status.ERROR, reason="\n".join(outcome.errors)))
        elapsed = time.monotonic() - started
        for result in results:
            result.duration = elapsed / max(1, len(results))
            self.progress(f"{WORDS[result.status]:<5} {result.check_id}"
                          + (f" ({len(result.findings)} problem(s))" if result.findings else ""))
        return results

    def finish(self) -> RunReport:
        if self.ctx is not None:
            self.report.requests = self.ctx.client.sent
            self.report.writes_used = self.ctx.guard.used
            self.report.writes_not_sent = self.ctx.guard.not_sent
            self.ctx.close()
        group(self.report.results, self.ranking)
        self.report.duration = time.monotonic() - self.started
        return self.report


def _has(ctx: KitContext, need: str) -> bool:
    options = ctx.options
    return {MEMBER: bool(options.member_token), FOREIGN: options.has_foreign,
            WRITES: options.allow_writes}.get(need, True)


def execute(options: Options, progress: Progress = lambda text: None) -> RunReport:
    """Run every selected theme and return the report."""
    run = Run(options, progress)
    if run.prepare():
        for theme in run.themes():
            try:
                run.run_theme(theme)
            except KeyboardInterrupt:
                run.report.errors.append("interrupted")
                break
    return run.finish()
