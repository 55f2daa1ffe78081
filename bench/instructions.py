"""Instructions and first-level data-cache misses per request, counted by valgrind's cachegrind.

Throughput and CPU time move by 10 to 30 % from one minute to the next on a shared machine,
more than a small change saves; a count of instructions does not move (a few hundred in two
hundred thousand between runs). This runs app_cost.py's `--stack` loop (bytes through the HTTP
protocol and the app, no sockets) under cachegrind twice, for N and 3N requests after the same
warm-up, and divides the difference by 2N: what one request costs, start-up and warm-up left out.

    python bench/instructions.py                       # the list hit, this checkout's mock
    python bench/instructions.py --endpoint detail --compare /tmp/old
    python bench/instructions.py --endpoint baseline   # bare Starlette under uvicorn's protocol

Needs valgrind (Debian: `apt-get install valgrind`); each count takes about a minute. Misses are
those of cachegrind's simulated caches, not the machine's: a guide to what a change keeps out of
the cache, no more.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CASES = {"list": "list page 2", "new URL": "list, new URL", "detail": "detail", "baseline": "detail"}  # app_cost's
_COUNT = re.compile(r"(I\s+refs|D1\s+misses):\s+([\d,]+)")


def child(endpoint: str, count: int) -> None:
    """The loop cachegrind counts: start the app, warm it up, then `count` requests."""
    sys.path.insert(0, str(BENCH))
    import app_cost
    import baseline_app
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from mockserver.protocol import protocol_class

    app, token, cases = app_cost.mock_cases()
    path, query = cases[CASES[endpoint]]
    server: object = app
    protocol: object = protocol_class()
    if endpoint == "baseline":
        server, protocol = baseline_app.app, HttpToolsProtocol
    request = app_cost._request(path, query, token)
    app_cost._run(app_cost._stack_loop(server, protocol, request, 1500))
    app_cost._run(app_cost._stack_loop(server, protocol, request, count))


def counted(directory: Path, endpoint: str, count: int) -> tuple[int, int]:
    """Instructions and D1 misses of the whole child process, running the mock found in `directory`."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(directory), os.environ.get("PYTHONPATH", "")]),
           "PYTHONHASHSEED": "0"}  # the same hashes, so the same dict probes, in every run
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null",
                           sys.executable, __file__, "--child", endpoint, str(count)],
                          cwd=BENCH, env=env, capture_output=True, text=True, check=True)
    found = {name.split()[0]: int(value.replace(",", "")) for name, value in _COUNT.findall(done.stderr)}
    return found["I"], found["D1"]


def per_request(directory: Path, endpoint: str, count: int) -> tuple[float, float]:
    with ThreadPoolExecutor(2) as pool:  # two valgrinds at once: the counts do not depend on the load
        small, large = pool.map(lambda number: counted(directory, endpoint, number), (count, 3 * count))
    return (large[0] - small[0]) / (2 * count), (large[1] - small[1]) / (2 * count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", choices=list(CASES), default="list")
    parser.add_argument("--count", type=int, default=1000, help="N: requests of the shorter run (default %(default)s)")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="also count the mock of another checkout")
    parser.add_argument("--child", nargs=2, metavar=("ENDPOINT", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    print(f"per request, {args.endpoint}: instructions, D1 misses (cachegrind; N={args.count} and {3 * args.count})")
    for name, directory in (("checkout", ROOT), ("compare", args.compare)):
        if directory is not None:
            instructions, misses = per_request(directory.resolve(), args.endpoint, args.count)
            print(f"  {name:<9} {instructions:>10,.0f} {misses:>8,.0f}   {directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
