"""What a run found: one CheckResult per check, each with its findings.

A finding is everything a reader needs to act on it without rerunning the kit: the request
as a curl line, the status and body received, what the spec expected, and the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"  # the kit could not finish the check (no answer, usage problem)


@dataclass
class Finding:
    """One nonconformance."""

    summary: str
    expected: str = ""
    curl: str | None = None
    status: int | None = None
    body: str | None = None
    operation: str | None = None
    extra: str = ""  # e.g. schemathesis' own explanation, the phase

    def render(self, seed: int | None = None) -> str:
        lines = [self.summary]
        if self.operation:
            lines.append(f"  operation: {self.operation}")
        if self.expected:
            lines.append(f"  expected:  {_indent(self.expected)}")
        if self.status is not None or self.body is not None:
            lines.append(f"  received:  {self.status if self.status is not None else 'no answer'}"
                         + (f" {_indent(self.body)}" if self.body else ""))
        if self.extra:
            lines.append(f"  details:   {_indent(self.extra)}")
        if self.curl:
            lines.append(f"  request:   {_indent(self.curl)}")
        if seed is not None:
            lines.append(f"  replay:    seed {seed} (--seed, CONTRACT_SEED)")
        return "\n".join(lines)


def _indent(text: str) -> str:
    return text.replace("\n", "\n             ")


@dataclass
class CheckResult:
    check_id: str
    title: str
    status: Status = Status.PASSED
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: str = ""  # why skipped or errored
    duration: float = 0.0
    requests: int = 0

    @property
    def theme(self) -> str:
        return self.check_id.split(".", 1)[0]
