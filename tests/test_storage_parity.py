"""One parity suite: every storage protocol against every backend (memory, SQLite, Redis).

Each test builds a fresh backend in its own event loop (the Redis client binds to it) and
checks what the web layer relies on: atomic changes, paging, eviction, the due-webhook
index, leases, the clock and offsets, faults, the journal, ids and the stream cap.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis

from mockserver.core.clock import MANUAL_EPOCH, ManualClock
from mockserver.core.faults import FaultRule, Faults
from mockserver.core.lifecycle import IllegalMove, Step, Timeline
from mockserver.core.models import Attempt, Delivery, Entry, Run
from mockserver.settings import Settings
from mockserver.storage.backend import Backend
from mockserver.storage.location import open_backend

T0 = MANUAL_EPOCH
Scenario = Callable[[Backend], Awaitable[None]]
_files = itertools.count()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def run_on(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Scenario], None]:
    """Run a scenario against a fresh backend of the parametrized kind."""
    kind = request.param
    state: str | None = None
    if kind == "sqlite":
        state = str(tmp_path / f"state-{next(_files)}.db")
    elif kind == "redis":
        server = request.getfixturevalue("redis_server")
        redis.Redis.from_url(server.url).flushdb()
        state = server.url
    settings = Settings(clock="manual", state=state, seed=7)

    @asynccontextmanager
    async def opened() -> AsyncIterator[Backend]:
        backend = open_backend(settings, ManualClock() if state is None else None)
        await backend.start()
        try:
            yield backend
        finally:
            await backend.close()

    def run(scenario: Scenario) -> None:
        async def main() -> None:
            async with opened() as backend:
                await scenario(backend)

        asyncio.run(main())

    return run


def _run(run_id: str, ws: str = "w", wf: str = "wf", start: float = 0, **kw: Any) -> Run:
    timeline = Timeline.plan(T0 + start, 0, (Step("a", 1),), **kw)
    return Run(run_id, ws, wf, {"q": run_id}, timeline, callback_url=kw.get("url"))


def test_runs_are_stored_found_and_paged_newest_first(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        for i in range(7):
            await b.runs.add(_run(f"r{i}", wf="wf" if i % 2 else "other", start=i))
        await b.runs.add(_run("v1", ws="v"))
        assert (await b.runs.get("w", "r3")) is not None
        assert (await b.runs.get("v", "r3")) is None  # another workspace's run: not found
        assert (await b.runs.find("v1")) is not None and await b.runs.count() == 8
        page, total = await b.runs.page("w", 1, 3)
        assert [r.id for r in page] == ["r5", "r4", "r3"] and total == 7
        page, total = await b.runs.page("w", 0, 10, workflow_id="wf")
        assert [r.id for r in page] == ["r5", "r3", "r1"] and total == 3
        stored = await b.runs.get("w", "r2")
        assert stored is not None and stored.input == {"q": "r2"} and stored.sequence > 0
        await b.runs.clear("w")
        assert await b.runs.count() == 1 and (await b.runs.page("w", 0, 5))[1] == 0
        await b.runs.clear()
        assert await b.runs.count() == 0 and await b.runs.find("v1") is None
        assert (await b.time.read()).now == pytest.approx(T0)  # the clock is not a run

    run_on(scenario)


def test_glances_read_a_run_or_the_room_with_the_clock(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        await b.time.advance(5, "w")
        for i in range(3):
            await b.runs.add(_run(f"r{i}", start=-10))
        run, clock = await b.glances.run_at("w", "r1")
        assert run is not None and run.id == "r1" and clock.now == pytest.approx(T0 + 5)
        assert clock.offset == pytest.approx(5)
        missing, clock = await b.glances.run_at("v", "r1")  # another workspace's run
        assert missing is None and clock.now == pytest.approx(T0)
        assert [(await b.glances.room_at("w", cap))[0] for cap in (3, 4)] == [False, True]
        await b.runs.add(_run("r3"))
        room, clock = await b.glances.room_at("w", 4)
        assert not room and clock.now == pytest.approx(T0 + 5)
        assert [r.id for r in await b.runs.evict_finished(1, T0)] == ["r0"]
        assert (await b.glances.room_at("w", 4))[0]  # an eviction makes room again
        await b.runs.clear()
        assert (await b.glances.room_at("w", 1))[0]

    run_on(scenario)


def test_a_change_is_atomic_one_stop_wins_of_many(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        await b.runs.add(_run("r", start=0))
        live = Timeline.plan(T0, 100, (Step("a", 1),))
        await b.runs.change("r", lambda run: live)
        read = await b.runs.find("r")  # read before the stops: what is read after differs
        assert read is not None and read.timeline.snapshot_at(T0 + 2).status == "queued"

        async def stop() -> str:
            try:
                await b.runs.change("r", lambda run: run.timeline.stop(T0 + 1))
            except IllegalMove:
                return "conflict"
            return "stopped"

        results = await asyncio.gather(*(stop() for _ in range(20)))
        assert results.count("stopped") == 1 and results.count("conflict") == 19
        found = await b.runs.find("r")
        assert found is not None and found.timeline.snapshot_at(T0 + 2).status == "stopped"
        assert await b.runs.change("nobody", lambda run: run.timeline) is None

    run_on(scenario)


def test_eviction_takes_the_first_ended_never_a_live_run_nor_one_owing_a_webhook(
    run_on: Any,
) -> None:
    async def scenario(b: Backend) -> None:
        await b.runs.add(_run("early", start=0))
        await b.runs.add(_run("late", start=10))
        await b.runs.add(_run("owes", start=0))
        await b.outbox.expect("w", "owes", T0 + 1)
        await b.runs.add(_run("paused", pause_at="a"))
        gone = await b.runs.evict_finished(1, T0 + 50)
        assert [r.id for r in gone] == ["early"]
        gone = await b.runs.evict_finished(10, T0 + 50)
        assert [r.id for r in gone] == ["late"]
        assert {r.id for r in (await b.runs.page("w", 0, 10))[0]} == {"owes", "paused"}

    run_on(scenario)


def test_the_due_webhook_index_follows_stops_and_pauses(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        await b.outbox.expect("w", "a", T0 + 5)
        await b.outbox.expect("w", "b", T0 + 20)
        await b.outbox.expect("v", "paused", None)
        assert await b.outbox.due(T0 + 10, 10) == [("w", "a")]
        assert await b.outbox.next_end(after=T0 + 10) == T0 + 20
        await b.outbox.reschedule("b", T0 + 8)  # stopped early
        await b.outbox.reschedule("gone", T0)  # not expected: stays so
        assert await b.outbox.due(T0 + 10, 10) == [("w", "a"), ("w", "b")]
        assert await b.outbox.due(T0 + 10, 1) == [("w", "a")]
        assert await b.outbox.next_end(after=T0 + 10) is None  # the paused one has no end
        await b.outbox.reschedule("paused", T0 + 30)
        assert await b.outbox.next_end(after=T0 + 10) == T0 + 30
        delivery = Delivery("d-a", "a", "w", "http://127.0.0.1:9/h", b'{"x": 1}')
        assert await b.outbox.start(delivery, 10) is True
        assert await b.outbox.start(delivery, 10) is False  # exactly one start
        assert await b.outbox.due(T0 + 100, 10) == [("w", "b"), ("v", "paused")]
        await b.outbox.forget("v")
        await b.outbox.drop("b")
        assert await b.outbox.due(T0 + 100, 10) == []

    run_on(scenario)


def test_a_run_added_with_a_callback_is_expected_by_the_outbox(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        timeline = Timeline.plan(T0, 0, (Step("a", 1),))
        hooked = Run("hooked", "w", "wf", {}, timeline, callback_url="http://127.0.0.1:9/h")
        await b.runs.add(hooked)
        await b.runs.add(_run("quiet"))  # no callback: nothing expected
        assert await b.outbox.due(T0 + 10, 10) == [("w", "hooked")]
        assert await b.outbox.next_end(after=T0) == pytest.approx(T0 + 1)

    run_on(scenario)


def test_a_lapsed_lease_is_taken_over_once_and_a_delivery_keeps_its_attempts(
    run_on: Any,
) -> None:
    async def scenario(b: Backend) -> None:
        await b.outbox.expect("w", "r", T0)
        delivery = Delivery("d", "r", "w", "http://127.0.0.1:9/h", b'{"x": 1}')
        assert await b.outbox.start(delivery, 0.2)
        delivery.attempts.append(Attempt(1, "t"))
        await b.outbox.save(delivery, 0.2)
        assert await b.outbox.orphans(10) == []  # the lease still holds
        await asyncio.sleep(0.3)
        taken = await asyncio.gather(b.outbox.orphans(10), b.outbox.orphans(10))
        if b.shared:  # shared backends hand a dead sender's delivery to one other
            claimed = [d for batch in taken for d in batch]
            assert [d.id for d in claimed] == ["d"] and len(claimed[0].attempts) == 1
        else:
            assert taken == [[], []]  # in memory nobody else could have sent it
        delivery.state = "delivered"
        await b.outbox.save(delivery, 0.2)
        await asyncio.sleep(0.3)
        assert await b.outbox.orphans(10) == []  # delivered: nobody takes it again
        (logged,) = await b.outbox.deliveries("w")
        assert logged.state == "delivered" and logged.body == b'{"x": 1}'
        assert await b.outbox.deliveries("v") == []

    run_on(scenario)


def test_the_clock_and_offsets(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        start = await b.time.read()
        assert start.frozen and start.now == pytest.approx(T0)
        await b.time.advance(60)
        await b.time.advance(5, "w")
        assert (await b.time.read()).now == pytest.approx(T0 + 60)
        w = await b.time.read("w")
        assert w.now == pytest.approx(T0 + 65) and w.offset == pytest.approx(5)
        assert await b.time.max_offset() == pytest.approx(5)
        await asyncio.gather(*(b.time.advance(1, "w") for _ in range(10)))  # none lost
        assert (await b.time.read("w")).offset == pytest.approx(15)
        await b.time.set_speed(4)
        await b.time.freeze(False)
        running = await b.time.read()
        assert not running.frozen and running.speed == 4 and running.real_delay(8) == 2
        await asyncio.sleep(0.1)
        assert (await b.time.read()).now > running.now  # runs, at 4x
        await b.time.freeze(True)
        held = (await b.time.read()).now
        await asyncio.sleep(0.05)
        assert (await b.time.read()).now == pytest.approx(held)
        with pytest.raises(ValueError):
            await b.time.advance(-1)
        await b.time.clear("w")
        assert (await b.time.read("w")).offset == 0

    run_on(scenario)


def test_fault_rules_replace_by_scope_and_clear_by_workspace(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        await b.faults.add(FaultRule(None, (), Faults(error_rate=0.5)))
        await b.faults.add(FaultRule("w", ("getRun",), Faults(latency_ms=(1, 2))))
        await b.faults.add(FaultRule(None, (), Faults(error_rate=0.1)))  # replaces the first
        rules = await b.faults.rules()
        assert [r.faults for r in rules] == [Faults(latency_ms=(1, 2)), Faults(error_rate=0.1)]
        await b.faults.clear("w")
        assert [r.workspace for r in await b.faults.rules()] == [None]
        await b.faults.clear()
        assert await b.faults.rules() == []

    run_on(scenario)


def test_journal_ids_and_stream_slots(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        for i in range(3):
            await b.journal.note(Entry("GET", f"/v1/{i}", 200, "t", "w" if i else "v"))
        assert [e.path for e in await b.journal.of("w")] == ["/v1/1", "/v1/2"]
        assert len(await b.journal.of(None)) == 3
        await b.journal.clear("w")
        assert [e.path for e in await b.journal.of(None)] == ["/v1/0"]
        ids = [await b.ids.new("w") for _ in range(50)]
        assert len(set(ids)) == 50
        first, second = await b.slots.acquire(2), await b.slots.acquire(2)
        assert first and second and await b.slots.acquire(2) is None
        await b.slots.renew(first)
        await b.slots.release(first)
        assert await b.slots.acquire(2) is not None

    run_on(scenario)


def test_a_change_in_one_redis_process_wakes_the_waiters_of_another(
    redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through pub/sub, not the fallback poll (made long here, so only a wake-up is quick)."""
    from mockserver.storage import redis as redis_backend

    monkeypatch.setattr(redis_backend, "WAKE_POLL_S", 30.0)
    redis.Redis.from_url(redis_server.url).flushdb()
    settings = Settings(clock="manual", state=redis_server.url)

    async def main() -> float:
        waiting, changing = open_backend(settings), open_backend(settings)
        await waiting.start()
        await changing.start()
        try:
            waiter = asyncio.create_task(waiting.changes.wait(10.0))
            await asyncio.sleep(0.2)  # subscribed and waiting
            began = asyncio.get_running_loop().time()
            changing.changes.notify()
            await waiter
            return asyncio.get_running_loop().time() - began
        finally:
            await waiting.close()
            await changing.close()

    took = asyncio.run(main())
    assert took < 5.0, f"the other process woke only after {took:.1f} s (no pub/sub wake-up)"


