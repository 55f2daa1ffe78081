"""Deliberately broken variants of the Backup API, to prove each check of the kit fails when it should.

One correct reference implementation (app.py) with a switch per bug (bugs.py). `serve()` puts
every variant behind one server: `/<variant>/v1/...`, where the variant is `correct` or a bug
name, optionally followed by `--<label>` for a fresh instance with its own data.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from .app import create_app
from .bugs import BUGS, Bug
from .data import credentials

__all__ = ["BUGS", "Bug", "create_app", "credentials", "VariantRouter"]


class VariantRouter:
    """ASGI app dispatching `/<variant>/...` to that variant's app, created on first use.

    `GET /__state/<variant>` tells what the variant received (methods, backups created), so
    tests can prove what the kit did and did not send.
    """

    def __init__(self) -> None:
        self.apps: dict[str, Any] = {}
        self.methods: dict[str, Counter[str]] = defaultdict(Counter)

    def app_for(self, variant: str) -> Any | None:
        bug = variant.split("--", 1)[0]
        if bug != "correct" and bug not in BUGS:
            return None
        if variant not in self.apps:
            self.apps[variant] = create_app(frozenset() if bug == "correct" else frozenset({bug}))
        return self.apps[variant]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        variant, _, rest = scope["path"].lstrip("/").partition("/")
        if variant == "__state":
            await self.state(rest, send)
            return
        app = self.app_for(variant)
        if app is None:
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"detail": "Not found."}'})
            return
        self.methods[variant][scope["method"]] += 1
        prefix = f"/{variant}"
        child = dict(scope, root_path=scope.get("root_path", "") + prefix)
        await app(child, receive, send)

    async def state(self, variant: str, send: Any) -> None:
        app = self.apps.get(variant.strip("/"))
        body = {"methods": dict(self.methods.get(variant.strip("/"), {})),
                "created": app.state.api.created if app is not None else 0}
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})
