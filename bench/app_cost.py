"""CPU time per request of the app alone: the ASGI app called in a loop, no sockets, no server.

Far less noisy than a load test on a shared machine (CPU time, best of several runs), so it
shows what a change to the per-request path saves; run.py then shows what that is worth end to
end (there, every microsecond here costs about two to three: caches are cold between requests).

    python bench/app_cost.py                    # the checkout's mock, and the bare-Starlette baseline
    python bench/app_cost.py --compare DIR      # also a patched copy of the checkout, in turns
    python bench/app_cost.py --profile list     # cProfile of one endpoint, top functions
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _scope(path: str, query: bytes, token: bytes) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": query, "server": ("127.0.0.1", 4010), "client": ("127.0.0.1", 50000),
            "headers": [(b"host", b"127.0.0.1:4010"), (b"user-agent", b"bench"),
                        (b"authorization", b"Token " + token)], "state": {}}


async def _loop(app: Any, path: str, query: bytes, token: bytes, count: int) -> None:
    """`count` requests; a query containing `{n}` differs in every request (no page cache hit)."""
    statuses = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    varying = b"{n}" in query
    for number in range(count):
        await app(_scope(path, query.replace(b"{n}", str(number).encode()) if varying else query, token),
                  receive, send)
    if set(statuses) != {200}:
        raise SystemExit(f"{path}?{query.decode()}: statuses {sorted(set(statuses))}")


def microseconds(app: Any, path: str, query: bytes, token: bytes, count: int, repeats: int) -> float:
    asyncio.run(_loop(app, path, query, token, 200))  # warm up
    best = float("inf")
    for _ in range(repeats):
        began = time.process_time()
        asyncio.run(_loop(app, path, query, token, count))
        best = min(best, (time.process_time() - began) / count * 1e6)
    return best


def measure(count: int, repeats: int, profile: str | None) -> dict[str, float]:
    sys.path.insert(0, str(BENCH))
    import baseline_app

    from mockserver.app import create_app
    from mockserver.cli import demo_credentials
    from mockserver.settings import Settings

    app = create_app(Settings())
    state = app.state.mock
    try:
        creds = demo_credentials(state.settings, state.fixtures, "/v1")
    except TypeError:  # a checkout from before the spec gave the prefix
        creds = demo_credentials(state.settings, state.fixtures)
    token, org = creds["admin_token"].encode(), creds["org_sid"]
    sid = state.store.slice(org, 0, 1)[0].backup.sid
    cases = {
        "list page 2": (f"/organizations/backup/list/organization/{org}/list/", b"page=2&page_size=10"),
        "list page 1": (f"/organizations/backup/list/organization/{org}/list/", b""),
        "list, new URL": (f"/organizations/backup/list/organization/{org}/list/", b"page=2&page_size=10&n={n}"),
        "detail": (f"/organizations/backup/detail/{sid}/", b""),
    }
    if profile:
        import cProfile
        import pstats

        path, query = cases[{"list": "list page 2", "miss": "list, new URL", "detail": "detail"}[profile]]
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(_loop(app, path, query, token, count))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return {}
    results = {name: microseconds(app, path, query, token, count, repeats) for name, (path, query) in cases.items()}
    results["baseline"] = microseconds(baseline_app.app, cases["detail"][0], b"", token, count, repeats)
    return results


def run_in(directory: Path, count: int, repeats: int) -> dict[str, float]:
    """This script in a child process that imports the mockserver package found in `directory`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(directory), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, __file__, "--json", "--count", str(count), "--repeats", str(repeats)],
                          cwd=BENCH, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4000, help="requests per run (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=7, help="runs, the best counts (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="with --compare: alternating rounds")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="a patched copy of the checkout to compare")
    parser.add_argument("--profile", choices=["list", "miss", "detail"], help="cProfile one endpoint instead")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json or args.profile:
        results = measure(args.count, args.repeats, args.profile)
        if args.json:
            print(json.dumps(results))
        return 0
    targets = {"checkout": ROOT, **({"compare": args.compare.resolve()} if args.compare else {})}
    collected: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(args.rounds if args.compare else 1):
        for name, directory in targets.items():
            collected[name].append(run_in(directory, args.count, args.repeats))
    names = list(collected["checkout"][0])
    print(f"CPU µs per request, best of {args.repeats} runs of {args.count} (lower is better)")
    print(f"{'':14}" + "".join(f"{name:>12}" for name in targets))
    for case in names:
        cells = [min(run[case] for run in collected[name]) for name in targets]
        print(f"{case:14}" + "".join(f"{cell:12.1f}" for cell in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
