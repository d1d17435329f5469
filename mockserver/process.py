"""The mock as a child process: started on a 127.0.0.1 port, ready when /_mock/health
answers, stopped by its PID (its whole process group). Used by the tests, `make fuzz`
and `make soak`, so they all start and stop it the same way."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
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
        deadline = time.monotonic() + ready_within_s
        while True:
            try:
                if httpx.get(f"{mock.url}/_mock/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"the mock exited with {proc.returncode} before it was ready")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the mock was not ready within {ready_within_s} s")
            time.sleep(0.05)
        yield mock
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
