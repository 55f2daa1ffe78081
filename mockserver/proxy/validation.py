"""Validation as traffic flows: every exchange through the proxy judged by the contract kit's rules.

Each rule has one definition, the kit's `contracts.rules.validate` (it needs only PyYAML and
jsonschema_rs). This module is the only place the mock imports the kit (`contracts.rules`,
`contracts.spec` and `contracts.errors`, loaded when `--proxy` is given); the kit never imports the mock. Without them
`load_judge` fails in one line, and `--proxy` exits 2.

A verdict goes four ways: the `Contract-Violations` header (`2; listBackups.status at /status,
+1 more`), the journal entry and the console line (through notes.py), and the book behind
`GET /__mock/violations`: grouped by rule, with a count and the last example of each.
Only what the upstream answered is judged: forced answers, rules' answers and fallback answers
are the mock's own. A HEAD answer has no body by definition: its body's violations are dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mockserver.control.journal import format_time
from mockserver.control.redaction import Redactor
from mockserver.exceptions import MockServerError

SHOWN_RULES = 2  # rules named in the header; the rest counted
MAX_HEADER = 300  # characters of the header's value


class ProxyError(MockServerError):
    """--proxy cannot run (the kit's rules cannot be imported, or the kit refuses the spec)."""


class Unjudged(Exception):
    """The kit raised instead of judging (a body nested too deeply, say): the answer still goes, said so."""


@dataclass(frozen=True)
class Found:
    """One violation, as the journal and /__mock/violations show it."""

    rule: str
    pointer: str
    message: str
    expected: str
    received: str
    side: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)


class Judge:
    """Judges one exchange with the kit's `validate` and the spec the kit loaded."""

    def __init__(self, spec: Any, validate: Callable[..., list[Any]], request: type, answer: type) -> None:
        self.spec, self._validate, self._request, self._answer = spec, validate, request, answer

    def judge(self, method: str, path: str, query: str, status: int, headers: list[tuple[bytes, bytes]],
              body: bytes) -> list[Found]:
        """The violations of an exchange. No request header is passed: the rules judge none, and
        credentials have no business here."""
        shown: dict[str, str] = {}
        for name, value in headers:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            shown[key] = f"{shown[key]}, {text}" if key in shown else text
        try:
            violations = self._validate(self.spec, self._request(method, path, query, {}),
                                        self._answer(status, shown, body))
        except Exception as exc:  # whatever the kit raises, the upstream's answer must still reach the client
            text = str(exc).splitlines()[0][:120] if str(exc) else ""
            raise Unjudged(f"{type(exc).__name__}{': ' + text if text else ''}") from None
        found = [Found(v.rule, v.pointer, v.message, v.expected, v.received, v.side) for v in violations]
        if method == "HEAD":
            found = [item for item in found if not item.pointer.startswith("/body")]
        return found


def load_judge(spec_path: Path) -> Judge:
    """The judge, with the spec as the kit reads it; ProxyError (one line) when it cannot be had."""
    try:
        from contracts.errors import ContractKitError
        from contracts.rules import Answer, Request, validate
        from contracts.spec import Spec
    except ImportError as exc:
        raise ProxyError(f"--proxy validates with the contract kit's rules (contracts.rules), which cannot be "
                         f"imported here ({exc}); install the whole project (pip install labii-backup-mock)") from None
    try:
        spec = Spec.load(spec_path)
    except ContractKitError as exc:
        raise ProxyError(f"--proxy: the contract kit cannot judge by {spec_path}: {exc}") from None
    return Judge(spec, validate, Request, Answer)


def summary(found: list[Found] | str) -> str:
    """The header's value: the count, then the first rules and where they were broken (or, when the
    kit could not judge, `unjudged; why`)."""
    if isinstance(found, str):
        text = f"unjudged; {found}"
    elif not found:
        return "0; conforms"
    else:
        named = [f"{item.rule} at {item.pointer}" for item in found[:SHOWN_RULES]]
        more = f", +{len(found) - SHOWN_RULES} more" if len(found) > SHOWN_RULES else ""
        text = f"{len(found)}; {', '.join(named)}{more}"
    text = "".join(char if " " <= char <= "~" else "?" for char in text)  # a header value: printable ASCII
    return text if len(text) <= MAX_HEADER else text[:MAX_HEADER - 3] + "..."


def console(found: list[Found]) -> str:
    """What the console line adds: the count and the first rule."""
    more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
    return f"! {len(found)} contract violation{'s' if len(found) > 1 else ''}: {found[0].rule}{more}"


@dataclass
class _Tally:
    count: int
    side: str
    last: dict[str, Any]


class ViolationBook:
    """Every violation seen since the last clear, grouped by rule (GET/DELETE /__mock/violations).

    Bounded without a limit to set: rule ids come from the spec, so there are as many groups as
    rules at most, each keeping one example."""

    def __init__(self) -> None:
        self.redactor = Redactor()  # a query's secret-named parameters (`?token=`) are not shown
        self.rules: dict[str, _Tally] = {}
        self.judged = 0  # exchanges judged
        self.failing = 0  # ...of which with at least one violation
        self.unjudged = 0  # exchanges the kit could not judge (Unjudged)

    def clear(self) -> None:
        self.rules.clear()
        self.judged = self.failing = self.unjudged = 0

    def add(self, method: str, path: str, query: str, status: int, found: list[Found]) -> None:
        self.judged += 1
        if not found:
            return
        self.failing += 1
        when, query = format_time(time.time()), self.redactor.query(query)
        for item in found:
            example = {**item.as_json(), "method": method, "path": path, "query": query, "status": status,
                       "time": when}
            tally = self.rules.get(item.rule)
            if tally is None:
                self.rules[item.rule] = _Tally(1, item.side, example)
            else:
                tally.count += 1
                tally.last = example

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(self.rules.items(), key=lambda pair: (-pair[1].count, pair[0]))
        return {
            "judged": self.judged,
            "with_violations": self.failing,
            "violations": sum(tally.count for tally in self.rules.values()),
            "unjudged": self.unjudged,
            "rules": [{"rule": rule, "count": tally.count, "side": tally.side, "last": tally.last}
                      for rule, tally in ordered],
        }
