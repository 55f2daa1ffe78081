"""The write budget, applied to schemathesis' generation through its public hooks.

A creating request (any method but GET, HEAD, OPTIONS, TRACE) is generated only while the budget
lasts: `filter_case` drops it before it exists otherwise, and counts it as not sent. A case that
goes out reserves its units in `before_call` (the kit's RequestGuard, the same one its own
requests pass) and gets them back in `after_call` when the answer shows nothing was created.
A case whose Content-Type the operation does not document reserves two units, because
schemathesis may send it once more with the documented type when the server fails on it.
Checks that send their own derived requests on a creating operation (ignored_auth's probes) are
turned off for such operations in the config (see fuzzing); the kit's own checks cover them
within the budget.
"""

from __future__ import annotations

import unittest
from collections.abc import Callable
from typing import Any

from .guard import READ_METHODS, RequestGuard
from .spec import Spec

UNSURE_CONTENT_TYPE_UNITS = 2


class WriteBudget:
    """filter_case, before_call and after_call hooks bound to one schema and one guard."""

    def __init__(self, guard: RequestGuard, spec: Spec) -> None:
        self.guard = guard
        self.spec = spec
        self.schema: Any = None  # the schemathesis schema the hooks act for (before_call is process-wide)
        self.ends_scenarios = False  # in the stateful phase: end the scenario rather than reject the case
        self._reserved: dict[str, int] = {}

    @staticmethod
    def creating(case: Any) -> bool:
        return str(case.method).upper() not in READ_METHODS

    def units(self, case: Any) -> int:
        headers = {str(key).lower(): value for key, value in (case.headers or {}).items()}
        operation = next((op for op in self.spec.operations if op.path == case.operation.path
                          and op.method == str(case.method).lower()), None)
        body = operation.definition.get("requestBody") if operation else None
        declared = set((body or {}).get("content") or {})
        sent = str(headers.get("content-type") or case.media_type or "").split(";")[0].strip()
        return UNSURE_CONTENT_TYPE_UNITS if sent and declared and sent not in declared else 1

    def filter_case(self, context: Any, case: Any) -> bool:
        """Keep a case unless it creates and the budget cannot pay for it.

        In the stateful phase such a case ends its scenario instead (unittest.SkipTest, the way tests
        skip): rejecting it would let Hypothesis draw creates the budget refuses for as long as it keeps
        trying. The coverage phase's cases are a fixed list, so a rejected one is simply not sent.
        """
        if not self.creating(case) or self.guard.remaining >= self.units(case):
            return True
        self.guard.not_sent += 1
        if self.ends_scenarios:
            raise unittest.SkipTest(f"write budget spent (--max-writes {self.guard.max_writes})")
        return False

    def before_call(self, context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        if self.schema is None or case.operation.schema is not self.schema or not self.creating(case):
            return
        units = self.units(case)
        self.guard.reserve(str(case.method), units)  # RequestRefused (never expected: filter_case ran first)
        self._reserved[str(case.id)] = units

    def hooks(self) -> dict[str, Callable[..., Any]]:
        """The hooks as plain functions, by hook name (schemathesis annotates what it registers)."""
        def filter_case(context: Any, case: Any) -> bool:
            return self.filter_case(context, case)

        def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
            self.before_call(context, case, kwargs)

        def after_call(context: Any, case: Any, response: Any) -> None:
            self.after_call(context, case, response)

        return {"filter_case": filter_case, "before_call": before_call, "after_call": after_call}

    def after_call(self, context: Any, case: Any, response: Any) -> None:
        units = self._reserved.pop(str(case.id), 0)
        if not units:
            return
        status = int(response.status_code)
        refund = units if 300 <= status < 500 else units - 1 if status < 500 else 0
        self.guard.refund(refund)
