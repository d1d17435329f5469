"""`make fuzz`: schemathesis against a live mock, several seeds, every phase and check.

Starts the mock on a free 127.0.0.1 port (stopped by its PID at the end), runs the
schemathesis CLI once per seed (examples, coverage, fuzzing, stateful; positive and
negative data; all checks), writes a JUnit report per seed under fuzz/results/, and
fails if any seed found a problem or the server logged an error.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "fuzz" / "results"
KEY = "fuzz-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the mock exited before it was ready")
        try:
            if httpx.get(f"{url}/_mock/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit("the mock did not become ready in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    parser.add_argument("--examples", type=int, default=100, help="max examples per operation")
    parser.add_argument("--minutes", type=float, default=20, help="time bound per seed")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = RESULTS / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mockserver",
                "serve",
                "--port",
                str(port),
                "--api-key",
                KEY,
                "--speed",
                "50",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        failed: list[str] = []
        try:
            _wait_ready(url, server)
            for seed in args.seeds.split(","):
                print(
                    f"fuzz: seed {seed}, up to {args.examples} examples per operation ...",
                    flush=True,
                )
                report = RESULTS / f"junit-seed-{seed}.xml"
                command = [
                    str(Path(sys.executable).with_name("schemathesis")),
                    "run", str(ROOT / "openapi.yaml"), "--url", url,
                    "-H", f"X-API-Key: {KEY}",
                    "--checks", "all", "--mode", "all",
                    "--phases", "examples,coverage,fuzzing,stateful",
                    "--max-examples", str(args.examples), "--seed", seed,
                    "--report", "junit", "--report-junit-path", str(report),
                ]  # fmt: skip
                try:
                    result = subprocess.run(command, cwd=ROOT, timeout=args.minutes * 60)
                    if result.returncode != 0:
                        failed.append(f"seed {seed}: schemathesis found problems (see {report})")
                except subprocess.TimeoutExpired:
                    failed.append(f"seed {seed}: did not finish within {args.minutes} minutes")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
    server_log = log_path.read_text(errors="replace")
    if "Traceback" in server_log or "ERROR" in server_log:
        failed.append(f"the server logged errors (see {log_path})")
    for line in failed:
        print(f"fuzz: FAILED {line}")
    print("fuzz: " + ("FAILED" if failed else f"passed: {args.seeds} without a finding"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
