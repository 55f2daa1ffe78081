"""Ready-made scenario rules for what a frontend must survive (`GET /__mock/recipes`, the panel's buttons).

    expired-token        every operation answers 401 `Invalid token.` (DRF's answer to a token it no longer knows)
    server-down          every operation answers 503
    slow-create          creating a backup takes 3 to 8 s ("might take a while", the notes say)
    empty-organization   the list answers the documented empty page
    flaky-network        a third of the requests get their connection reset

Each is built from the spec (operationIds by `x-role`, example names) and checked like any rule,
so a recipe the spec cannot support is left out rather than offered broken.
"""

from __future__ import annotations

from typing import Any

from mockserver.frontend.rules import ANY, RuleBook, RuleError
from mockserver.spec.model import CREATE, LIST


def recipes(book: RuleBook) -> list[dict[str, Any]]:
    """The recipes the spec supports: name, title, description and the rule to post."""
    model = book.model
    create = next((operation.operation_id for operation in model.by_role(CREATE)), None)
    listing = next((operation.operation_id for operation in model.by_role(LIST)), None)
    candidates: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("expired-token", "Expired token", "Every call answers 401 'Invalid token.', as DRF answers a token "
         "it no longer knows: the app should send the user to log in again.",
         {"operation": ANY, "respond": {"code": 401, "example": "invalidToken"}}),
        ("server-down", "Server down", "Every call answers 503 Service Unavailable.",
         {"operation": ANY, "respond": {"code": 503}}),
        ("slow-create", "Slow create", "Creating a backup takes 3 to 8 seconds.",
         {"operation": create, "respond": {"delay": "3-8s"}} if create else None),
        ("empty-organization", "Empty organization", "The list answers the documented empty page.",
         {"operation": listing, "respond": {"example": "empty"}} if listing else None),
        ("flaky-network", "Flaky network", "A third of the calls get their connection reset, with no answer.",
         {"operation": ANY, "respond": {"fault": "reset"}, "probability": 0.3}),
    ]
    found = []
    for name, title, description, rule in candidates:
        if rule is None:
            continue
        rule = {"name": title, **rule}
        try:
            book.parse(rule)
        except RuleError:
            continue
        found.append({"name": name, "title": title, "description": description, "rule": rule})
    return found
