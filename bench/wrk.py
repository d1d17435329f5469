"""Driving wrk: the Lua script for one request kind, the command, and its results.

wrk's `done()` hook prints one JSON line that we parse, so no text table is scraped.
wrk counts a response as a status error when its status is >= 400; the harness also
checks every route once with a real request before loading it, so a 3xx would show there.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

MARK = "BENCH_JSON "

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,'
    .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    "MARK", summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
"""


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        """Successful requests per second: non-2xx answers never count as speed."""
        return max(self.requests - self.non_2xx, 0) / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "seconds": self.seconds,
            "rps": self.rps,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
            "p50_ms": self.p50_ms,
            "p90_ms": self.p90_ms,
            "p99_ms": self.p99_ms,
            "max_ms": self.max_ms,
        }


def _lua_string(text: str) -> str:
    """A Lua long-bracket literal that cannot be closed by the text inside it."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def lua_script(request: Request) -> str:
    lines = [f"wrk.method = {_lua_string(request.method)}"]
    lines += [f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in request.headers]
    if request.body is not None:
        lines.append(f"wrk.body = {_lua_string(request.body)}")
    return "\n".join(lines) + "\n" + _DONE.replace('"MARK"', _lua_string(MARK))


def parse(output: str) -> Result:
    """The result from wrk's output (the line our `done()` wrote)."""
    for line in output.splitlines():
        if line.startswith(MARK):
            raw = json.loads(line[len(MARK) :])
            return Result(
                requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6,
                non_2xx=raw["status_errors"],
                socket_errors=raw["connect_errors"]
                + raw["read_errors"]
                + raw["write_errors"]
                + raw["timeouts"],
                p50_ms=raw["p50_us"] / 1000,
                p90_ms=raw["p90_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                max_ms=raw["max_us"] / 1000,
            )
    raise ValueError(f"no {MARK.strip()} line in wrk output:\n{output[-2000:]}")


def command(
    url: str, script_path: str, *, seconds: float, connections: int = 32, threads: int = 1
) -> list[str]:
    return [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(int(round(seconds)), 1)}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        script_path,
        url,
    ]


def run(
    base_url: str,
    request: Request,
    *,
    seconds: float,
    script_path: str,
    connections: int = 32,
    deadline_s: float | None = None,
) -> Result:
    """Load one route for `seconds`; bounded in time."""
    with open(script_path, "w", encoding="utf-8") as handle:
        handle.write(lua_script(request))
    done = subprocess.run(
        command(base_url + request.path, script_path, seconds=seconds, connections=connections),
        capture_output=True,
        text=True,
        timeout=deadline_s if deadline_s is not None else seconds + 30,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse(done.stdout)
