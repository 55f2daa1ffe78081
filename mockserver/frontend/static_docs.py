"""`python -m mockserver docs --out DIR`: the documentation page as static files, to publish as they are.

DIR gets `index.html` (Swagger UI, the spec inside the page), `swagger-initializer.js`, the
vendored `swagger-ui/` files with their licence, and the spec as `openapi.json` and
`openapi.yaml`. The page needs no server, no internet and no CDN: every asset sits beside it
under a relative path, and the spec is embedded because a page opened from `file://` may not
fetch even its neighbours. A Content-Security-Policy in the page keeps every script and style
local. The spec is checked as at the mock's start, and written as it is: its `servers`, so
"Try it out" calls the API (or the local mock) they name; no demo token is filled in.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from mockserver.frontend.docs import STATIC_DIR, SWAGGER_UI_VERSION, as_json, as_yaml, page_html
from mockserver.spec.model import ApiModel

VENDORED = ("swagger-ui-bundle.js", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css", "favicon-16x16.png",
            "favicon-32x32.png", "LICENSE", "NOTICE", "README.md")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src *; base-uri 'none'; form-action 'none'")
BANNER = """<strong>{title}</strong> {version} &middot; Spec: <a href="openapi.yaml">openapi.yaml</a>
    &middot; <a href="openapi.json">openapi.json</a> &middot; Swagger UI {swagger}."""


def write_docs(model: ApiModel, out: Path) -> list[Path]:
    """Write the page and what it needs into `out` (made if missing); the files written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "swagger-ui").mkdir(exist_ok=True)
    document = model.spec.document
    info = document.get("info") or {}
    title = str(info.get("title", "API"))
    banner = BANNER.format(title=html.escape(title), version=html.escape(str(info.get("version", ""))),
                           swagger=SWAGGER_UI_VERSION)
    head = f'\n  <meta http-equiv="Content-Security-Policy" content="{CSP}">'
    page = page_html(title, "API documentation", banner, {"spec": document}, "", head)
    written = []
    for name, data in (("index.html", page.encode("utf-8")), ("openapi.json", as_json(document)),
                       ("openapi.yaml", as_yaml(document))):
        (out / name).write_bytes(data)
        written.append(out / name)
    for name in ("swagger-initializer.js", *(f"swagger-ui/{vendored}" for vendored in VENDORED)):
        written.append(Path(shutil.copyfile(STATIC_DIR / name, out / name)))
    return written
