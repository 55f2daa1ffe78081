"""Helpers for the contract-kit tests: servers in their own processes, the kit as a subprocess.

The kit and the server under test never share a process (or the GIL): the mock is started
as `python -m mockserver`, the broken variants as `python -m tests.broken`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A server command run until the test session ends."""

    def __init__(self, args: list[str], port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{args} exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{args} did not start listening on {port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


def kit_env(**values: str | None) -> dict[str, str]:
    """The environment for a kit subprocess: this one without CONTRACT_* leftovers, plus `values`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONTRACT_")}
    env.update({key: value for key, value in values.items() if value is not None})
    return env


def run_kit(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "contracts", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env or kit_env(), timeout=timeout)
