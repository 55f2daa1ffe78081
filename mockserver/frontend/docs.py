"""Interactive documentation served by the mock itself: `/docs`, `/openapi.yaml`, `/openapi.json`.

`/docs` is Swagger UI, vendored from the npm package swagger-ui-dist (see
`static/swagger-ui/README.md`), so it works with no internet and no CDN; a
Content-Security-Policy keeps every script, style and image on the mock. The page loads
`/openapi.json`: the spec the mock runs on, with `servers` starting at the address the page
was fetched from plus the spec's first server path (`/v1`), so "Try it out" calls this very
mock whatever its host and port (the spec's loopback entry, the mock on its default port,
gives way to it; production stays).
The demo organization's Admin token is pre-filled in Authorize (`tokenAuth`) and shown on
top of the page with the demo organization's sid.
"""

from __future__ import annotations

import copy
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mockserver.data.models import ADMIN, MEMBER
from mockserver.spec.model import BACKUP, ORGANIZATION, ApiModel
from mockserver.store.backups import BackupStore

SWAGGER_UI_VERSION = "5.35.0"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SECURITY_SCHEME = "tokenAuth"  # Authorization: Token <token>, the official client's form
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src *; frame-ancestors 'self'"
)
_CACHE_LIMIT = 16

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} &middot; mock documentation</title>
  <link rel="icon" type="image/png" href="/docs/static/swagger-ui/favicon-32x32.png" sizes="32x32">
  <link rel="stylesheet" href="/docs/static/swagger-ui/swagger-ui.css">
  <style>
    body {{ margin: 0; }}
    .mock-banner {{ font: 14px/1.5 sans-serif; background: #1b1b1b; color: #eee; padding: 10px 20px; }}
    .mock-banner code {{ background: #333; color: #fff; padding: 1px 4px; border-radius: 3px; }}
    .mock-banner a {{ color: #9cf; }}
  </style>
</head>
<body>
  <header class="mock-banner" id="mock-banner">
    <strong>Labii Backup API mock</strong> at <code>{api_url}</code>.
    {credentials}
    Spec: <a href="/openapi.yaml">openapi.yaml</a> &middot; <a href="/openapi.json">openapi.json</a>.
  </header>
  <div id="swagger-ui"></div>
  <script id="mock-config" type="application/json">{config}</script>
  <script src="/docs/static/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/docs/static/swagger-initializer.js"></script>
</body>
</html>
"""


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, as openapi.yaml writes them."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def base_url(request: Request) -> str:
    """The address the client used for this mock, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def served_document(document: dict[str, Any], api_url: str, real: dict[str, str] | None = None) -> dict[str, Any]:
    """The spec with this mock first in `servers` (the spec's loopback entries left out), and the
    fixtures' real sids as the first example of the parameters whose role is in `real`, so that
    "Try it out" names an organization and a backup that exist."""
    servers = [{"url": api_url, "description": "This mock server (the address this document came from)"}]
    for server in document.get("servers", []):
        url = str(server.get("url", ""))
        if url.rstrip("/") == api_url or urlsplit(url).hostname in LOOPBACK_HOSTS:
            continue
        servers.append(server)
    served = {**document, "servers": servers}
    if real:
        served = copy.deepcopy(served)
        for parameter in _parameters(served):
            value = real.get(str(parameter.get("x-role")))
            if value is not None:
                parameter["examples"] = {"fixture": {"summary": "from the mock's fixtures", "value": value},
                                         **(parameter.get("examples") or {})}
    return served


def _parameters(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every parameter object defined in the document (components and inline)."""
    found = [value for value in ((document.get("components") or {}).get("parameters") or {}).values()]
    for item in (document.get("paths") or {}).values():
        if not isinstance(item, dict):
            continue
        for holder in [item, *(value for value in item.values() if isinstance(value, dict))]:
            found += [param for param in holder.get("parameters") or [] if isinstance(param, dict)]
    return [param for param in found if isinstance(param, dict) and "$ref" not in param]


class Documentation:
    def __init__(self, model: ApiModel, store: BackupStore) -> None:
        self.model = model
        self.spec = model.spec
        self.store = store
        self._rendered: dict[tuple[object, ...], bytes] = {}

    def rendered(self, api_url: str, kind: str) -> bytes:
        real = self.real_sids()
        key = (api_url, kind, tuple(sorted(real.items())))
        body = self._rendered.get(key)
        if body is None:
            if len(self._rendered) >= _CACHE_LIMIT:
                self._rendered.clear()
            document = served_document(self.spec.document, api_url, real)
            if kind == "json":
                body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
            else:
                text = yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
                body = text.encode("utf-8")
            self._rendered[key] = body
        return body

    async def openapi_json(self, request: Request) -> Response:
        return Response(self.rendered(base_url(request) + self.model.api_prefix, "json"), media_type="application/json")

    async def openapi_yaml(self, request: Request) -> Response:
        return Response(self.rendered(base_url(request) + self.model.api_prefix, "yaml"), media_type="application/yaml")

    def real_sids(self) -> dict[str, str]:
        """The demo organization and its newest backup, for parameter examples."""
        organization = self.store.fixtures.demo_organization("primary")
        if organization is None:
            return {}
        real = {ORGANIZATION: organization.sid}
        newest = self.store.slice(organization.sid, 0, 1)
        if newest:
            real[BACKUP] = newest[0].backup.sid
        return real

    def demo(self) -> tuple[str | None, str | None, str | None]:
        """The demo organization's sid, its Admin's token and its Member's token, where defined."""
        fixtures = self.store.fixtures
        organization = fixtures.demo_organization("primary")
        if organization is None:
            return None, None, None
        admin = fixtures.first_user(organization.sid, ADMIN)
        member = fixtures.first_user(organization.sid, MEMBER)
        return organization.sid, admin.token if admin else None, member.token if member else None

    async def page(self, request: Request) -> Response:
        api_url = base_url(request) + self.model.api_prefix
        org_sid, admin_token, member_token = self.demo()
        if org_sid and admin_token:
            credentials = (
                f"Demo organization <code>{html.escape(org_sid)}</code>; its Admin's token "
                f"<code>{html.escape(admin_token)}</code> is pre-filled in <em>Authorize</em>"
                + (f" (a Member's: <code>{html.escape(member_token)}</code>)" if member_token else "")
                + "."
            )
        else:
            credentials = "The fixtures define no demo organization: use Authorize with a token of yours."
        config = {
            "specUrl": "/openapi.json",
            "securityScheme": SECURITY_SCHEME,
            "authorization": f"Token {admin_token}" if admin_token else None,
        }
        body = PAGE.format(
            title=html.escape(str(self.spec.document.get("info", {}).get("title", "API"))),
            api_url=html.escape(api_url),
            credentials=credentials,
            config=json.dumps(config).replace("<", "\\u003c"),
        )
        return HTMLResponse(body, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


def docs_routes(model: ApiModel, store: BackupStore) -> list[BaseRoute]:
    docs = Documentation(model, store)
    return [
        Route("/docs", docs.page, methods=["GET"]),
        Route("/docs/", docs.page, methods=["GET"]),
        Route("/openapi.json", docs.openapi_json, methods=["GET"]),
        Route("/openapi.yaml", docs.openapi_yaml, methods=["GET"]),
        Mount("/docs/static", app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="docs-static"),
    ]
