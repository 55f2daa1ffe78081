"""A Markdown summary of the run for GitHub Actions, appended to `$GITHUB_STEP_SUMMARY` when set.

One table row per check (verdict, problems, consequences, what it probes), then each problem
once with its rule, field, expected and received value. Redacted like everything else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from .reporting import verdict
from .results import Status
from .runner import RunReport

ICONS = {Status.PASSED: "✅ pass", Status.FAILED: "❌ fail", Status.SKIPPED: "⏭️ skip", Status.ERROR: "⚠️ error"}
MAX_PROBLEMS = 20


def _cell(text: str) -> str:
    return " ".join(str(text).replace("|", "\\|").split())


def markdown(report: RunReport, redact: Callable[[str], str]) -> str:
    lines = [f"### Backup API contract: {verdict(report)}", "",
             f"`{report.base_url or report.options.base_url}`, seed `{report.seed}` (replay with `--seed "
             f"{report.seed}`), {report.duration:.1f}s", ""]
    if report.errors:
        lines += [f"> {_cell(error)}" for error in report.errors] + [""]
    lines += ["| check | verdict | problems | consequences | note |", "|---|---|---|---|---|"]
    for result in report.results:
        note = result.reason.splitlines()[0] if result.reason else ""
        lines.append(f"| `{result.check_id}` | {ICONS[result.status]} | {len(result.roots)} | "
                     f"{len(result.consequences)} | {_cell(note)} |")
    problems = [(result, finding) for result in report.results for finding in result.roots]
    if problems:
        lines += ["", "#### Problems", "", "| check | rule | field | expected | received |", "|---|---|---|---|---|"]
        for result, finding in problems[:MAX_PROBLEMS]:
            lines.append(f"| `{result.check_id}` | `{finding.rule}` | `{_cell(finding.field)}` | "
                         f"{_cell(finding.expected)[:120]} | {_cell(finding.received)[:120]} |")
        if len(problems) > MAX_PROBLEMS:
            lines.append(f"\n{len(problems) - MAX_PROBLEMS} more in the console output and `--report-json`.")
    if report.writes_line:
        lines += ["", report.writes_line]
    return redact("\n".join(lines) + "\n")


def append_step_summary(report: RunReport, redact: Callable[[str], str],
                        env: Mapping[str, str] | None = None) -> Path | None:
    """Append the summary to the file GitHub names in GITHUB_STEP_SUMMARY; the path, or None when unset."""
    target = (os.environ if env is None else env).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown(report, redact) + "\n")
    return path
