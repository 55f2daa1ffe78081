"""Benchmark the mock against a bare-Starlette ceiling and Stoplight Prism; see bench/README.md.

    python bench/run.py                      # throughput: mock, baseline, Prism; 3 rounds of 10 s
    python bench/run.py --quick              # the same, 1 round of 2 s (a smoke test)
    python bench/run.py --mode scale         # 100,000 backups: start-up, page 1 and 10,000
    python bench/run.py --profile            # also record py-spy profiles of the mock under load

Everything listens on 127.0.0.1 and is stopped at the end; results also go to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402
import servers  # noqa: E402
from servers import ROOT, Server  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"  # git-ignored
SPEC = ROOT / "openapi.yaml"
DEFAULT_MOCK_ARGS = "--quiet --no-watch"

# issue 5's targets
LIST_VS_BASELINE, DETAIL_VS_BASELINE, VS_PRISM = 0.50, 0.70, 8.0
P99_MS, STARTUP_S, RSS_MB = 10.0, 0.5, 50.0
SCALE_STARTUP_S, SCALE_PAGE_RATIO = 2.0, 1.2


def list_path(org: str, query: str = "") -> str:
    return f"/organizations/backup/list/organization/{org}/list/" + (f"?{query}" if query else "")


def detail_path(sid: str) -> str:
    return f"/organizations/backup/detail/{sid}/"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rotate(items: list[Any], by: int) -> list[Any]:
    by %= len(items)
    return items[by:] + items[:by]


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:,.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


class Run:
    """Options, a log directory, and every server started (so all are stopped at the end)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started: list[Server] = []
        self.logs = Path(tempfile.mkdtemp(prefix="backup-bench-"))

    def start(self, server: Server, timeout: float = 120.0) -> float:
        self.started.append(server)
        return server.start(self.logs, timeout)

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()

    def drive(self, port: int, path: str, headers: dict[str, str], connections: int | None = None,
              threads: int | None = None, duration: float | None = None) -> load.LoadResult:
        a = self.args
        url = f"http://{servers.HOST}:{port}{path}"
        if a.warmup > 0:
            load.drive(url, headers, threads or a.threads, connections or a.connections, a.warmup)
        return load.drive(url, headers, threads or a.threads, connections or a.connections, duration or a.duration)


# -- throughput -----------------------------------------------------------------------------------

