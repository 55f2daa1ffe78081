"""The control panel at /__mock/: the journal live, the scenario rules with the recipes, reset.

Plain HTML, JavaScript and CSS in static/panel/ (no build step, no CDN: it works offline),
served by the mock behind the control plane's guard like every /__mock route. A strict
Content-Security-Policy keeps every script and style on the mock and lets the page talk to the
mock alone; the page writes what it shows with `textContent` only, since the journal holds what
any client sent. Its changes are JSON POSTs and DELETEs, the only ones the guard lets through.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mockserver.control.guard import PREFIX

PANEL_DIR = Path(__file__).resolve().parent.parent / "static" / "panel"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}


def panel_routes() -> list[BaseRoute]:
    page = (PANEL_DIR / "index.html").read_text(encoding="utf-8")

    async def panel(request: Request) -> Response:
        return HTMLResponse(page, headers=HEADERS)

    return [
        Route(f"{PREFIX}/", panel, methods=["GET"]),
        Mount(f"{PREFIX}/panel", app=StaticFiles(directory=PANEL_DIR), name="panel-static"),
    ]
