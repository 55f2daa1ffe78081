"""One ratio judged closely: two servers on one endpoint in many short alternating turns.

`run.py` measures every row and target, each turn for 10 s; on this shared 2-core machine the
speed drifts by 10 to 30 % from one minute to the next, more than a target's margin, and one run's
median of five paired ratios moves with it. This script judges one ratio with less noise: both
servers run at once, idle but for the one under load; each pair of turns loads one and then the
other for a few seconds (which goes first alternates), and every pair gives a ratio. It prints the
median of the pairs' ratios with their quartiles, and the target met or NOT met.

It also prints each server's CPU time per request (user and system, read from /proc: what the
server process spent, the kernel's socket work included, for every request it answered). When
its paired ratio agrees with the throughput ratio, the server's one core was what limited the
load (not wrk, not waiting): CPU saved per request is throughput gained. It scatters as much as
throughput does on this machine (a slower minute makes every instruction dearer); for a small
change, count instructions instead (valgrind's cachegrind over `app_cost.py --stack`'s loop).

    python bench/pair.py                                   # mock list / baseline list, 10 pairs
    python bench/pair.py --endpoint "list, new URL" --pairs 16
    python bench/pair.py --a default --b mock              # default command line / --quiet --no-watch
    python bench/pair.py --b mock --b-dir /tmp/old         # the checkout's mock against another's

Servers: `mock` (`--quiet --no-watch`), `default` (the mock with no options: access log on, its
log to a file, file watching on) and `baseline` (bench/baseline_app.py). The endpoints are
run.py's (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402
import servers  # noqa: E402
from run import (  # noqa: E402
    DEFAULT_CLI_VS_QUIET,
    DETAIL_VS_BASELINE,
    ENDPOINTS,
    LIST_VS_BASELINE,
    NEW_URL_VS_BASELINE,
    Endpoint,
    detail_path,
    list_path,
)
from servers import ROOT, Server  # noqa: E402

KINDS = ("mock", "default", "baseline")
TARGETS = {("mock", "baseline", "list"): LIST_VS_BASELINE, ("mock", "baseline", "list, new URL"): NEW_URL_VS_BASELINE,
           ("mock", "baseline", "detail"): DETAIL_VS_BASELINE, ("default", "mock", "list"): DEFAULT_CLI_VS_QUIET}


def _server(kind: str, ready: str, auth: dict[str, str], directory: Path, name: str) -> Server:
    if kind == "baseline":
        return servers.baseline_server(ready)
    return servers.mock_server(ready, auth, ["--quiet", "--no-watch"] if kind == "mock" else [], name=name,
                               directory=directory)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux: /proc/PID/stat; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", choices=KINDS, default="mock", help="the server on top of the ratio (mock)")
    parser.add_argument("--b", choices=KINDS, default="baseline", help="the server under it (baseline)")
    parser.add_argument("--a-dir", type=Path, default=ROOT, help="the checkout whose mock --a runs")
    parser.add_argument("--b-dir", type=Path, default=ROOT, help="the checkout whose mock --b runs")
    parser.add_argument("--endpoint", choices=ENDPOINTS, default="list")
    parser.add_argument("--pairs", type=int, default=10, help="pairs of turns (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=4.0, help="one turn's load (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=1.0, help="before each turn (default %(default)s)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.pairs < 1 or args.seconds <= 0:
        parser.error("--pairs must be at least 1 and --seconds above 0")

    creds = servers.mock_credentials()
    auth = {"Authorization": f"Token {creds['admin_token']}"}
    ready = list_path(creds["org_sid"], "page=2&page_size=10")
    logs = Path(tempfile.mkdtemp(prefix="pair-"))
    started: list[Server] = []
    try:
        for side, kind, directory in (("a", args.a, args.a_dir), ("b", args.b, args.b_dir)):
            server = _server(kind, ready, auth, directory, f"{side}-{kind}")
            server.start(logs)
            started.append(server)
        first, second = started
        status, body = servers.get(first.port, ready, auth)
        if status != 200:
            raise SystemExit(f"{args.a} answered {status} on {ready}")
        page = json.loads(body)
        endpoint = {"list": Endpoint(ready),
                    "list, new URL": Endpoint(list_path(creds["org_sid"]), load.Varied(int(page["count"]))),
                    "detail": Endpoint(detail_path(page["results"][0]["sid"]))}[args.endpoint]

        def turn(server: Server) -> tuple[float, float]:
            """Requests per second, and CPU microseconds of the server per request."""
            url = f"http://{servers.HOST}:{server.port}{endpoint.path}"
            if args.warmup > 0:
                load.drive(url, auth, args.threads, args.connections, args.warmup, endpoint.varied)
            assert server.process is not None
            before = cpu_seconds(server.process.pid)
            result = load.drive(url, auth, args.threads, args.connections, args.seconds, endpoint.varied)
            spent = cpu_seconds(server.process.pid) - before
            if result.errors:
                raise SystemExit(f"{server.name}: {result.errors} errors on {url}")
            return result.rps, spent / max(result.requests, 1) * 1e6

        ratios, cpu_a, cpu_b = [], [], []
        for number in range(args.pairs):
            if number % 2 == 0:
                (mine, my_cpu), (theirs, their_cpu) = turn(first), turn(second)
            else:
                (theirs, their_cpu), (mine, my_cpu) = turn(second), turn(first)
            ratios.append(mine / theirs)
            cpu_a.append(my_cpu)
            cpu_b.append(their_cpu)
            print(f"  pair {number + 1:>2}: {args.a} {mine:>9,.0f} req/s {my_cpu:6.1f} CPU µs/req, "
                  f"{args.b} {theirs:>9,.0f} req/s {their_cpu:6.1f} CPU µs/req, ratio {mine / theirs:.3f}", flush=True)
    finally:
        for server in started:
            server.stop()
    middle = statistics.median(ratios)
    low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (middle, middle, middle)
    print(f"{args.a} / {args.b}, {args.endpoint}: median of {len(ratios)} paired ratios {middle:.3f} "
          f"(quartiles {low:.3f} to {high:.3f})")
    if all(cpu_a + cpu_b):
        cpu_ratios = [b / a for a, b in zip(cpu_a, cpu_b, strict=True)]
        print(f"CPU per request: {args.a} {statistics.median(cpu_a):.1f} µs, {args.b} "
              f"{statistics.median(cpu_b):.1f} µs (medians); {args.b}'s / {args.a}'s, paired: median "
              f"{statistics.median(cpu_ratios):.3f} (above 1: {args.a} costs less)")
    target = TARGETS.get((args.a, args.b, args.endpoint))
    if target is not None:
        print(f"  target >= {target}: {'met' if middle >= target else 'NOT met'} ({middle:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
