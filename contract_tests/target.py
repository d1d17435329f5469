"""The implementation under test: a URL given by the user, or this project's mock, started here.

The mock runs as a child process (`python -m mockserver serve`) on a free 127.0.0.1 port,
at speed 20 so runs finish in a fraction of a second, and is stopped by its PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

MOCK_SPEED = "20"


@dataclass
class Target:
    base_url: str
    # the mock process when the suite started it, else None
    process: subprocess.Popen[bytes] | None = None
    # the file its stderr goes to (closed with it)
    log: IO[bytes] | None = None

    @property
    def is_own_mock(self) -> bool:
        return self.process is not None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.log is not None:
            self.log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mock(timeout: float = 30, spec: Path | None = None) -> Target:
    port = free_port()
    # a file, not a pipe: a chatty child must never block on a full pipe
    log = tempfile.TemporaryFile()
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
    if spec is not None:
        command += ["--spec", str(spec)]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--speed", MOCK_SPEED],
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,  # its own process group: stopped with everything it spawned
    )
    target = Target(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{target.base_url}/_mock/health", timeout=1).status_code == 200:
                return target
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            errors = log.read().decode(errors="replace")
            target.stop()
            raise RuntimeError(f"the mock did not start on port {port}:\n{errors}")
        time.sleep(0.05)
