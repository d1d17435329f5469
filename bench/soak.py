"""`make soak`: a bounded mixed load (create, poll, stream, stop) against a live mock.

First a short probe finds the mixed-load capacity (requests/s with 32 concurrent
clients); then the soak runs at a fraction of it (70% by default) for a fixed time,
sampling the server's RSS. It reports errors (any 5xx, any transport error, any 4xx
but the expected 409 of stopping a finished run), latency percentiles and whether RSS
stayed flat after the warm-up. Every loop is bounded in time; the server is stopped by
its PID. Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mockserver.process import running_mock

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = "239baa8b-4361-5782-9277-a817111bd274"
RUNS = f"/v1/workflows/{WORKFLOW}/runs"
HEADERS = {"X-API-Key": "soak"}
# Streams hold a client for the run's length, so the probe needs many to load the CPU.
PROBE_CLIENTS = 128


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def ok(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _one(client: httpx.AsyncClient, tally: Tally, rng: random.Random) -> None:
    """One user action: create a run, then poll it, stream it or stop it."""
    started = time.perf_counter()
    response = await client.post(RUNS, json={"input": {"User Question": "soak"}}, headers=HEADERS)
    if response.status_code != 200:
        tally.error(f"create {response.status_code}")
        return
    tally.ok("create", time.perf_counter() - started)
    run_id = response.json()["id"]
    choice = rng.random()
    started = time.perf_counter()
    if choice < 0.6:
        response = await client.get(f"{RUNS}/{run_id}", headers=HEADERS)
        kind, fine = "poll", response.status_code == 200
    elif choice < 0.8:
        response = await client.post(f"/v1/runs/{run_id}/stop", headers=HEADERS)
        kind, fine = "stop", response.status_code in (200, 409)
    else:
        async with client.stream("GET", f"/v1/runs/{run_id}/events", headers=HEADERS) as stream:
            body = b"".join([chunk async for chunk in stream.aiter_bytes()])
        kind, fine = "stream", stream.status_code == 200 and b"workflow_status" in body
        response = stream
    if fine:
        tally.ok(kind, time.perf_counter() - started)
    else:
        tally.error(f"{kind} {response.status_code}")


async def _drive(base: str, seconds: float, rate: float | None, tally: Tally, seed: int) -> None:
    """Open loop at `rate` actions/s, or closed loop (PROBE_CLIENTS) when rate is None."""
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=PROBE_CLIENTS, max_keepalive_connections=PROBE_CLIENTS)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def guarded() -> None:
            try:
                await _one(client, tally, rng)
            except httpx.HTTPError as exc:
                tally.error(type(exc).__name__)

        if rate is None:

            async def worker() -> None:
                while time.monotonic() < deadline:
                    await guarded()

            await asyncio.gather(*(worker() for _ in range(PROBE_CLIENTS)))
            return
        pending: set[asyncio.Task[None]] = set()
        next_at = time.monotonic()
        while time.monotonic() < deadline:
            if len(pending) < 256:  # bounded in flight
                task = asyncio.create_task(guarded())
                pending.add(task)
                task.add_done_callback(pending.discard)
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), timeout=60)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--load", type=float, default=0.7, help="fraction of probed capacity")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before RSS counts")
    parser.add_argument("--max-runs", type=int, default=2000, help="the mock's stored-run cap")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "soak.json")
    args = parser.parse_args()
    # A store cap reached within the warm-up, so the soak runs with eviction at work
    # and a flat RSS means no leak rather than "the store is still filling".
    room = {"MOCKSERVER_MAX_RUNS": str(args.max_runs)}
    with running_mock("--speed", "20", env=room) as mock:
        base, server = mock.url, mock.proc
        probe = Tally()
        print("soak: probing capacity for 15 s ...", flush=True)
        started = time.monotonic()
        asyncio.run(_drive(base, 15, None, probe, seed=1))
        capacity = probe.count / (time.monotonic() - started)
        rate = capacity * args.load / 2  # each action is two requests
        print(
            f"soak: capacity {capacity:.0f} req/s; "
            f"soaking at {rate * 2:.0f} req/s for {args.minutes} min",
            flush=True,
        )
        tally = Tally()
        samples: list[tuple[float, float]] = []

        async def soak() -> None:
            load = asyncio.create_task(_drive(base, args.minutes * 60, rate, tally, seed=2))
            t0 = time.monotonic()
            while not load.done():
                at, rss = time.monotonic() - t0, _rss_mb(server.pid)
                samples.append((at, rss))
                errors = sum(tally.errors.values())
                print(
                    f"soak: {at:5.0f} s  {tally.count} ok  {errors} errors  RSS {rss:.0f} MB",
                    flush=True,
                )
                await asyncio.wait({load}, timeout=10)
            await load

        asyncio.run(soak())
    settled = [rss for at, rss in samples if at >= args.warmup]
    growth = (settled[-1] - settled[0]) if len(settled) > 1 else 0.0
    summary = {
        "minutes": args.minutes,
        "capacity_rps": round(capacity),
        "soak_rps": round(tally.count / (args.minutes * 60)),
        "requests_ok": tally.count,
        "errors": tally.errors,
        "latency_ms": {
            kind: {"p50": round(_percentile(v, 0.5), 1), "p99": round(_percentile(v, 0.99), 1)}
            for kind, v in tally.latencies.items()
        },
        "rss_mb": {
            "after_warmup": round(settled[0], 1) if settled else None,
            "end": round(settled[-1], 1) if settled else None,
            "max": round(max(r for _, r in samples), 1) if samples else None,
            "median_after_warmup": round(statistics.median(settled), 1) if settled else None,
        },
        "rss_growth_after_warmup_mb": round(growth, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    flat = growth <= 0.1 * (settled[0] if settled else 1) + 5
    passed = not tally.errors and flat
    verdict = "passed" if passed else "FAILED"
    print(f"soak: {verdict} (errors {sum(tally.errors.values())}, RSS growth {growth:.1f} MB)")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
