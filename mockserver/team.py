"""`mockserver team`: N mock replicas on consecutive ports over one Redis, in one command.

Without --redis it starts a throw-away redis-server on a free 127.0.0.1 port. Every child
is stopped by its PID on Ctrl+C (or when one of them exits).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from mockserver.process import RedisMissing, running_mock, running_redis


@contextmanager
def _redis(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    with running_redis() as server:
        yield server.url


def run_team(replicas: int, port: int, redis_url: str | None, serve_args: Sequence[str]) -> int:
    if replicas < 1:
        print("error: --replicas must be >= 1", file=sys.stderr)
        return 2
    try:
        with ExitStack() as stack:
            url = stack.enter_context(_redis(redis_url))
            mocks = [
                stack.enter_context(
                    running_mock(*serve_args, "--state", url, port=port + i, output=None)
                )
                for i in range(replicas)
            ]
            print(f"Team mock: {replicas} replica(s) over {url}", flush=True)
            for mock in mocks:
                print(f"  {mock.url}  (pid {mock.proc.pid})", flush=True)
            print("  Stop with Ctrl+C.", flush=True)
            _wait(mocks)
    except RedisMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a replica that would not start (port taken, bad flag...)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _wait(mocks: Sequence[Any]) -> None:
    stop = {"asked": False}

    def asked(*_: Any) -> None:
        stop["asked"] = True

    signal.signal(signal.SIGTERM, asked)
    with contextlib.suppress(KeyboardInterrupt):
        while not stop["asked"]:
            if any(m.proc.poll() is not None for m in mocks):
                print("a replica exited: stopping the team", file=sys.stderr)
                return
            time.sleep(0.5)
