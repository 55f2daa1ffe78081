"""Console output: progress while the run goes, then each problem once (its root finding, with
where else it showed), the answers set apart, notes, the write budget in one line, the verdict.

Everything printed passes through the run's redactor first.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import TextIO

from . import __version__
from .options import Options, describe
from .results import CheckResult, Status
from .runner import EXIT_NONCONFORMANT, EXIT_OK, WORDS, RunReport

RULE = "=" * 78


class Console:
    def __init__(self, stream: TextIO | None = None, redact: Callable[[str], str] = lambda text: text) -> None:
        self.stream = stream or sys.stdout
        self.redact = redact

    def line(self, text: str = "") -> None:
        self.stream.write(self.redact(text) + "\n")
        self.stream.flush()

    def progress(self, text: str) -> None:
        self.line(f"  {text}")


def header(console: Console, options: Options) -> None:
    shown = describe(options)
    console.line(f"backup-contracts {__version__}: checking {shown['base_url']} against the contract")
    console.line(f"  seed {options.seed}  max-examples {shown['max_examples']}  writes "
                 + (f"allowed (at most {shown['max_writes']})" if options.allow_writes else "off (read-only)")
                 + f"  themes {shown['checks']}")


def verdict(report: RunReport) -> str:
    return {EXIT_OK: "CONFORMS: every check passed",
            EXIT_NONCONFORMANT: "DOES NOT CONFORM: see the failures above"}.get(
        report.exit_code, "INCOMPLETE: usage or connection error (exit 2)")


def outcome(result: CheckResult) -> str:
    """A check's verdict in a few words: problems, consequences of another check's, or why not run."""
    roots, echoes = result.roots, result.consequences
    if result.findings:
        parts = [f"{len(roots)} problem(s)"] if roots else []
        if echoes:
            sources = ", ".join(sorted({finding.root_of for finding in echoes}))
            parts.append(f"{len(echoes)} consequence(s) of {sources}")
        return " (" + "; ".join(parts) + ")"
    return f" ({result.reason.splitlines()[0]})" if result.reason else ""


def summary(console: Console, report: RunReport) -> None:
    console.line(RULE)
    if report.errors:
        console.line("The run could not be completed:")
        for error in report.errors:
            console.line(f"  {error}")
    failed = [result for result in report.results if result.status is Status.FAILED]
    roots = sum(len(result.roots) for result in failed)
    echoes = sum(len(result.consequences) for result in failed)
    if failed:
        console.line(f"FAILURES: {roots} problem(s)" + (f"; {echoes} more finding(s) are consequences of them, "
                                                        "listed under each as 'also seen'" if echoes else ""))
        for result in failed:
            if not result.roots:
                continue
            console.line(f"--- {result.check_id}: {result.title}")
            for number, finding in enumerate(result.roots, 1):
                console.line(f"{number}. " + finding.render(report.seed))
            for note in result.notes:
                console.line(f"   note: {note}")
    for result in report.results:
        if result.status is Status.ERROR:
            console.line(f"--- {result.check_id} could not be completed: {result.reason}")
    if report.tolerated:
        console.line("Answers not attributed to the implementation (not counted as failures):")
        counts = Counter((item.reason, item.operation) for item in report.tolerated)
        for (reason, operation), count in sorted(counts.items()):
            console.line(f"  {count} x {operation}: {reason}")
    if report.notes:
        console.line("Notes:")
        for note in report.notes:
            console.line(f"  {note}")
    if report.writes_line:
        console.line(report.writes_line)
    console.line(RULE)
    if report.results:
        console.line("Per check:")
    for result in report.results:
        console.line(f"  {WORDS[result.status]:<5} {result.check_id}: {result.title}{outcome(result)}")
    verdicts = Counter(result.status for result in report.results)
    cases = sum(report.fuzz_cases.values())
    console.line(RULE)
    console.line(f"{verdicts[Status.PASSED]} passed, {verdicts[Status.FAILED]} failed, "
                 f"{verdicts[Status.SKIPPED]} skipped, {verdicts[Status.ERROR]} errors in {report.duration:.1f}s; "
                 f"{report.requests} kit requests, {cases} generated cases, {report.writes_used} write(s); "
                 f"seed {report.seed}")
    console.line(verdict(report) + (f" (replay with --seed {report.seed})"
                                    if report.exit_code == EXIT_NONCONFORMANT else ""))
