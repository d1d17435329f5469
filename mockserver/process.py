"""Child processes: the mock (ready when /_mock/health answers) and a redis-server (ready
when it answers PING), each on a 127.0.0.1 port and stopped by its PID (its whole process
group). Used by the tests, `make fuzz`, `make soak`, `make bench` and `make team`, so they
all start and stop them the same way."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MockProcess:
    proc: subprocess.Popen[Any]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def running_mock(
    *args: str,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    output: int | IO[Any] | None = subprocess.DEVNULL,
    ready_within_s: float = 30.0,
) -> Iterator[MockProcess]:
    """`mockserver serve --port PORT *args`; `env` adds to the current environment."""
    port = port or free_port()
    command: Sequence[str] = [
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--port",
        str(port),
        *args,
    ]
    proc = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=output == subprocess.PIPE,
    )
    mock = MockProcess(proc, port)
    try:
        wait_ready(proc, "the mock", lambda: health_answers(mock.url), ready_within_s)
        yield mock
    finally:
        stop(proc)


def health_answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_mock/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_ready(
    proc: subprocess.Popen[Any], name: str, ready: Callable[[], bool], within_s: float
) -> None:
    """Until `ready()`; an exit or `within_s` seconds first is a RuntimeError naming `name`."""
    deadline = time.monotonic() + within_s
    while not ready():
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} was not ready within {within_s} s")
        time.sleep(0.05)


def stop(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


class RedisMissing(RuntimeError):
    """No redis-server on PATH."""


class RedisProcess(MockProcess):
    """A child redis-server: the same process and port, a redis:// URL."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextmanager
def running_redis(port: int | None = None, ready_within_s: float = 15.0) -> Iterator[RedisProcess]:
    """A throw-away redis-server (no persistence) on a free 127.0.0.1 port."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisMissing(
            "redis-server is not installed: `make redis-server` installs the Debian package"
            " (apt-get install redis-server)"
        )
    port = port or free_port()
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly"]
    proc = subprocess.Popen(
        [*command, "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = RedisProcess(proc, port)
    try:
        wait_ready(
            proc, f"redis-server on port {port}", lambda: _answers_ping(port), ready_within_s
        )
        yield server
    finally:
        stop(proc)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
