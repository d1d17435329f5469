"""Where state lives, chosen by `--state`: none, memory; a path, a SQLite file;
`redis://...`, a Redis server replicas share. The one module that knows all three
backends (they import `backend`, never this)."""

from __future__ import annotations

from pathlib import Path

from mockserver.core.clock import SimClock
from mockserver.settings import Settings
from mockserver.storage.backend import Backend, in_memory, process_clock


def is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://"))


def open_backend(settings: Settings, clock: SimClock | None = None) -> Backend:
    """`--state` none: memory; `redis://...`: a Redis server replicas share; else a SQLite
    file. `clock` (tests) replaces the memory backend's clock."""
    state = settings.state
    if state is None:
        return in_memory(clock or process_clock(settings), settings.seed)
    if is_redis(state):
        from mockserver.storage import redis  # only a team mock needs the redis package

        return redis.open_redis(state, settings)
    from mockserver.storage import sqlite

    return sqlite.open_sqlite(Path(state), settings)
