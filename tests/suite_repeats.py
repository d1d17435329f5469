"""The whole contract suite N times in a row against tests/other_backend.py, unseeded and
restarted each time (new timings, new uuid4 ids): a conforming backend whose answers vary
must never fail it (no hypothesis health-check or flakiness error of the suite's own).

Run: `make contract-repeat` (REPEAT=10). Exit 1 at the first run that does not pass.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.test_other_backend import backend, run_suite


def main() -> int:
    parser = argparse.ArgumentParser(prog="suite-repeats", description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suite-repeats-") as scratch:
        for number in range(1, args.times + 1):
            started = time.monotonic()
            with backend("--pace", "fast") as url:
                outcome = run_suite(url, Path(scratch) / f"run-{number}")
            took = time.monotonic() - started
            last = outcome.output.strip().splitlines()[-1] if outcome.output.strip() else ""
            print(f"run {number}/{args.times}: exit {outcome.code} in {took:.0f} s: {last}")
            if outcome.code != 0:
                print(outcome.output[-6000:])
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
