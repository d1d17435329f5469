"""What a Redis server was asked between two points: commands and round trips.

Commands come from `INFO commandstats` (a command a Lua script runs counts too); round
trips from `INFO stats` total_reads_processed (one read event per batch a client sends,
so a pipeline is one). The tally's own RESETSTAT and INFO are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The tally's own commands, never the mock's.
_OWN = {"cmdstat_info", "cmdstat_config|resetstat"}
_OWN_READS = 2  # the RESETSTAT before and the INFO after


@dataclass(frozen=True, slots=True)
class Counted:
    commands: int
    round_trips: int
    # Calls by command name (lower case), for a message that says what was sent.
    by_command: dict[str, int]

    def per(self, calls: int) -> tuple[float, float]:
        """Commands and round trips per call, over `calls` calls."""
        return self.commands / calls, self.round_trips / calls


def reset(r: Any) -> None:
    """Zero the server's counters (a redis.Redis client)."""
    r.config_resetstat()


def counted(r: Any) -> Counted:
    """What the server saw since the last `reset`."""
    info = r.info("commandstats", "stats")
    by_command = {
        name.removeprefix("cmdstat_"): int(stats["calls"])
        for name, stats in info.items()
        if name.startswith("cmdstat_") and name not in _OWN
    }
    reads = int(info["total_reads_processed"]) - _OWN_READS
    return Counted(sum(by_command.values()), max(reads, 0), by_command)
