"""`--report-json FILE`: the whole run as JSON, for tools and for the record.

Every check (verdict, rules it probes, findings with rule, field, expected, received, curl line,
answer, and where a consequence's root is), the answers set apart, notes, the write budget,
the options (secrets shown only as set or not) and the seed. Every string passes through the
run's redactor, so no token reaches the file.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__
from .options import describe
from .reporting import verdict
from .runner import RunReport

FORMAT = 1


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(key): _redacted(item, redact) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(item, redact) for item in value]
    return value


def document(report: RunReport, redact: Callable[[str], str]) -> dict[str, Any]:
    checks = []
    for result in report.results:
        checks.append({
            "id": result.check_id, "title": result.title, "status": result.status.value, "reason": result.reason,
            "duration": round(result.duration, 3), "requests": result.requests, "rules": list(result.rules),
            "notes": result.notes,
            "findings": [dataclasses.asdict(finding) for finding in result.findings],
        })
    data = {
        "format": FORMAT, "tool": "backup-contracts", "version": __version__,
        "verdict": verdict(report), "exit_code": report.exit_code, "seed": report.seed,
        "replay": f"--seed {report.seed}", "spec": report.spec_path, "base_url": report.base_url,
        "options": describe(report.options), "duration": round(report.duration, 3),
        "requests": report.requests, "generated_cases": report.fuzz_cases,
        "writes": {"allowed": report.options.allow_writes, "used": report.writes_used,
                   "max": report.options.max_writes, "not_sent": report.writes_not_sent},
        "checks": checks,
        "not_attributed": [dataclasses.asdict(item) for item in report.tolerated],
        "notes": report.notes, "errors": report.errors,
    }
    return dict(_redacted(data, redact))


def write(report: RunReport, path: Path, redact: Callable[[str], str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(report, redact), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
