"""The `Prefer` request header (RFC 7240): what a caller asks of one run or one call. Pure."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.faults import RequestFaults
from mockserver.core.scenario import OUTCOMES, Scenario, parse_duration

_RANGE_MS = re.compile(r"^(\d+)(?:-(\d+))?ms$")


@dataclass(frozen=True, slots=True)
class Preferences:
    scenario: Scenario = field(default_factory=Scenario)
    faults: RequestFaults = field(default_factory=RequestFaults)
    # The tokens honoured, echoed in the Preference-Applied header.
    applied: tuple[str, ...] = ()
    # `replay=<name>`: a recorded run asked for (echoed only if a cassette holds it).
    replay: str | None = None
    # Prism's selection of a generic answer: `code=404`, `example=NAME`, `dynamic=true`.
    code: int | None = None
    example: str | None = None
    dynamic: bool = False

    def applied_of(self, *names: str) -> tuple[str, ...]:
        """The honoured tokens among `names` (what a call other than a create honours)."""
        return tuple(t for t in self.applied if t.partition("=")[0] in names)


def _non_negative_int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 6 else None


def _latency(value: str) -> tuple[int, int] | None:
    """`200ms` or `100-300ms` (at most a minute)."""
    match = _RANGE_MS.match(value)
    if not match:
        return None
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    return (low, high) if low <= high <= 60_000 else None


# Asked on every /v1 call (fault injection), mostly with no header or a repeated one.
@functools.lru_cache(maxsize=1024)
def parse_prefer(header: str | None) -> Preferences:
    """Parse `Prefer: outcome=failed, duration=30s, ...`; unknown or bad tokens are ignored
    (RFC 7240), and only the honoured ones are echoed."""
    scenario: dict[str, Any] = {}
    faults: dict[str, Any] = {}
    applied: list[str] = []
    replay: str | None = None
    chosen: dict[str, Any] = {}
    for token in (header or "").replace(";", ",").split(","):
        name, _, value = token.strip().partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        ok = True
        if name == "outcome" and value in OUTCOMES:
            scenario["outcome"] = value
        elif (
            name in ("duration", "queue_delay", "node_duration")
            and (d := parse_duration(value)) is not None
        ):
            scenario[f"{name}_s"] = d
        elif name in ("fail_at", "pause_at") and 0 < len(value) <= 200:
            scenario[name] = value
        elif name == "latency" and (bounds := _latency(value)) is not None:
            faults["latency_ms"] = bounds
        elif name == "fault" and value in ("429", "503"):
            faults["status"] = int(value)
        elif name == "sse_cut" and (n := _non_negative_int(value)) is not None:
            faults["sse_cut_after"] = n
        elif name == "webhook_fail" and (n := _non_negative_int(value)) is not None:
            faults["webhook_fail_times"] = n
        elif name == "webhook_duplicate" and (n := _non_negative_int(value)) is not None:
            faults["webhook_duplicates"] = min(n, 10)
        elif name == "webhook_delay" and (d := parse_duration(value)) is not None:
            faults["webhook_delay_s"] = d
        elif name == "code" and value.isdigit() and 100 <= int(value) <= 599:
            # Echoed by the generic answer that honours it, not by the run lifecycle.
            chosen["code"], ok = int(value), False
        elif name == "example" and 0 < len(value) <= 200:
            chosen["example"], ok = value, False
        elif name == "dynamic" and value in ("true", "false"):
            chosen["dynamic"], ok = value == "true", False
        elif name == "replay" and 0 < len(value) <= 200:
            replay, ok = value, False  # honoured (and echoed) only if it names a recording
        else:
            ok = False
        if ok:
            applied.append(f"{name}={value}")
    if "fail_at" in scenario and "outcome" not in scenario:
        scenario["outcome"] = "failed"
    return Preferences(
        Scenario(**scenario), RequestFaults(**faults), tuple(applied), replay, **chosen
    )
