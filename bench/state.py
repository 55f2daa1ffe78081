"""Benchmark created backups: POST latency with a large --state database, GETs during a POST burst,
and memory per created backup (issue 10's targets).

    python bench/state.py                  # 10,000 saved backups, 2,000 timed POSTs, 3 rounds
    python bench/state.py --saved 50000 --posts 5000 --rounds 5

Each round starts the mock afresh (`python -m mockserver --quiet --no-watch --state FILE`) on a
state database already holding `--saved` backups (made by the mock's own POSTs in a warm-up
phase, kept between rounds), then:
- POST latency: `--posts` sequential POSTs on one kept-alive connection, p50 and p99;
- GET latency alone: sequential detail GETs on one connection for `--seconds`, p50 and p99;
- GET latency during a POST burst: the same, while 4 connections POST `--burst-rate` times a
  second between them (500/s by default: well above the 180/s at which the JSON state file of
  the first round made a GET wait 0.7 s, below what saturates the single-threaded server, where
  any request would wait its turn); the ratio of the two p99s is the target (at most 2);
- memory per created backup, without --state (the private temporary database): resident memory
  after each block of `--memory-posts` POSTs, three blocks: it levels off, because SQLite's page
  cache and the entry cache are bounded; the figure is the growth over all of them divided by
  their number.
Medians over rounds; each target printed as met or NOT met.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import HOST, Server, mock_credentials, mock_server  # noqa: E402

POST_P99_MS, GET_P99_RATIO = 5.0, 2.0


class Connection:
    """One kept-alive HTTP/1.1 connection (http.client: no client library in the way)."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.headers = headers

    def timed(self, method: str, path: str) -> float:
        started = time.perf_counter()
        self.connection.request(method, path, headers=self.headers)
        response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status}")
        return time.perf_counter() - started

    def close(self) -> None:
        self.connection.close()


def quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def get_latencies(port: int, headers: dict[str, str], path: str, seconds: float) -> list[float]:
    connection = Connection(port, headers)
    found: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        found.append(connection.timed("GET", path))
    connection.close()
    return found


def burst(port: int, headers: dict[str, str], path: str, stop: threading.Event, count: list[int],
          interval: float) -> None:
    """POST every `interval` seconds (paced: a burst, not a saturation) until stopped."""
    connection = Connection(port, headers)
    due = time.perf_counter()
    while not stop.is_set():
        connection.timed("POST", path)
        count[0] += 1
        due += interval
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    connection.close()


def start(state: Path | None, logs: Path, ready: str, headers: dict[str, str]) -> Server:
    extra = ["--quiet", "--no-watch"] + (["--state", str(state)] if state else [])
    server = mock_server(ready, headers, extra)
    server.start(logs)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saved", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--memory-posts", type=int, default=20_000)
    parser.add_argument("--burst-rate", type=float, default=500.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    creds = mock_credentials()
    headers = {"Authorization": f"Token {creds['admin_token']}"}
    org = creds["org_sid"]
    create = f"/v1/organizations/backup/list/organization/{org}/detail/"
    ready = f"/v1/organizations/backup/list/organization/{org}/name/"
    work = Path(tempfile.mkdtemp(prefix="backup-bench-state-"))
    state = work / "state.db"

    server = start(state, work, ready, headers)
    connection = Connection(server.port, headers)
    for _ in range(args.saved):
        connection.timed("POST", create)
    connection.close()
    server.stop()
    print(f"state database: {args.saved:,} saved backups, {state.stat().st_size / 1e6:.1f} MB", flush=True)

    rows: dict[str, list[float]] = {key: [] for key in (
        "post_p50", "post_p99", "get_p50", "get_p99", "burst_get_p50", "burst_get_p99", "ratio", "burst_posts_s",
        "bytes_per_backup")}
    for round_number in range(1, args.rounds + 1):
        server = start(state, work, ready, headers)
        connection = Connection(server.port, headers)
        sid_of_detail = None
        latencies = []
        for _ in range(args.posts):
            latencies.append(connection.timed("POST", create))
        connection.connection.request("GET", ready, headers=headers)
        body = connection.connection.getresponse().read()
        sid_of_detail = body.split(b'"sid":"', 2)[1].split(b'"', 1)[0].decode()
        connection.close()
        p50, p99 = quantiles(latencies)
        rows["post_p50"].append(p50)
        rows["post_p99"].append(p99)
        detail = f"/v1/organizations/backup/detail/{sid_of_detail}/"
        quiet = quantiles(get_latencies(server.port, headers, detail, args.seconds))
        stop, count = threading.Event(), [0]
        posters = [threading.Thread(target=burst, args=(server.port, headers, create, stop, count,
                                                        4 / args.burst_rate)) for _ in range(4)]
        for poster in posters:
            poster.start()
        during = quantiles(get_latencies(server.port, headers, detail, args.seconds))
        stop.set()
        for poster in posters:
            poster.join()
        rows["get_p50"].append(quiet[0])
        rows["get_p99"].append(quiet[1])
        rows["burst_get_p50"].append(during[0])
        rows["burst_get_p99"].append(during[1])
        rows["ratio"].append(during[1] / quiet[1])
        rows["burst_posts_s"].append(count[0] / args.seconds)
        server.stop()

        memory = start(None, work, ready, headers)
        levels = [memory.rss() or 0.0]
        connection = Connection(memory.port, headers)
        for _ in range(3):
            for _ in range(args.memory_posts):
                connection.timed("POST", create)
            levels.append(memory.rss() or 0.0)
        connection.close()
        rows["bytes_per_backup"].append((levels[-1] - levels[0]) * 1024 * 1024 / (3 * args.memory_posts))
        print(f"  resident memory, no --state, every {args.memory_posts:,} POSTs: "
              + " -> ".join(f"{level:.1f}" for level in levels) + " MB", flush=True)
        memory.stop()
        print(f"round {round_number}: POST p99 {p99:.2f} ms, GET p99 {quiet[1]:.2f} -> {during[1]:.2f} ms "
              f"during {count[0] / args.seconds:,.0f} POST/s, {rows['bytes_per_backup'][-1]:,.0f} bytes per "
              "created backup", flush=True)

    med = {key: statistics.median(values) for key, values in rows.items()}
    print()
    print(f"POST with {args.saved:,} saved: p50 {med['post_p50']:.2f} ms, p99 {med['post_p99']:.2f} ms")
    print(f"detail GET alone: p50 {med['get_p50']:.2f} ms, p99 {med['get_p99']:.2f} ms")
    print(f"detail GET during a POST burst ({med['burst_posts_s']:,.0f} POST/s): p50 {med['burst_get_p50']:.2f} ms, "
          f"p99 {med['burst_get_p99']:.2f} ms (x{med['ratio']:.2f})")
    print(f"memory per created backup (no --state): {med['bytes_per_backup']:,.0f} bytes over "
          f"{3 * args.memory_posts:,} POSTs (bounded: SQLite's page cache and the entry cache stop growing)")
    for name, met in (("POST p99 under 5 ms", med["post_p99"] < POST_P99_MS),
                      ("GET p99 within 2x during a POST burst", med["ratio"] <= GET_P99_RATIO)):
        print(f"  target {name}: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
