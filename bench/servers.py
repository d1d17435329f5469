"""The servers under test: how each is started, probed, measured and stopped.

Every server runs in its own session (process group) and is stopped by its PID: SIGTERM
to the group, then SIGKILL if it has not gone within a few seconds.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "bench" / "node_modules" / ".bin" / "prism"
HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    argv: Callable[[int], list[str]]
    env: Mapping[str, str] = field(default_factory=dict)


def _uvicorn(app: str) -> Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
        ]

    return argv


def ours(*extra: str) -> Callable[[int], list[str]]:
    """Our mock through its own CLI, as users start it (both validations on by default)."""

    def argv(port: int) -> list[str]:
        return [sys.executable, "-m", "mockserver", "serve", "--port", str(port), *extra]

    return argv


def prism(port: int) -> list[str]:
    return [str(PRISM), "mock", str(ROOT / "openapi.yaml"), "-h", HOST, "-p", str(port)]


TARGETS = {
    "ours": Target("ours", ours()),
    "prism": Target("prism", lambda port: [*prism(port), "-v", "warn"]),
    "ceiling": Target("ceiling", _uvicorn("bench.ceiling:app")),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


def call(
    port: int,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
    timeout: float = 5.0,
) -> Answer:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return Answer(response.status, response.read())
    finally:
        conn.close()


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in KiB, from /proc."""
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found


class Server:
    """One running server on a free port; a context manager that always stops it."""

    def __init__(self, target: Target, log_dir: Path, *, env: Mapping[str, str] | None = None):
        self.target = target
        self.port = free_port()
        self._log_path = log_dir / f"{target.name}-{self.port}.log"
        self._log: IO[bytes] | None = None
        self._extra_env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
        env.update(self.target.env)
        env.update(self._extra_env)
        self._log = self._log_path.open("wb")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            self.target.argv(self.port),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_ready(self, probe: Callable[[int], bool], *, timeout: float = 30.0) -> float:
        """Seconds from spawn to the first passing probe, polling every 10 ms."""
        assert self.process is not None
        deadline = self.started_at + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.target.name} exited early; see {self._log_path}")
            try:
                if probe(self.port):
                    return time.perf_counter() - self.started_at
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.01)
        raise TimeoutError(f"{self.target.name} not ready in {timeout}s; see {self._log_path}")

    def memory_kb(self) -> dict[str, int]:
        return memory_kb(self.pid)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