def throughput(run: Run) -> dict[str, Any]:
    args = run.args
    creds = servers.mock_credentials()
    auth = {"Authorization": f"Token {creds['admin_token']}"}
    endpoints = {"list": list_path(creds["org_sid"], "page=2&page_size=10")}
    mock_args = args.mock_args.split()

    probe = servers.mock_server(endpoints["list"], auth, mock_args, directory=args.mock_dir)
    run.start(probe)
    status, body = servers.get(probe.port, list_path(creds["org_sid"]), auth)
    probe.stop()
    endpoints["detail"] = detail_path(json.loads(body)["results"][0]["sid"])

    makers = {
        "mock": lambda: servers.mock_server(endpoints["list"], auth, mock_args, directory=args.mock_dir),
        "baseline": lambda: servers.baseline_server(endpoints["list"]),
    }
    if args.compare:
        makers["mock-b"] = lambda: servers.mock_server(endpoints["list"], auth, mock_args, name="mock-b",
                                                       directory=args.compare)
    prism_note = "not tried (--no-prism)"
    if not args.no_prism:
        try:
            command = servers.prism_command(args.prism_package)
            makers["prism"] = lambda: servers.prism_server(command, SPEC, endpoints["list"], auth)
            prism_note = "available"
        except RuntimeError as exc:
            prism_note = f"unavailable ({exc})"
    print(f"prism: {prism_note}", flush=True)

    samples: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for round_number in range(args.rounds):
        for name in rotate(list(makers), round_number):
            server = makers[name]()
            try:
                samples[name]["startup"].append(run.start(server))
            except RuntimeError as exc:
                if name != "prism":
                    raise
                print(f"prism: unavailable ({exc})", flush=True)
                makers.pop("prism")
                prism_note = f"unavailable ({exc})"
                continue
            time.sleep(0.5)
            samples[name]["rss_idle"].append(server.rss())
            for endpoint in rotate(["list", "detail"], round_number):
                result = run.drive(server.port, endpoints[endpoint], auth)
                samples[name][endpoint].append(result)
                print(f"  round {round_number + 1} {name:<8} {endpoint:<6} {result.rps:>9,.0f} req/s "
                      f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  errors {result.errors}", flush=True)
            samples[name]["rss_loaded"].append(server.rss())
            server.stop()
    if args.profile:
        profile_mock(run, makers["mock"], endpoints, auth)
    return summarize_throughput(samples, prism_note)


def paired_ratio(samples: dict[str, Any], name: str, other: str, endpoint: str) -> float | None:
    """Median over rounds of this round's rps ratio: drift of the machine cancels out."""
    if other not in samples or name not in samples:
        return None
    pairs = zip(samples[name][endpoint], samples[other][endpoint])
    return median([a.rps / b.rps for a, b in pairs])


def summarize_throughput(samples: dict[str, Any], prism_note: str) -> dict[str, Any]:
    summary: dict[str, Any] = {"prism": prism_note, "targets": {}, "rows": []}
    for name, data in samples.items():
        for endpoint in ("list", "detail"):
            results = data[endpoint]
            summary["rows"].append({
                "target": name, "endpoint": endpoint,
                "rps": median([r.rps for r in results]),
                "p50_ms": median([r.p50_ms for r in results]),
                "p99_ms": median([r.p99_ms for r in results]),
                "errors": sum(r.errors for r in results),
                "rss_idle_mb": median([v for v in data["rss_idle"] if v is not None]),
                "rss_loaded_mb": median([v for v in data["rss_loaded"] if v is not None]),
                "startup_s": median(data["startup"]),
                "vs_baseline": paired_ratio(samples, name, "baseline", endpoint),
                "vs_prism": paired_ratio(samples, name, "prism", endpoint),
                "rounds": len(results), "tool": results[0].tool if results else "-",
            })
    rows = {(row["target"], row["endpoint"]): row for row in summary["rows"]}
    mock_list, mock_detail = rows.get(("mock", "list")), rows.get(("mock", "detail"))
    if mock_list and mock_detail:
        t = summary["targets"]
        t[f"list >= {LIST_VS_BASELINE:.0%} of baseline"] = _met(mock_list["vs_baseline"], LIST_VS_BASELINE)
        t[f"detail >= {DETAIL_VS_BASELINE:.0%} of baseline"] = _met(mock_detail["vs_baseline"], DETAIL_VS_BASELINE)
        t[f"list >= {VS_PRISM:.0f}x Prism"] = _met(mock_list["vs_prism"], VS_PRISM)
        worst_p99 = max(mock_list["p99_ms"], mock_detail["p99_ms"])
        t[f"p99 <= {P99_MS:.0f} ms (list, detail)"] = _met(worst_p99, P99_MS, at_most=True)
        t[f"start-up <= {STARTUP_S} s"] = _met(mock_list["startup_s"], STARTUP_S, at_most=True)
        t[f"idle RSS <= {RSS_MB:.0f} MB"] = _met(mock_list["rss_idle_mb"], RSS_MB, at_most=True)
    return summary


def _met(value: float | None, bound: float, at_most: bool = False) -> str:
    if value is None or value != value:
        return "not measured"
    ok = value <= bound if at_most else value >= bound
    return f"{'met' if ok else 'NOT met'} ({value:,.2f})"


def print_throughput(summary: dict[str, Any]) -> None:
    header = ["target", "endpoint", "req/s", "p50 ms", "p99 ms", "errors", "RSS idle MB", "RSS after MB",
              "start-up s", "vs baseline", "vs Prism"]
    rows = [[r["target"], r["endpoint"], fmt(r["rps"], 0), fmt(r["p50_ms"], 2), fmt(r["p99_ms"], 2), str(r["errors"]),
             fmt(r["rss_idle_mb"]), fmt(r["rss_loaded_mb"]), fmt(r["startup_s"], 2),
             fmt(r["vs_baseline"], 2), fmt(r["vs_prism"], 2)] for r in summary["rows"]]
    print()
    print(table(header, rows))
    print(f"\nprism: {summary['prism']}")
    for name, verdict in summary["targets"].items():
        print(f"  target {name}: {verdict}")


# -- profile --------------------------------------------------------------------------------------

def profile_mock(run: Run, make: Any, endpoints: dict[str, str], auth: dict[str, str]) -> None:
    """py-spy record of the mock while wrk drives each endpoint; collapsed stacks + a summary."""
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        print("profile: py-spy not found (pip install py-spy)")
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for endpoint, path in endpoints.items():
        server = make()
        run.start(server)
        out = RESULTS / f"profile-{endpoint}-{stamp}.txt"
        seconds = max(2, round(run.args.duration))
        recorder = subprocess.Popen([py_spy, "record", "--pid", str(server.process.pid), "--rate", "250",
                                     "--duration", str(seconds + 1), "--format", "raw", "--output", str(out),
                                     "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        run.drive(server.port, path, auth, duration=seconds)
        recorder.wait(timeout=seconds + 60)
        server.stop()
        print(f"\nprofile of the mock under load, {endpoint} ({out}):")
        print(summarize_profile(out))


def summarize_profile(path: Path, top: int = 12) -> str:
    """Share of samples per function (inclusive) and per leaf (self) from py-spy's raw output."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    if not path.exists():
        return "  (no samples: py-spy needs ptrace permission)"
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "  (no samples)"
    lines = [f"  {total} samples; self time:"]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines += ["  inclusive (mockserver and starlette frames):"]
    ours = [(f, n) for f, n in inclusive.most_common() if "mockserver" in f or "starlette" in f][:top]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in ours]
    return "\n".join(lines)


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (package/module.py:123)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    parts = where.split("/")
    return f"{name} ({'/'.join(parts[-2:])})" if where else name


# -- scale ----------------------------------------------------------------------------------------

def scale(run: Run) -> dict[str, Any]:
    import make_fixtures

    args = run.args
    directory = make_fixtures.DATA / f"scale-{args.count}"
    if args.regenerate or not (directory / "backups.yaml").exists():
        began = time.perf_counter()
        make_fixtures.make(directory, args.count)
        print(f"generated {args.count:,} backups in {directory} ({time.perf_counter() - began:.1f} s)", flush=True)
    creds = servers.mock_credentials()
    auth = {"Authorization": f"Token {creds['admin_token']}"}
    org = creds["org_sid"]
    last = max(1, -(-args.count // 10))
    deep = min(10_000, last)
    cases = {
        "default fixtures, page 1": ("default", list_path(org, "page=1&page_size=10")),
        "scale, page 1": ("scale", list_path(org, "page=1&page_size=10")),
        f"scale, page {deep:,}": ("scale", list_path(org, f"page={deep}&page_size=10")),
    }
    mock_args = args.mock_args.split()
    samples: dict[str, list[Any]] = defaultdict(list)
    for round_number in range(args.rounds):
        started: dict[str, Server] = {}
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache_home:
            # cold: the first start on this file, with an empty fixture cache (it parses the YAML)
            cold = servers.mock_server(list_path(org), auth, mock_args, directory, directory=args.mock_dir,
                                       cache_home=Path(cache_home))
            samples["startup scale cold"].append(run.start(cold, timeout=args.startup_timeout))
            cold.stop()
            for kind in rotate(["default", "scale"], round_number):  # scale: warm, the cache filled
                server = servers.mock_server(list_path(org), auth, mock_args,
                                             directory if kind == "scale" else None, directory=args.mock_dir,
                                             cache_home=Path(cache_home))
                samples[f"startup {kind}"].append(run.start(server, timeout=args.startup_timeout))
                time.sleep(0.5)
                samples[f"rss {kind}"].append(server.rss())
                started[kind] = server
        for case in rotate(list(cases), round_number):
            kind, path = cases[case]
            result = run.drive(started[kind].port, path, auth, connections=1, threads=1)
            samples[case].append(result)
            print(f"  round {round_number + 1} {case:<26} p50 {result.p50_ms:6.3f} ms  p99 {result.p99_ms:6.3f} ms "
                  f"{result.rps:8,.0f} req/s  errors {result.errors}", flush=True)
        for server in started.values():
            server.stop()
    baseline_case = "default fixtures, page 1"
    rows = []
    for case in cases:
        results = samples[case]
        ratio = median([r.p50_ms / b.p50_ms for r, b in zip(results, samples[baseline_case])])
        rows.append({"case": case, "p50_ms": median([r.p50_ms for r in results]),
                     "p99_ms": median([r.p99_ms for r in results]), "rps": median([r.rps for r in results]),
                     "errors": sum(r.errors for r in results), "p50_vs_default": ratio})
    summary = {"count": args.count, "rows": rows,
               "startup_default_s": median(samples["startup default"]),
               "startup_scale_s": median(samples["startup scale"]),
               "startup_scale_cold_s": median(samples["startup scale cold"]),
               "rss_default_mb": median([v for v in samples["rss default"] if v is not None]),
               "rss_scale_mb": median([v for v in samples["rss scale"] if v is not None]),
               "targets": {}}
    t = summary["targets"]
    t[f"start-up with {args.count:,} backups <= {SCALE_STARTUP_S} s"] = _met(summary["startup_scale_s"],
                                                                            SCALE_STARTUP_S, True)
    t[f"first start-up with {args.count:,} backups (empty cache) <= {SCALE_STARTUP_S} s"] = _met(
        summary["startup_scale_cold_s"], SCALE_STARTUP_S, True)
    for row in rows[1:]:
        t[f"{row['case']} p50 <= {SCALE_PAGE_RATIO}x default"] = _met(row["p50_vs_default"], SCALE_PAGE_RATIO, True)
    return summary


def print_scale(summary: dict[str, Any]) -> None:
    header = ["case", "p50 ms", "p99 ms", "req/s (1 conn)", "errors", "p50 vs default"]
    rows = [[r["case"], fmt(r["p50_ms"], 3), fmt(r["p99_ms"], 3), fmt(r["rps"], 0), str(r["errors"]),
             fmt(r["p50_vs_default"], 2)] for r in summary["rows"]]
    print()
    print(table(header, rows))
    print(f"\nstart-up: default fixtures {fmt(summary['startup_default_s'], 2)} s, "
          f"{summary['count']:,} backups {fmt(summary['startup_scale_s'], 2)} s "
          f"(first start, empty fixture cache: {fmt(summary['startup_scale_cold_s'], 2)} s)")
    print(f"idle RSS: default fixtures {fmt(summary['rss_default_mb'])} MB, "
          f"{summary['count']:,} backups {fmt(summary['rss_scale_mb'])} MB")
    for name, verdict in summary["targets"].items():
        print(f"  target {name}: {verdict}")


# -- soak -----------------------------------------------------------------------------------------

def soak(run: Run) -> dict[str, Any]:
    """Full load for several minutes (list and detail in turns): resident memory must stay flat."""
    args = run.args
    creds = servers.mock_credentials()
    auth = {"Authorization": f"Token {creds['admin_token']}"}
    org = creds["org_sid"]
    server = servers.mock_server(list_path(org), auth, args.mock_args.split(), directory=args.mock_dir)
    run.start(server)
    _, body = servers.get(server.port, list_path(org), auth)
    paths = [list_path(org, "page=2&page_size=10"), detail_path(json.loads(body)["results"][0]["sid"])]
    time.sleep(0.5)
    samples = [(0.0, server.rss())]
    results = []
    began = time.perf_counter()
    chunk = min(10.0, args.soak_minutes * 60)
    while time.perf_counter() - began < args.soak_minutes * 60:
        result = load.drive(f"http://{servers.HOST}:{server.port}{paths[len(results) % 2]}", auth,
                            args.threads, args.connections, chunk)
        results.append(result)
        samples.append((time.perf_counter() - began, server.rss()))
        print(f"  {samples[-1][0]:6.0f} s  RSS {fmt(samples[-1][1])} MB  {result.rps:8,.0f} req/s  "
              f"p99 {result.p99_ms:6.2f} ms  errors {result.errors}", flush=True)
    server.stop()
    rss = [value for _, value in samples if value is not None]
    after_warmup = rss[2:] or rss
    return {"minutes": args.soak_minutes, "requests": sum(r.requests for r in results),
            "errors": sum(r.errors for r in results), "rss_start_mb": rss[0], "rss_end_mb": rss[-1],
            "rss_max_mb": max(rss), "rss_growth_after_first_minute_mb": after_warmup[-1] - after_warmup[0],
            "rps_median": median([r.rps for r in results]), "samples": samples}


def print_soak(summary: dict[str, Any]) -> None:
    print(f"\nsoak: {summary['minutes']:g} min, {summary['requests']:,} requests, {summary['errors']} errors, "
          f"median {fmt(summary['rps_median'], 0)} req/s")
    print(f"RSS: start {fmt(summary['rss_start_mb'])} MB, end {fmt(summary['rss_end_mb'])} MB, "
          f"max {fmt(summary['rss_max_mb'])} MB, growth after the first samples "
          f"{fmt(summary['rss_growth_after_first_minute_mb'])} MB")


# -- command line ---------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the Backup API mock (see bench/README.md).")
    parser.add_argument("--mode", choices=["throughput", "scale", "soak"], default="throughput")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default %(default)s)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before each measurement")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default %(default)s)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s, 0.5 s warm-up: a smoke test")
    parser.add_argument("--no-prism", action="store_true", help="leave Prism out")
    parser.add_argument("--prism-package", default=servers.PRISM_PACKAGE, help="npm package npx installs")
    parser.add_argument("--mock-args", default=DEFAULT_MOCK_ARGS,
                        help="extra options of python -m mockserver (default %(default)r)")
    parser.add_argument("--profile", action="store_true", help="py-spy profiles of the mock under load")
    parser.add_argument("--mock-dir", type=Path, default=ROOT, metavar="DIR",
                        help="run the mock package found in DIR (default: this checkout)")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="also run the mock found in DIR (a patched copy of the checkout) as 'mock-b'")
    parser.add_argument("--count", type=int, default=100_000, help="scale mode: backups (default %(default)s)")
    parser.add_argument("--regenerate", action="store_true", help="scale mode: generate the fixtures again")
    parser.add_argument("--startup-timeout", type=float, default=300.0, help="scale mode: seconds to wait for start")
    parser.add_argument("--soak-minutes", type=float, default=5.0, help="soak mode: minutes of full load")
    parser.add_argument("--json", type=Path, help="also write the summary here (default bench/results/)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 2.0, 0.5
    if args.rounds < 1 or args.duration <= 0 or args.count < 1:
        parser.error("--rounds, --duration and --count must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = Run(args)
    tool = "wrk" if load.wrk_available() else "python load generator (wrk not found)"
    print(f"mode {args.mode}: {args.rounds} round(s) of {args.duration:g} s, load tool {tool}", flush=True)
    try:
        if args.mode == "throughput":
            summary = throughput(run)
            print_throughput(summary)
        elif args.mode == "soak":
            summary = soak(run)
            print_soak(summary)
        else:
            summary = scale(run)
            print_scale(summary)
    finally:
        run.stop_all()
    summary["settings"] = {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()}
    out = args.json or RESULTS / f"{args.mode}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"\nsummary written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
