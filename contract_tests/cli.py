"""`contract-tests`: the suite as one command (pytest underneath; unknown options pass through).

contract-tests --base-url http://127.0.0.1:4010 --api-key KEY --junitxml report.xml
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from contract_tests import preflight
from contract_tests.options import SPECS

PACKAGE = Path(__file__).resolve().parent
EXIT_CODES = f"""exit codes:
  0  every test passed: the implementation conforms (as far as checked)
  1  some rule was broken (each failure starts with its [rule id])
  2  interrupted; 3 internal error; 4 bad option; 5 no test selected (pytest's codes)
  {preflight.UNREACHABLE}  --base-url is malformed or nothing answers HTTP there (checked first,
     within {preflight.PROBE_TIMEOUT_S:g} s): one line, nothing was checked"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contract-tests",
        description="Check an implementation of openapi.yaml over HTTP, run lifecycle included. "
        "Without --base-url the project's mock is started on a free port. Other options "
        "are passed to pytest (e.g. -x, -k NAME, -q).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for spec in SPECS:
        parser.add_argument(spec.flag, help=f"{spec.help} [env {spec.env}]")
    parser.add_argument("--junitxml", metavar="PATH", help="write a JUnit XML report")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    known, passthrough = _parser().parse_known_args(argv)
    base_url = known.base_url or os.environ.get("CONTRACT_BASE_URL")
    if base_url:
        try:
            preflight.check(base_url)
        except preflight.TargetError as exc:
            print(preflight.line(exc), file=sys.stderr)
            return preflight.UNREACHABLE
    args = [
        str(PACKAGE),
        # The suite's own settings, not those of a pytest.ini or pyproject.toml found
        # above site-packages (a venv inside some project).
        "-c",
        os.devnull,
        f"--rootdir={PACKAGE}",
        "-p",
        "no:cacheprovider",
        # This package is imported already (this command is in it); it also holds the
        # `noxus_mock` plugin, which makes pytest want to rewrite it: nothing to warn about.
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "--tb=short",
        # Each failure's report is printed once, above: on CI (the CI variable set) pytest
        # would repeat it whole in the summary line, doubling the output.
        "--force-short-summary",
        *passthrough,
    ]
    for spec in SPECS:
        value = getattr(known, spec.dest.removeprefix("contract_"))
        if value is not None:
            args += [spec.flag, value]
    if known.junitxml:
        args.append(f"--junitxml={known.junitxml}")
    return int(pytest.main(args))


if __name__ == "__main__":
    sys.exit(main())
