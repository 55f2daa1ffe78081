"""CPU time per request of the app alone: the ASGI app called in a loop, no sockets, no server.

Far less noisy than a load test on a shared machine (CPU time, best of several runs), so it
shows what a change to the per-request path saves; run.py then shows what that is worth end to
end (there, every microsecond here costs about two to three: caches are cold between requests).

    python bench/app_cost.py                    # the checkout's mock, and the bare-Starlette baseline
    python bench/app_cost.py --compare DIR      # also a patched copy of the checkout, in turns
    python bench/app_cost.py --profile list     # cProfile of one endpoint, top functions
    python bench/app_cost.py --stack            # through uvicorn's HTTP protocol too (bytes in, bytes out)

--stack feeds each request's bytes to the server's protocol (the mock's own, uvicorn's httptools
one for the baseline) over an in-memory transport, so the parse, the scope, the ASGI cycle and
the protocol's own per-request work are counted as well. It also prints the objects per request
left in reference cycles (the garbage collector's work): a per-request cycle cost this mock
about 4 µs a request before it was found this way.
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


class _Transport:
    """Enough of asyncio.Transport for uvicorn's protocol: it counts what is written."""

    def __init__(self) -> None:
        self.written = 0
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 4010)}.get(name, default)

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def writelines(self, pieces: Any) -> None:
        for data in pieces:
            self.written += len(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _stack_loop(app: Any, protocol: Any, request: bytes, count: int) -> None:
    """`count` requests on one keep-alive connection; `{n}` in the request differs in each."""
    import uvicorn
    from uvicorn.server import ServerState

    config = uvicorn.Config(app, http=protocol, lifespan="off", access_log=False, log_level="warning",
                            server_header=False, proxy_headers=False)
    config.load()
    server = protocol(config=config, server_state=ServerState(), app_state={})
    transport = _Transport()
    server.connection_made(transport)
    varying = b"{n}" in request
    for number in range(count):
        server.data_received(request.replace(b"{n}", str(number).encode()) if varying else request)
        cycle = server.cycle
        while not cycle.response_complete:
            await asyncio.sleep(0)
    if transport.closing:
        raise SystemExit("the server closed the connection")


def _run(coroutine: Any) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn without [standard]
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


def stack_microseconds(app: Any, protocol: Any, request: bytes, count: int, repeats: int) -> tuple[float, float]:
    """Best CPU µs per request through `protocol`, and objects per request found in reference cycles."""
    import gc

    _run(_stack_loop(app, protocol, request, 300))
    best = float("inf")
    for _ in range(repeats):
        began = time.process_time()
        _run(_stack_loop(app, protocol, request, count))
        best = min(best, (time.process_time() - began) / count * 1e6)
    gc.collect()
    gc.disable()
    try:
        _run(_stack_loop(app, protocol, request, count))
        cyclic = gc.collect() / count
    finally:
        gc.enable()
    return best, cyclic


def _request(path: str, query: bytes, token: bytes) -> bytes:
    target = path.encode() + (b"?" + query if query else b"")
    return (b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:4010\r\nUser-Agent: bench\r\n"
            b"Authorization: Token " + token + b"\r\n\r\n")


def mock_cases() -> tuple[Any, bytes, dict[str, tuple[str, bytes]]]:
    """The mock's app on its default fixtures, the admin's token, and each case's path and query
    (`{n}` in a query: a different URL every request)."""
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
    return app, token, cases


def measure(count: int, repeats: int, profile: str | None, stack: bool = False) -> dict[str, float]:
    sys.path.insert(0, str(BENCH))
    import baseline_app

    app, token, cases = mock_cases()
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
    if stack:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        from mockserver.protocol import protocol_class

        results = {}
        for name, (path, query) in cases.items():
            results[name], results[name + " cyclic"] = stack_microseconds(
                app, protocol_class(), _request(path, query, token), count, repeats)
        results["baseline"], results["baseline cyclic"] = stack_microseconds(
            baseline_app.app, HttpToolsProtocol, _request(cases["detail"][0], b"", token), count, repeats)
        return results
    results = {name: microseconds(app, path, query, token, count, repeats) for name, (path, query) in cases.items()}
    results["baseline"] = microseconds(baseline_app.app, cases["detail"][0], b"", token, count, repeats)
    return results


def run_in(directory: Path, count: int, repeats: int, stack: bool = False) -> dict[str, float]:
    """This script in a child process that imports the mockserver package found in `directory`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(directory), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, __file__, "--json", "--count", str(count), "--repeats", str(repeats),
                           *(["--stack"] if stack else [])],
                          cwd=BENCH, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4000, help="requests per run (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=7, help="runs, the best counts (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="with --compare: alternating rounds")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="a patched copy of the checkout to compare")
    parser.add_argument("--profile", choices=["list", "miss", "detail"], help="cProfile one endpoint instead")
    parser.add_argument("--stack", action="store_true",
                        help="through uvicorn's HTTP protocol on an in-memory transport, with cyclic garbage")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json or args.profile:
        results = measure(args.count, args.repeats, args.profile, args.stack)
        if args.json:
            print(json.dumps(results))
        return 0
    targets = {"checkout": ROOT, **({"compare": args.compare.resolve()} if args.compare else {})}
    collected: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(args.rounds if args.compare else 1):
        for name, directory in targets.items():
            collected[name].append(run_in(directory, args.count, args.repeats, args.stack))
    names = [name for name in collected["checkout"][0] if not name.endswith(" cyclic")]
    through = "through the HTTP protocol" if args.stack else "of the app alone"
    print(f"CPU µs per request {through}, best of {args.repeats} runs of {args.count} (lower is better)")
    print(f"{'':14}" + "".join(f"{name:>12}" for name in targets))
    for case in names:
        cells = [min(run[case] for run in collected[name]) for name in targets]
        print(f"{case:14}" + "".join(f"{cell:12.1f}" for cell in cells))
    if args.stack:
        print("objects left in reference cycles per request (0 is right; the collector's work otherwise)")
        for case in names:
            cells = [max(run[case + " cyclic"] for run in collected[name]) for name in targets]
            print(f"{case:14}" + "".join(f"{cell:12.2f}" for cell in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
