"""Mixed mode (`--proxy-fallback`): while the upstream is down, the fixtures answer as if there were no proxy.

Down means no answer at all: a refused or broken connection, or a timeout (forward.py's
Unreachable and TimedOut). Whatever the upstream does answer, a 503 of its load balancer
included, is relayed and judged: it is the service's answer.

The local answer is the mock's own handler's, exactly as without `--proxy` (credentials are
checked against the fixtures: a real token gets `Invalid token.`; use the demo tokens, or serve
a recording). It carries `Proxy-Fallback: fixtures; upstream <why>`, its journal entry says
`"proxy": {"outcome": "fallback", ...}`, and the console says once when an outage begins and
once when the upstream answers again. Every request tries the upstream first, so while it times
out each request waits `--proxy-timeout` before the fixtures answer.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from mockserver.api.endpoints import Handler
from mockserver.api.responses import error_response
from mockserver.exceptions import ApiError
from mockserver.notes import note
from mockserver.proxy import FALLBACK_HEADER as HEADER
from mockserver.proxy.forward import UpstreamError


class Fallback:
    """Answers from the local handlers while the upstream is down; says when it starts and stops."""

    def __init__(self, upstream: str, say: Callable[[str], None]) -> None:
        self.upstream = upstream  # as messages name it
        self.say = say
        self.down: str | None = None  # why the upstream is down, while it is

    async def answer(self, local: Handler, request: Request, failure: UpstreamError) -> Response:
        if self.down is None:
            self.say(f"upstream {self.upstream} is down ({failure.reason}): the fixtures answer until it is back")
        self.down = failure.reason
        note(request.scope, proxy={"outcome": "fallback", "reason": failure.reason},
             console=f"(fixtures: upstream {failure.reason})")
        try:
            response = await local(request)
        except ApiError as error:
            response = error_response(error)
        response.headers[HEADER] = f"fixtures; upstream {failure.reason}"
        return response

    def up(self) -> None:
        """The upstream answered: say so once, if it was down."""
        if self.down is not None:
            self.down = None
            self.say(f"upstream {self.upstream} is back: proxying again")
