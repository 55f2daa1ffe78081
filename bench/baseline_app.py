"""The ceiling: a bare Starlette app on uvicorn (uvloop + httptools) answering a fixed JSON body.

Every path answers 200 with the same ~2.3 KB body, shaped like a page of ten backups, so the
benchmark compares the mock with what Starlette and uvicorn cost when the app does nothing.

    python bench/baseline_app.py --port 8001
"""

from __future__ import annotations

import argparse
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def _body() -> bytes:
    results = [
        {
            "sid": f"ehkn0a40x{index:010d}",
            "name": f"2025{index + 1:02d}03031602.gz",
            "description": f"Data backup on 2025{index + 1:02d}03031602",
            "database_size": f"{40 + index}.5 MB",
            "date_created": f"2025-{index + 1:02d}-03T03:16:43.677244Z",
            "change_permission": False,
        }
        for index in range(10)
    ]
    base = "http://127.0.0.1:8000/organizations/backup/list/organization/ehkn0a40x1glqvAFKP/list/"
    page = {
        "page_size": 10, "page_number": 2, "page_count": 4, "count": 32,
        "next": base + "?page=3", "previous": base, "add_permission": True, "results": results,
    }
    return json.dumps(page, separators=(",", ":")).encode()


BODY = _body()  # about 2.3 KB, like the mock's page of ten


async def fixed(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", fixed, methods=["GET", "HEAD"])])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, loop="uvloop", http="httptools",
                log_level="warning", access_log=False, server_header=False)


if __name__ == "__main__":
    main()
