"""The scenario rules through the control plane (the rules themselves: frontend/rules.py).

    POST   /__mock/scenarios        make a rule (a JSON object): 201 with the rule and its id, or 400 saying why
    GET    /__mock/scenarios        the rules in force, in the order they are checked
    DELETE /__mock/scenarios        remove them all
    DELETE /__mock/scenarios/{id}   remove one (404 when there is no such rule)
    GET    /__mock/recipes          ready-made rules (frontend/recipes.py), to post as they are

Behind the control plane's guard like every /__mock route (guard.py).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mockserver.api.responses import json_response
from mockserver.control.guard import PREFIX
from mockserver.frontend.recipes import recipes
from mockserver.frontend.rules import RuleBook, RuleError
from mockserver.text import shown

EXAMPLE = '{"operation": "createBackup", "respond": {"code": 503}, "times": 2}'


def scenario_routes(book: RuleBook) -> list[BaseRoute]:
    async def rules(request: Request) -> Response:
        if request.method == "GET":
            return json_response({"count": len(book.rules), "rules": [rule.as_json() for rule in book.rules]})
        if request.method == "DELETE":
            removed = book.clear()
            return json_response({"detail": f"{removed} scenario rule(s) removed.", "removed": removed})
        raw = await request.body()
        if not raw.strip():
            return json_response({"detail": f"POST a rule as a JSON object, e.g. {EXAMPLE}"}, 400)
        try:
            rule = book.add(json.loads(raw))
        except (ValueError, RecursionError) as exc:
            return json_response({"detail": f"The body is not JSON ({exc}); a rule looks like {EXAMPLE}"}, 400)
        except RuleError as error:
            return json_response({"detail": error.detail}, 400)
        return json_response(rule.as_json(), 201)

    async def one_rule(request: Request) -> Response:
        rule_id = request.path_params["rule_id"]
        removed = book.remove(rule_id)
        if removed is None:
            return json_response({"detail": f"No scenario rule {shown(rule_id)}."}, 404)
        return json_response({"detail": f"Scenario rule {rule_id} removed.", "rule": removed.as_json()})

    async def recipe_list(request: Request) -> Response:
        return json_response({"recipes": recipes(book)})

    return [
        Route(f"{PREFIX}/scenarios", rules, methods=["GET", "POST", "DELETE"]),
        Route(f"{PREFIX}/scenarios/{{rule_id}}", one_rule, methods=["DELETE"]),
        Route(f"{PREFIX}/recipes", recipe_list, methods=["GET"]),
    ]
