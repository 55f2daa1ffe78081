"""The organization's backups as the list shows them, fetched page by page.

Pages are requested by number (not through `next` links, which the pagination checks judge),
with the largest page size the spec allows, so other checks get the data even from a server
whose links are wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import KitContext

MAX_PAGES = 200


def collect(ctx: KitContext, org_sid: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    size = ctx.spec.page_size_max
    seen: dict[str, dict[str, Any]] = {}
    page = 1
    while page <= MAX_PAGES:
        exchange = ctx.get(ctx.list_url(org_sid, page=page, page_size=size), headers)
        body = exchange.json_or_none() if exchange.status == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            break
        for item in body["results"]:
            if isinstance(item, dict) and isinstance(item.get("sid"), str):
                seen.setdefault(item["sid"], item)
        page_count = body.get("page_count")
        if not isinstance(page_count, int) or page >= page_count or not body["results"]:
            break
        page += 1
    return list(seen.values())
