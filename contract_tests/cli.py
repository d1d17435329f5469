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

from contract_tests.options import SPECS

PACKAGE = Path(__file__).resolve().parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contract-tests",
        description="Check an implementation of openapi.yaml over HTTP, run lifecycle included. "
        "Without --base-url the project's mock is started on a free port. Other options "
        "are passed to pytest (e.g. -x, -k NAME, -q).",
    )
    for spec in SPECS:
        parser.add_argument(spec.flag, help=f"{spec.help} [env {spec.env}]")
    parser.add_argument("--junitxml", metavar="PATH", help="write a JUnit XML report")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    known, passthrough = _parser().parse_known_args(argv)
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
