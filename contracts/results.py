"""What a run found: one CheckResult per check, each with its findings.

A finding is everything a reader needs to act on it without rerunning the kit: the rule broken,
the field, what the spec expects and what came, the request as a curl line, the answer, and the
seed. Findings of several checks that break the same rule are one problem: the check that names
it best keeps it as the root, the others list theirs as "also seen" (see grouping).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
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
    rule: str = ""  # the rule id of the inventory it breaks
    field: str = ""  # a JSON pointer (see contracts.rules.validation) or a parameter
    received: str = ""
    occurrences: int = 1
    root_of: str = ""  # set on a consequence: the check holding the root finding
    also_seen: list[str] = dataclasses.field(default_factory=list)  # set on a root: where its consequences showed

    def render(self, seed: int | None = None) -> str:
        lines = [self.summary + (f" (seen {self.occurrences} times)" if self.occurrences > 1 else "")]
        if self.rule:
            lines.append(f"  rule:      {self.rule}" + (f"  field: {self.field}" if self.field else ""))
        if self.operation:
            lines.append(f"  operation: {self.operation}")
        if self.expected:
            lines.append(f"  expected:  {_indent(self.expected)}")
        if self.received:
            lines.append(f"  received:  {_indent(self.received)}")
        if self.status is not None or self.body is not None:
            lines.append(f"  answer:    {self.status if self.status is not None else 'no answer'}"
                         + (f" {_indent(self.body)}" if self.body else ""))
        if self.extra:
            lines.append(f"  details:   {_indent(self.extra)}")
        if self.curl:
            lines.append(f"  request:   {_indent(self.curl)}")
        if self.also_seen:
            lines.append(f"  also seen: {_indent(chr(10).join(self.also_seen))}")
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
    findings: list[Finding] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    reason: str = ""  # why skipped or errored
    duration: float = 0.0
    requests: int = 0
    rules: tuple[str, ...] = ()  # rule ids of the inventory this check probes

    @property
    def theme(self) -> str:
        return self.check_id.split(".", 1)[0]

    @property
    def roots(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.root_of]

    @property
    def consequences(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.root_of]