def test_what_one_redis_process_keeps_is_dropped_when_another_changes_it(
    redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault rules and the clock are kept per process; a change made by another reaches it
    through pub/sub within a bounded time (the keeping's own expiry made long here)."""
    from mockserver.storage import redis as redis_backend

    monkeypatch.setattr(redis_backend, "CACHE_TTL_S", 30.0)
    redis.Redis.from_url(redis_server.url).flushdb()
    settings = Settings(clock="manual", state=redis_server.url)
    bound_s = 1.0

    async def seen_within(check: Callable[[], Awaitable[bool]]) -> float:
        began = asyncio.get_running_loop().time()
        while not await check():
            took = asyncio.get_running_loop().time() - began
            assert took < bound_s, f"not seen after {took:.1f} s (kept, never dropped)"
            await asyncio.sleep(0.01)
        return asyncio.get_running_loop().time() - began

    async def main() -> None:
        reader, writer = open_backend(settings), open_backend(settings)
        await reader.start()
        await writer.start()
        try:
            assert await reader.faults.rules() == []  # read once: kept from now on
            before = (await reader.time.read("w")).now
            await writer.faults.add(FaultRule("w", ("getRun",), Faults(error_rate=1.0)))
            await writer.time.advance(30, "w")

            async def rule_seen() -> bool:
                return len(await reader.faults.rules()) == 1

            async def offset_seen() -> bool:
                return (await reader.time.read("w")).now == pytest.approx(before + 30)

            await seen_within(rule_seen)
            await seen_within(offset_seen)
            assert await reader.time.max_offset() == pytest.approx(30)
        finally:
            await reader.close()
            await writer.close()

    asyncio.run(main())


def test_the_redis_journal_leaves_in_batches_soon_and_entirely_on_a_clean_stop(
    redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockserver.storage import redis as redis_backend

    store = redis.Redis.from_url(redis_server.url)
    store.flushdb()
    journal = redis_backend.PREFIX + "journal"
    settings = Settings(clock="manual", state=redis_server.url)

    def entry(i: int) -> Entry:
        return Entry("GET", f"/v1/{i}", 200, "t", "w")

    async def batched() -> None:
        b = open_backend(settings)
        await b.start()
        try:
            for i in range(5):
                await b.journal.note(entry(i))
            assert store.llen(journal) == 0  # noted without a round trip
            began = asyncio.get_running_loop().time()
            while store.llen(journal) < 5:
                took = asyncio.get_running_loop().time() - began
                assert took < redis_backend.JOURNAL_FLUSH_S * 10, "the batch never left"
                await asyncio.sleep(0.005)
        finally:
            await b.close()

    async def stopped() -> None:
        b = open_backend(settings)
        await b.start()
        for i in range(5, 8):
            await b.journal.note(entry(i))
        await b.close()  # long before the next batch would leave

    asyncio.run(batched())
    monkeypatch.setattr(redis_backend, "JOURNAL_FLUSH_S", 30.0)
    asyncio.run(stopped())
    assert [json.loads(raw)["path"] for raw in store.lrange(journal, 0, -1)] == [
        f"/v1/{i}" for i in range(8)
    ]


def test_inferred_resources_are_kept_per_workspace_in_creation_order(run_on: Any) -> None:
    async def scenario(b: Backend) -> None:
        store = b.resources
        assert [await store.number("w", "/pets") for _ in range(3)] == [1, 2, 3]
        assert await store.number("v", "/pets") == 1
        for key in ("2", "1", "3"):
            await store.put("w", "/pets", key, {"id": int(key), "name": f"p{key}"})
        await store.put("w", "/pets", "1", {"id": 1, "name": "renamed"})  # keeps its place
        await store.put("v", "/pets", "1", {"id": 1, "name": "theirs"})
        assert await store.get("w", "/pets", "1") == {"id": 1, "name": "renamed"}
        assert [p["id"] for p in await store.all("w", "/pets", 10)] == [2, 1, 3]
        assert [p["id"] for p in await store.all("w", "/pets", 2)] == [2, 1]
        assert await store.all("w", "/users/1/pets", 10) == []
        assert await store.delete("w", "/pets", "2") is True
        assert await store.delete("w", "/pets", "2") is False
        assert await store.get("w", "/pets", "2") is None
        await store.clear("w")
        assert await store.all("w", "/pets", 10) == []
        assert await store.get("v", "/pets", "1") == {"id": 1, "name": "theirs"}
        assert await store.number("w", "/pets") == 1  # numbering starts again
        await store.clear()
        assert await store.get("v", "/pets", "1") is None

    run_on(scenario)
