"""What `mockserver proxy` adds per call: the same sequential calls straight to a mock and
through the proxy in front of it, interleaved, on 127.0.0.1; p50 / p99 of each and of the
difference. Bounded: `--calls` per kind and path (default 300), and `--max-seconds`.

    python -m bench.proxy_latency [--calls 300] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from mockserver.process import free_port, health_answers, running_mock, stop, wait_ready

WORKFLOW = "239baa8b-4361-5782-9277-a817111bd274"
KEY = {"X-API-Key": "bench-proxy"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def running_proxy(upstream: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "proxy", "--upstream", upstream]
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # stopped by process group, as every server we start
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, "the proxy", lambda: health_answers(url), 30)
        yield url
    finally:
        stop(proc)


def measure(calls: int, max_seconds: float) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with (
        running_mock("--speed", "50", "--seed", "1") as mock,
        running_proxy(mock.url) as proxy,
        httpx.Client(timeout=30) as client,
    ):
        run = client.post(
            f"{mock.url}/v1/workflows/{WORKFLOW}/runs", headers=KEY, json={"input": {}}
        ).json()
        kinds: dict[str, tuple[str, str, dict[str, Any] | None]] = {
            "poll": ("GET", f"/v1/workflows/{WORKFLOW}/runs/{run['id']}", None),
            "create": ("POST", f"/v1/workflows/{WORKFLOW}/runs", {"input": {}}),
            "list": ("GET", f"/v1/workflows/{WORKFLOW}/runs?size=10", None),
        }
        deadline = time.monotonic() + max_seconds
        for name, (method, path, body) in kinds.items():
            times: dict[str, list[float]] = {"direct": [], "proxy": []}
            for _ in range(calls):
                if time.monotonic() > deadline:
                    break
                for where, base in (("direct", mock.url), ("proxy", proxy)):
                    began = time.perf_counter()
                    answer = client.request(method, base + path, headers=KEY, json=body)
                    times[where].append((time.perf_counter() - began) * 1000)
                    answer.raise_for_status()
            direct, via = times["direct"], times["proxy"]
            added = [v - d for v, d in zip(via, direct, strict=True)]
            results[name] = {
                "calls": len(direct),
                "direct_p50_ms": percentile(direct, 0.5),
                "direct_p99_ms": percentile(direct, 0.99),
                "proxy_p50_ms": percentile(via, 0.5),
                "proxy_p99_ms": percentile(via, 0.99),
                "added_p50_ms": statistics.median(added),
                "added_p99_ms": percentile(added, 0.99),
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = measure(args.calls, args.max_seconds)
    print(
        "proxy latency (ms, sequential, 127.0.0.1)   direct p50/p99   proxy p50/p99   added p50/p99"
    )
    for name, r in results.items():
        print(
            f"  {name:<8} {int(r['calls']):>5} calls          "
            f"{r['direct_p50_ms']:6.2f} / {r['direct_p99_ms']:6.2f}   "
            f"{r['proxy_p50_ms']:6.2f} / {r['proxy_p99_ms']:6.2f}   "
            f"{r['added_p50_ms']:6.2f} / {r['added_p99_ms']:6.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
