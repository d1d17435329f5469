"""`make fuzz`: schemathesis against a live mock, several seeds, every phase and check.

Starts the mock on a free 127.0.0.1 port (stopped by its PID at the end), runs the
schemathesis CLI once per seed (examples, coverage, fuzzing, stateful; positive and
negative data; all checks), writes a JUnit report per seed under fuzz/results/, and
fails if any seed found a problem or the server logged an error.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from mockserver.process import running_mock

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "fuzz" / "results"
KEY = "fuzz-key"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    parser.add_argument("--examples", type=int, default=100, help="max examples per operation")
    parser.add_argument("--minutes", type=float, default=20, help="time bound per seed")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / "server.log"
    failed: list[str] = []
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
                "run", str(ROOT / "openapi.yaml"), "--url", mock.url,
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
    server_log = log_path.read_text(errors="replace")
    if "Traceback" in server_log or "ERROR" in server_log:
        failed.append(f"the server logged errors (see {log_path})")
    for line in failed:
        print(f"fuzz: FAILED {line}")
    print("fuzz: " + ("FAILED" if failed else f"passed: {args.seeds} without a finding"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
