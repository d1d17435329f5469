"""A team mock pays few Redis commands per call: counted by a real redis-server.

The app runs on uvicorn over the session's redis-server; `INFO commandstats` after `CONFIG
RESETSTAT` counts everything the mock sent meanwhile (its journal flushes and its webhook
dispatcher included), over 100 creates and then 100 polls.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import redis

from bench import commandstats
from mockserver.settings import Settings
from mockserver.storage import redis as redis_backend
from tests.conftest import KEY, QA, serving

RUNS = f"/v1/workflows/{QA.id}/runs"
CALLS = 100
MAX_PER_CREATE = 8.0
MAX_PER_POLL = 3.0


def _settled() -> None:
    """Let the journal's last batch go out, so it is counted with the calls that made it."""
    time.sleep(redis_backend.JOURNAL_FLUSH_S * 3)


def test_a_create_and_a_poll_over_redis_send_few_commands(redis_server: Any) -> None:
    r = redis.Redis.from_url(redis_server.url)
    r.flushdb()
    with serving(Settings(state=redis_server.url)) as server, httpx.Client() as client:
        body = {"input": {"User Question": "q"}}
        first = client.post(f"{server.url}{RUNS}", json=body, headers=KEY)
        assert first.status_code == 200, first.text
        _settled()

        commandstats.reset(r)
        ids = []
        for _ in range(CALLS):
            made = client.post(f"{server.url}{RUNS}", json=body, headers=KEY)
            assert made.status_code == 200, made.text
            ids.append(made.json()["id"])
        _settled()
        creates = commandstats.counted(r)

        commandstats.reset(r)
        for run_id in ids:
            polled = client.get(f"{server.url}{RUNS}/{run_id}", headers=KEY)
            assert polled.status_code == 200, polled.text
        _settled()
        polls = commandstats.counted(r)

        asked: dict[str, str | int] = {"api_key": KEY["X-API-Key"], "limit": 1000}
        journal = client.get(f"{server.url}/_mock/journal", params=asked).json()["entries"]
        assert len(journal) == 1 + 2 * CALLS  # none lost to the batching

    per_create, trips_create = creates.per(CALLS)
    per_poll, trips_poll = polls.per(CALLS)
    said = (
        f"create: {per_create:.2f} commands, {trips_create:.2f} round trips"
        f" {creates.by_command}; poll: {per_poll:.2f} commands, {trips_poll:.2f} round trips"
        f" {polls.by_command}"
    )
    assert per_create <= MAX_PER_CREATE, said
    assert per_poll <= MAX_PER_POLL, said
    # Round trips as the server saw them; background loops (dispatcher, journal) included.
    assert trips_create <= 2.5 and trips_poll <= 1.5, said
