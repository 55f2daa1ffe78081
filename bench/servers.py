"""Start, watch and stop the servers under test: each on a free port of 127.0.0.1.

Start-up is measured from just before the process is spawned to the first 200 answer of the
endpoint under test (polled every 5 ms); resident memory is VmRSS from /proc, summed over the
process and its children (Prism's node runs alone; npx would add its own node otherwise).
Each server runs in its own session, so stopping it ends exactly its process group.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PRISM_PACKAGE = "@stoplight/prism-cli"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str], timeout: float = 5.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found


def rss_mb(pid: int) -> float | None:
    """Resident memory of pid and its descendants, in MB (None when it is gone)."""
    total_kb, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
                        break
        except OSError:
            if current == pid:
                return None
            continue
        pending.extend(_children(current))
    return total_kb / 1024


@dataclass
class Server:
    """One server process: argv with `{port}` filled in, the path and headers that prove it is up."""

    name: str
    argv: list[str]
    ready_path: str
    headers: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    startup: float | None = None
    log_path: Path | None = None

    cwd: Path = ROOT  # python -m mockserver imports the package found here first
    env: dict[str, str] = field(default_factory=dict)  # added to this process's environment

    def start(self, log_dir: Path, timeout: float = 60.0) -> float:
        """Spawn and wait for the first 200; returns the start-up time in seconds."""
        self.port = free_port()
        argv = [part.replace("{port}", str(self.port)) for part in self.argv]
        self.log_path = log_dir / f"{self.name.split()[0]}-{self.port}.log"
        log = self.log_path.open("wb")
        began = time.perf_counter()
        self.process = subprocess.Popen(argv, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True,
                                        env={**os.environ, **self.env})
        log.close()
        deadline = began + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.tail()}")
            try:
                status, _ = get(self.port, self.ready_path, self.headers, timeout=1.0)
                if status == 200:
                    self.startup = time.perf_counter() - began
                    return self.startup
            except OSError:
                pass
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer 200 within {timeout:.0f} s: {self.tail()}")
            time.sleep(0.005)

    def rss(self) -> float | None:
        return rss_mb(self.process.pid) if self.process else None

    def tail(self, lines: int = 5) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        group = self.process.pid  # its own session: the group id is its pid
        try:
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


_COMPILED: set[Path] = set()


def compiled(directory: Path) -> None:
    """The mock's modules in `directory` compiled to bytecode, as `pip install` leaves an installed
    package: otherwise, with PYTHONDONTWRITEBYTECODE set (as on the machines these benchmarks ran on)
    and the checkout installed editable, every start of the mock compiles every module again, about
    0.15 s that a user's installed mock does not spend. Python reads these files whatever that
    variable says. Once per directory and run."""
    if directory in _COMPILED:
        return
    _COMPILED.add(directory)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(directory / "mockserver")], check=True,
                   stdout=subprocess.DEVNULL)


def mock_server(ready_path: str, headers: dict[str, str], extra: list[str], fixtures: Path | None = None,
                name: str = "mock", directory: Path = ROOT, cache_home: Path | None = None) -> Server:
    """The mock from `directory` (the checkout, or a patched copy to compare with it), its modules
    compiled first (see `compiled`); `cache_home` is its XDG_CACHE_HOME, where it keeps large fixture
    files parsed."""
    compiled(directory)
    argv = [sys.executable, "-m", "mockserver", "--port", "{port}", *extra]
    if fixtures is not None:
        argv += ["--fixtures", str(fixtures)]
    env = {"XDG_CACHE_HOME": str(cache_home)} if cache_home is not None else {}
    return Server(name, argv, ready_path, headers, cwd=directory, env=env)


def baseline_server(ready_path: str) -> Server:
    argv = [sys.executable, str(BENCH / "baseline_app.py"), "--port", "{port}"]
    return Server("baseline", argv, ready_path)


def prism_command(package: str = PRISM_PACKAGE, timeout: float = 300.0) -> list[str]:
    """The installed Prism executable (installed by npx on first use); RuntimeError with the reason."""
    npx = shutil.which("npx")
    if npx is None:
        raise RuntimeError("npx not found (install Node.js and npm)")
    try:
        found = subprocess.run([npx, "--yes", "--package", package, "-c", "command -v prism"],
                               capture_output=True, text=True, timeout=timeout, cwd=BENCH,
                               stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"npx could not install {package} within {timeout:.0f} s") from None
    path = found.stdout.strip().splitlines()[-1] if found.stdout.strip() else ""
    if found.returncode != 0 or not path:
        reason = (found.stderr.strip().splitlines() or [f"exit {found.returncode}"])[-1]
        raise RuntimeError(f"npx could not install {package}: {reason}")
    return [path]


def prism_server(command: list[str], spec: Path, ready_path: str, headers: dict[str, str]) -> Server:
    argv = [*command, "mock", "-h", HOST, "-p", "{port}", str(spec)]
    return Server("prism", argv, ready_path, headers)


def mock_credentials(fixtures: Path | None = None) -> dict[str, str]:
    import json

    argv = [sys.executable, "-m", "mockserver", "credentials", "--json"]
    if fixtures is not None:
        argv += ["--fixtures", str(fixtures)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True)
    return dict(json.loads(done.stdout))
