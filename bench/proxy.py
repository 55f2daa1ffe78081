"""Benchmark the validating proxy (issue 12): what `--proxy` adds to a request's latency.

    python bench/proxy.py                       # 2,000 requests per row and target, 5 rounds
    python bench/proxy.py --requests 5000 --rounds 7

Two servers, each `python -m mockserver --quiet --no-watch` on a free port: the upstream (the
mock on its fixtures, standing in for the implementation) and the proxy (`--proxy` to it). Each
round times, for every row, `--requests` sequential requests on one kept-alive connection
(http.client: no client library in the way) to the upstream alone, then the same through the
proxy, after `--warmup` untimed ones, and takes p50 and p99 of each. The proxy's own cost is the
difference, paired per round. Rows: a page of 10 backups (2.3 KB), a page of 32 (the whole demo
organization, 7 KB: the validation of each result shows), a detail, and a 401 (no backup in the
body). Medians over rounds.

On a shared, noisy machine the p99s move between runs; the p50s are the figure to trust.
Everything listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import HOST, Server, mock_credentials, mock_server  # noqa: E402
from state import quantiles  # noqa: E402


class Connection:
    """One kept-alive HTTP/1.1 connection."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)

    def timed(self, path: str, headers: dict[str, str], status: int) -> float:
        started = time.perf_counter()
        self.connection.request("GET", path, headers=headers)
        response = self.connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status != status:
            raise RuntimeError(f"GET {path}: {response.status}, expected {status}")
        return elapsed

    def close(self) -> None:
        self.connection.close()


def measure(port: int, path: str, headers: dict[str, str], status: int, count: int, warmup: int) -> tuple[float, float]:
    connection = Connection(port)
    for _ in range(warmup):
        connection.timed(path, headers, status)
    found = [connection.timed(path, headers, status) for _ in range(count)]
    connection.close()
    return quantiles(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    creds = mock_credentials()
    admin = {"Authorization": f"Token {creds['admin_token']}"}
    org = creds["org_sid"]
    page = f"/v1/organizations/backup/list/organization/{org}/list/"
    work = Path(tempfile.mkdtemp(prefix="backup-bench-proxy-"))

    upstream = mock_server(page, admin, ["--quiet", "--no-watch"], name="upstream")
    upstream.start(work)
    proxy: Server = mock_server(page, admin, ["--quiet", "--no-watch", "--proxy", f"http://{HOST}:{upstream.port}/v1"],
                                name="proxy")
    proxy.start(work)
    try:
        detail_sid = _first_sid(upstream.port, page, admin)
        rows = {
            "page of 10": (page + "?page=2", admin, 200),
            "page of 32": (page + "?page_size=32", admin, 200),
            "detail": (f"/v1/organizations/backup/detail/{detail_sid}/", admin, 200),
            "401": (page, {}, 401),
        }
        results: dict[str, dict[str, list[float]]] = {
            row: {key: [] for key in ("up50", "up99", "px50", "px99", "add50", "add99")} for row in rows}
        for round_number in range(1, args.rounds + 1):
            for row, (path, headers, status) in rows.items():
                up = measure(upstream.port, path, headers, status, args.requests, args.warmup)
                px = measure(proxy.port, path, headers, status, args.requests, args.warmup)
                found = results[row]
                for key, value in zip(("up50", "up99", "px50", "px99", "add50", "add99"),
                                      (*up, *px, px[0] - up[0], px[1] - up[1]), strict=True):
                    found[key].append(value)
            print(f"round {round_number}: " + ", ".join(
                f"{row} +{results[row]['add50'][-1]:.2f} ms" for row in rows), flush=True)
    finally:
        proxy.stop()
        upstream.stop()

    print()
    print(f"{'row':<12} {'upstream p50':>13} {'p99':>8} {'proxy p50':>10} {'p99':>8} {'added p50':>10} {'p99':>8}")
    for row, found in results.items():
        med = {key: statistics.median(values) for key, values in found.items()}
        print(f"{row:<12} {med['up50']:>10.2f} ms {med['up99']:>5.2f} ms {med['px50']:>7.2f} ms {med['px99']:>5.2f} ms "
              f"{med['add50']:>7.2f} ms {med['add99']:>5.2f} ms")
    print(f"\nmedians over {args.rounds} rounds of {args.requests:,} sequential requests on one connection each")
    return 0


def _first_sid(port: int, page: str, headers: dict[str, str]) -> str:
    import json

    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    connection.request("GET", page, headers=headers)
    body = json.loads(connection.getresponse().read())
    connection.close()
    return str(body["results"][0]["sid"])


if __name__ == "__main__":
    sys.exit(main())
