"""Drive a server with wrk (Debian package `wrk`), or a small Python load generator without it.

Both report requests/s, the 50th and 99th percentile latency, and how many answers were not
2xx/3xx or failed: a run with errors is reported, never silently averaged in.

With `varied=Varied(count)` every request asks for a different URL of the list (page and
page_size over valid values, plus a counter parameter `n`): wrk runs `bench/varied.lua`, the
Python generator builds the same URLs with `varied_query`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION = re.compile(r"^\s*([0-9.]+)(us|ms|s|m)\s*$")
VARIED_LUA = Path(__file__).resolve().parent / "varied.lua"
_RUNS = itertools.count(1)


@dataclass(frozen=True)
class Varied:
    """Every request a different URL of the list at the URL's path; `count`: backups in that list."""

    count: int


def varied_query(k: int, count: int, salt: str, thread: int = 0) -> str:
    """The query of request k (from 1), as bench/varied.lua builds it."""
    size = 5 + (k * 7) % 16
    pages = max(1, math.ceil(count / size))
    return f"page={1 + (k * 13) % pages}&page_size={size}&n={salt}.{thread}.{k}"


def _salt() -> str:
    """Different for every run (warm-up included), so no URL of an earlier run comes back."""
    return f"{time.time_ns() % 10**12}{next(_RUNS)}"


@dataclass(frozen=True)
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx answers plus socket errors
    tool: str


def _ms(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> LoadResult:
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.M))
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    requests = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and requests and "50" in percentiles and "99" in percentiles):
        raise ValueError(f"cannot read wrk's output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return LoadResult(float(rps.group(1)), _ms(percentiles["50"]), _ms(percentiles["99"]),
                      int(requests.group(1)), errors, "wrk")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(url: str, headers: dict[str, str], threads: int, connections: int, duration: float,
            varied: Varied | None = None) -> LoadResult:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    script: list[str] = []
    if varied is not None:
        from urllib.parse import urlsplit

        argv += ["-s", str(VARIED_LUA)]
        script = ["--", urlsplit(url).path, str(varied.count), _salt()]
    done = subprocess.run([*argv, url, *script], capture_output=True, text=True, timeout=duration + 60,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout)


# -- fallback: asyncio keep-alive clients ---------------------------------------------------------

async def _client(host: str, port: int, request: Any, stop: float, latencies: list[float], errors: list[int]) -> None:
    """`request`: the bytes of one request, or a function giving the next one."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop:
            began = time.perf_counter()
            writer.write(request() if callable(request) else request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            latencies.append((time.perf_counter() - began) * 1000)
            if status >= 400:
                errors[0] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        errors[0] += 1
    finally:
        writer.close()


def run_python(url: str, headers: dict[str, str], connections: int, duration: float,
               varied: Varied | None = None) -> LoadResult:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    rest = f"Host: {parts.netloc}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    request: Any = f"GET {target} HTTP/1.1\r\n{rest}".encode("latin-1")
    if varied is not None:
        numbers, salt = itertools.count(1), _salt()

        def next_request() -> bytes:
            query = varied_query(next(numbers), varied.count, salt)
            return f"GET {parts.path}?{query} HTTP/1.1\r\n{rest}".encode("latin-1")

        request = next_request
    latencies: list[float] = []
    errors = [0]

    async def main() -> float:
        began = time.perf_counter()
        stop = began + duration
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        await asyncio.gather(*(_client(host, port, request, stop, latencies, errors) for _ in range(connections)))
        return time.perf_counter() - began

    elapsed = asyncio.run(main())
    latencies.sort()
    if not latencies:
        raise RuntimeError(f"no answer from {url}")

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return LoadResult(len(latencies) / elapsed, pick(0.50), pick(0.99), len(latencies), errors[0], "python")


def drive(url: str, headers: dict[str, str], threads: int, connections: int, duration: float,
          varied: Varied | None = None) -> LoadResult:
    if wrk_available():
        return run_wrk(url, headers, threads, connections, duration, varied)
    return run_python(url, headers, connections, duration, varied)
