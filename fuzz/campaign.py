"""`make fuzz`: stock schemathesis against a live mock, several seeds, every phase and check.

Starts the mock with a configured key on a free 127.0.0.1 port (stopped by its PID at the
end), runs the schemathesis CLI once per seed (examples, coverage, fuzzing, stateful;
positive and negative data; all checks; fuzz/schemathesis.toml), writes a JUnit report
per seed under fuzz/results/, prints each seed's stateful link coverage, and fails if any
seed found a problem, covered fewer than 80% of the spec's links, or the server logged
an error.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
from pathlib import Path

from apicontract.spec import load_yaml
from fuzz import links
from mockserver.process import running_mock

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "fuzz" / "results"
KEY = "fuzz-key"
CONFIG = ROOT / "fuzz" / "schemathesis.toml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    parser.add_argument("--examples", type=int, default=100, help="max examples per operation")
    parser.add_argument("--minutes", type=float, default=20, help="time bound per seed")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / "server.log"
    failed: list[str] = []
    declared = links.declared_links(load_yaml(ROOT / "openapi.yaml"))
    with (
        log_path.open("w") as log,
        running_mock("--api-key", KEY, "--speed", "50", output=log) as mock,
    ):
        for seed in args.seeds.split(","):
            print(
                f"fuzz: seed {seed}, up to {args.examples} examples per operation ...", flush=True
            )
            report = RESULTS / f"junit-seed-{seed}.xml"
            command = [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file", str(CONFIG),
                "run", str(ROOT / "openapi.yaml"), "--url", mock.url,
                "-H", f"X-API-Key: {KEY}",
                "--checks", "all", "--mode", "all",
                "--phases", "examples,coverage,fuzzing,stateful",
                "--max-examples", str(args.examples), "--seed", seed,
                "--report", "junit", "--report-junit-path", str(report),
            ]  # fmt: skip
            try:
                code, output = _echoed(command, args.minutes * 60)
                if code != 0:
                    failed.append(f"seed {seed}: schemathesis found problems (see {report})")
                coverage = links.parse(output)
                if coverage is None:
                    failed.append(f"seed {seed}: schemathesis printed no stateful link coverage")
                else:
                    print(f"fuzz: seed {seed}: stateful link coverage {coverage}", flush=True)
                    failed += [f"seed {seed}: {p}" for p in coverage.problems(declared)]
            except subprocess.TimeoutExpired:
                failed.append(f"seed {seed}: did not finish within {args.minutes} minutes")
    server_log = log_path.read_text(errors="replace")
    if "Traceback" in server_log or "ERROR" in server_log:
        failed.append(f"the server logged errors (see {log_path})")
    for line in failed:
        print(f"fuzz: FAILED {line}")
    print("fuzz: " + ("FAILED" if failed else f"passed: {args.seeds} without a finding"))
    return 1 if failed else 0


def _echoed(command: list[str], timeout_s: float) -> tuple[int, str]:
    """Run `command`, echoing its output as it comes; its exit code and whole output."""
    lines: list[str] = []
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        expired = threading.Event()

        def stop() -> None:
            expired.set()
            proc.kill()  # our own child, by its handle

        watchdog = threading.Timer(timeout_s, stop)
        watchdog.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                print(line, end="", flush=True)
                lines.append(line)
            code = proc.wait()
        finally:
            watchdog.cancel()
    if expired.is_set():
        raise subprocess.TimeoutExpired(command, timeout_s)
    return code, "".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
