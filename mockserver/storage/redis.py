"""The Redis backend (`--state redis://host:port/db`): state shared by replicas anywhere.

Every change that reads then writes is one server-side Lua script or a WATCH/MULTI
compare-and-set, so replicas never overwrite each other. "Now" (the simulated clock,
leases, stream slots) is computed from the server's TIME, so replicas on machines whose
clocks differ still agree. Changes are published on a channel that wakes every replica.

Keys (all under PREFIX): run:<id> hash (ws, wf, seq, ends, rec); all / ws:<ws> /
wf:<ws>:<wf> sorted sets by sequence; ends (run end times, for eviction); expected
(due-webhook index by end time) and expected-ws; delivery:<id>, log, leases; clock
hash, offsets hash; faults hash; journal list; ids:<ws> counters; slots sorted set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from dataclasses import replace
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from mockserver.core.clock import MANUAL_EPOCH, Reading
from mockserver.core.faults import FaultRule
from mockserver.core.models import Delivery, Entry, Run
from mockserver.settings import Settings
from mockserver.storage import codec
from mockserver.storage.backend import Backend
from mockserver.storage.changes import Changes
from mockserver.storage.memory import JOURNAL_SIZE, LOG_SIZE
from mockserver.storage.protocols import Edit

PREFIX = "noxus-mock:"
CHANNEL = PREFIX + "changes"
SLOT_LEASE_S = 60.0
# A wait looks again after this long even if no wake-up came (a lost pub/sub message).
WAKE_POLL_S = 1.0

# Lua: the server's time in seconds, with microseconds.
_NOW = "local t = redis.call('TIME'); local now = tonumber(t[1]) + tonumber(t[2]) / 1e6\n"
# Lua: the clock anchored if it is not (the first replica, or a Redis that restarted
# empty; the others carry on with it), then the simulated time at `now`.
# ARGV[1..3]: the anchor to start from: manual epoch ('' for wall time), speed, frozen.
_SIM = (
    "if redis.call('EXISTS', KEYS[1]) == 0 then\n"
    "  local start = now\n"
    "  if ARGV[1] ~= '' then start = tonumber(ARGV[1]) end\n"
    "  redis.call('HSET', KEYS[1], 'sim', string.format('%.6f', start),"
    " 'wall', string.format('%.6f', now), 'speed', ARGV[2], 'frozen', ARGV[3])\n"
    "end\n"
    "local c = redis.call('HMGET', KEYS[1], 'sim', 'wall', 'speed', 'frozen')\n"
    "local sim, wall, speed, frozen = tonumber(c[1]), tonumber(c[2]), tonumber(c[3]), c[4]\n"
    "local at = sim\n"
    "if frozen ~= '1' then at = sim + (now - wall) * speed end\n"
)
# ARGV[4]: the workspace ('' for none). Floats go back as text: Redis turns a Lua number
# into an integer.
_READ = (
    _NOW
    + _SIM
    + "local offset = 0\n"
    + "if ARGV[4] ~= '' then offset = tonumber(redis.call('HGET', KEYS[2], ARGV[4]) or '0') end\n"
    + "return {string.format('%.6f', at + offset), c[3], c[4], string.format('%.6f', offset)}\n"
)
# ARGV[4..6]: seconds to add, frozen ('' keeps), speed ('' keeps).
_RE_ANCHOR = (
    _NOW
    + _SIM
    + "local f = frozen\n"
    + "if ARGV[5] ~= '' then f = ARGV[5] end\n"
    + "local s = c[3]\n"
    + "if ARGV[6] ~= '' then s = ARGV[6] end\n"
    + "redis.call('HSET', KEYS[1], 'sim', string.format('%.6f', at + tonumber(ARGV[4])),"
    + " 'wall', string.format('%.6f', now), 'frozen', f, 'speed', s)\n"
    + "return 1\n"
)
# KEYS: expected, expected-ws, delivery:<id>, leases, log. ARGV: run id, delivery id,
# delivery json, lease seconds, log size.
_START = (
    _NOW
    + "if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end\n"
    + "redis.call('HDEL', KEYS[2], ARGV[1])\n"
    + "redis.call('SET', KEYS[3], ARGV[3])\n"
    + "redis.call('ZADD', KEYS[4], now + tonumber(ARGV[4]), ARGV[2])\n"
    + "redis.call('LPUSH', KEYS[5], ARGV[2])\n"
    + "redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[5]) - 1)\n"
    + "return 1\n"
)
# KEYS: leases. ARGV: lease seconds. Claims every lapsed lease at once, for this caller.
_ORPHANS = (
    _NOW
    + "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)\n"
    + "for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), id) end\n"
    + "return ids\n"
)
# KEYS: leases, delivery:<id>. ARGV: delivery id, lease seconds, pending ('1' or '0'),
# the delivery as saved.
_SAVE = (
    _NOW
    + "redis.call('SET', KEYS[2], ARGV[4])\n"
    + "if ARGV[3] == '1' then redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])\n"
    + "else redis.call('ZREM', KEYS[1], ARGV[1]) end\n"
    + "return 1\n"
)
# KEYS: ends, expected, all. ARGV: before, count, prefix. Never a run awaiting its webhook.
_EVICT = (
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])\n"
    + "local gone = {}\n"
    + "for _, id in ipairs(ids) do\n"
    + "  if #gone >= tonumber(ARGV[2]) then break end\n"
    + "  if not redis.call('ZSCORE', KEYS[2], id) then\n"
    + "    local key = ARGV[3] .. 'run:' .. id\n"
    + "    local r = redis.call('HMGET', key, 'ws', 'wf', 'seq', 'rec')\n"
    + "    redis.call('DEL', key)\n"
    + "    redis.call('ZREM', KEYS[1], id)\n"
    + "    redis.call('ZREM', KEYS[3], id)\n"
    + "    redis.call('ZREM', ARGV[3] .. 'ws:' .. r[1], id)\n"
    + "    redis.call('ZREM', ARGV[3] .. 'wf:' .. r[1] .. ':' .. r[2], id)\n"
    + "    table.insert(gone, {id, r[1], r[2], r[3], r[4]})\n"
    + "  end\n"
    + "end\n"
    + "return gone\n"
)
# KEYS: slots. ARGV: token, cap, lease seconds.
_ACQUIRE = (
    _NOW
    + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
    + "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end\n"
    + "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])\n"
    + "return 1\n"
)
_SLOT_RENEW = _NOW + "return redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])\n"


def _key(*parts: str) -> str:
    return PREFIX + ":".join(parts)


def _run(run_id: str, fields: list[Any]) -> Run:
    ws, wf, seq, rec = fields
    return codec.decode_run(run_id, ws, wf, int(seq), rec)


class RedisRuns:
    def __init__(self, r: Any) -> None:
        self._r = r
        # Registered scripts run by their SHA (EVALSHA): the text crosses the wire once.
        self._evict = r.register_script(_EVICT)

    async def add(self, run: Run) -> Run:
        seq = int(await self._r.incr(_key("seq")))
        stored = replace(run, sequence=seq)
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(
            _key("run", run.id),
            mapping={
                "ws": run.workspace,
                "wf": run.workflow_id,
                "seq": seq,
                "rec": codec.encode_run(run),
            },
        )
        pipe.zadd(_key("all"), {run.id: seq})
        pipe.zadd(_key("ws", run.workspace), {run.id: seq})
        pipe.zadd(_key("wf", run.workspace, run.workflow_id), {run.id: seq})
        if run.timeline.ends_at is not None:
            pipe.zadd(_key("ends"), {run.id: run.timeline.ends_at})
        await pipe.execute()
        return stored

    async def find(self, run_id: str) -> Run | None:
        fields = await self._r.hmget(_key("run", run_id), ["ws", "wf", "seq", "rec"])
        return None if fields[0] is None else _run(run_id, fields)

    async def get(self, workspace: str, run_id: str) -> Run | None:
        run = await self.find(run_id)
        return run if run is not None and run.workspace == workspace else None

    async def change(self, run_id: str, edit: Edit) -> Run | None:
        key = _key("run", run_id)
        async with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    fields = await pipe.hmget(key, ["ws", "wf", "seq", "rec"])
                    if fields[0] is None:
                        return None
                    run = _run(run_id, fields)
                    updated = replace(run, timeline=edit(run))  # raising leaves it unchanged
                    pipe.multi()
                    pipe.hset(key, "rec", codec.encode_run(updated))
                    if updated.timeline.ends_at is None:
                        pipe.zrem(_key("ends"), run_id)
                    else:
                        pipe.zadd(_key("ends"), {run_id: updated.timeline.ends_at})
                    await pipe.execute()
                    return updated
                except WatchError:
                    continue  # another replica changed it first: look again
                finally:
                    await pipe.reset()

    async def page(
        self, workspace: str, offset: int, limit: int, workflow_id: str | None = None
    ) -> tuple[list[Run], int]:
        index = _key("ws", workspace) if workflow_id is None else _key("wf", workspace, workflow_id)
        pipe = self._r.pipeline(transaction=False)
        pipe.zrevrange(index, offset, offset + limit - 1)
        pipe.zcard(index)
        ids, total = await pipe.execute()
        pipe = self._r.pipeline(transaction=False)
        for run_id in ids:
            pipe.hmget(_key("run", run_id), ["ws", "wf", "seq", "rec"])
        found = await pipe.execute()
        runs = [
            _run(run_id, fields)
            for run_id, fields in zip(ids, found, strict=True)
            if fields[0] is not None
        ]
        return runs, int(total)

    async def count(self) -> int:
        return int(await self._r.zcard(_key("all")))

    async def evict_finished(self, count: int, before: float) -> list[Run]:
        keys = [_key("ends"), _key("expected"), _key("all")]
        gone = await self._evict(keys=keys, args=[before, count, PREFIX])
        return [_run(item[0], item[1:]) for item in gone]

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:  # the runs and their indexes; never the clock or the outbox
            for pattern in ("run:*", "ws:*", "wf:*"):
                await _delete_matching(self._r, PREFIX + pattern)
            await self._r.delete(_key("all"), _key("ends"))
            return
        ids = [i for i in await self._r.zrange(_key("ws", workspace), 0, -1)]
        pipe = self._r.pipeline(transaction=True)
        for run_id in ids:
            pipe.hget(_key("run", run_id), "wf")
        workflows = {wf for wf in await pipe.execute() if wf is not None}
        pipe = self._r.pipeline(transaction=True)
        for run_id in ids:
            pipe.delete(_key("run", run_id))
        if ids:
            pipe.zrem(_key("all"), *ids)
            pipe.zrem(_key("ends"), *ids)
        pipe.delete(_key("ws", workspace), *(_key("wf", workspace, wf) for wf in workflows))
        await pipe.execute()


async def _delete_matching(r: Any, pattern: str) -> None:
    batch: list[str] = []
    async for key in r.scan_iter(match=pattern, count=500):
        batch.append(key)
        if len(batch) >= 500:
            await r.delete(*batch)
            batch = []
    if batch:
        await r.delete(*batch)


class RedisOutbox:
    def __init__(self, r: Any) -> None:
        self._r = r
        self._start = r.register_script(_START)
        self._save = r.register_script(_SAVE)
        self._orphans = r.register_script(_ORPHANS)

    async def expect(self, workspace: str, run_id: str, ends_at: float | None) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(_key("expected-ws"), run_id, workspace)
        pipe.zadd(_key("expected"), {run_id: float("inf") if ends_at is None else ends_at})
        await pipe.execute()

    async def reschedule(self, run_id: str, ends_at: float | None) -> None:
        end = float("inf") if ends_at is None else ends_at
        await self._r.zadd(_key("expected"), {run_id: end}, xx=True)

    async def due(self, until: float, limit: int) -> list[tuple[str, str]]:
        ids = await self._r.zrangebyscore(_key("expected"), "-inf", until, start=0, num=limit)
        if not ids:
            return []
        spaces = await self._r.hmget(_key("expected-ws"), ids)
        return [(ws, run_id) for run_id, ws in zip(ids, spaces, strict=True) if ws is not None]

    async def next_end(self, after: float) -> float | None:
        first = await self._r.zrangebyscore(
            _key("expected"), f"({after!r}", "(inf", start=0, num=1, withscores=True
        )
        return float(first[0][1]) if first else None

    async def start(self, delivery: Delivery, lease_s: float) -> bool:
        keys = (
            _key("expected"),
            _key("expected-ws"),
            _key("delivery", delivery.id),
            _key("leases"),
            _key("log"),
        )
        args = (delivery.run_id, delivery.id, codec.encode_delivery(delivery), lease_s, LOG_SIZE)
        return bool(await self._start(keys=list(keys), args=list(args)))

    async def drop(self, run_id: str) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.zrem(_key("expected"), run_id)
        pipe.hdel(_key("expected-ws"), run_id)
        await pipe.execute()

    async def save(self, delivery: Delivery, lease_s: float) -> None:
        pending = "1" if delivery.state == "pending" else "0"
        keys = [_key("leases"), _key("delivery", delivery.id)]
        args = [delivery.id, lease_s, pending, codec.encode_delivery(delivery)]
        await self._save(keys=keys, args=args)

    async def orphans(self, lease_s: float) -> list[Delivery]:
        ids = await self._orphans(keys=[_key("leases")], args=[lease_s])
        if not ids:
            return []
        raw = await self._r.mget([_key("delivery", i) for i in ids])
        return [codec.decode_delivery(d) for d in raw if d is not None]

    async def deliveries(self, workspace: str | None = None) -> list[Delivery]:
        ids = await self._r.lrange(_key("log"), 0, LOG_SIZE - 1)
        if not ids:
            return []
        raw = await self._r.mget([_key("delivery", i) for i in ids])
        found = [codec.decode_delivery(d) for d in raw if d is not None]
        return [d for d in reversed(found) if workspace is None or d.workspace == workspace]

    async def forget(self, workspace: str | None = None) -> None:
        if workspace is None:
            await self._r.delete(_key("expected"), _key("expected-ws"))
            return
        spaces = await self._r.hgetall(_key("expected-ws"))
        ids = [run_id for run_id, ws in spaces.items() if ws == workspace]
        if ids:
            pipe = self._r.pipeline(transaction=True)
            pipe.zrem(_key("expected"), *ids)
            pipe.hdel(_key("expected-ws"), *ids)
            await pipe.execute()


class RedisTime:
    def __init__(self, r: Any, settings: Settings) -> None:
        self._r = r
        self._clock, self._offsets = _key("clock"), _key("offsets")
        self._read = r.register_script(_READ)
        self._re_anchor_script = r.register_script(_RE_ANCHOR)
        manual = settings.clock == "manual"
        # Where the clock starts if nobody anchored it yet.
        self._origin = [f"{MANUAL_EPOCH:.6f}" if manual else "", settings.speed, int(manual)]

    async def init(self) -> None:
        await self.read()  # anchors the clock unless another replica did

    async def read(self, workspace: str | None = None) -> Reading:
        now, speed, frozen, offset = await self._read(
            keys=[self._clock, self._offsets], args=[*self._origin, workspace or ""]
        )
        return Reading(float(now), float(speed), frozen == "1", float(offset))

    async def _re_anchor(self, seconds: float = 0.0, frozen: str = "", speed: str = "") -> None:
        args = [*self._origin, seconds, frozen, speed]
        await self._re_anchor_script(keys=[self._clock], args=args)

    async def advance(self, seconds: float, workspace: str | None = None) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        if workspace is None:
            await self._re_anchor(seconds=seconds)
        else:
            await self._r.hincrbyfloat(self._offsets, workspace, seconds)

    async def freeze(self, frozen: bool) -> None:
        await self._re_anchor(frozen="1" if frozen else "0")

    async def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        await self._re_anchor(speed=repr(float(speed)))

    async def max_offset(self) -> float:
        return max((float(v) for v in await self._r.hvals(self._offsets)), default=0.0)

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            await self._r.delete(self._offsets)
        else:
            await self._r.hdel(self._offsets, workspace)


class RedisFaults:
    def __init__(self, r: Any) -> None:
        self._r = r

    async def rules(self) -> list[FaultRule]:
        stored = await self._r.hvals(_key("faults"))
        ordered = sorted((json.loads(raw) for raw in stored), key=lambda item: item["seq"])
        return [codec.decode_rule(item["rule"]) for item in ordered]

    async def add(self, rule: FaultRule) -> None:
        seq = int(await self._r.incr(_key("faults-seq")))
        item = json.dumps({"seq": seq, "rule": codec.encode_rule(rule)})
        await self._r.hset(_key("faults"), rule.scope, item)

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            await self._r.delete(_key("faults"))
            return
        mine = workspace + "|"
        scopes = [s for s in await self._r.hkeys(_key("faults")) if s.startswith(mine)]
        if scopes:
            await self._r.hdel(_key("faults"), *scopes)


class RedisJournal:
    def __init__(self, r: Any, size: int = JOURNAL_SIZE) -> None:
        self._r = r
        self._size = size

    async def note(self, entry: Entry) -> None:
        pipe = self._r.pipeline(transaction=False)
        pipe.rpush(_key("journal"), codec.encode_entry(entry))
        pipe.ltrim(_key("journal"), -self._size, -1)
        await pipe.execute()

    async def of(self, workspace: str | None) -> list[Entry]:
        entries = [codec.decode_entry(raw) for raw in await self._r.lrange(_key("journal"), 0, -1)]
        return [e for e in entries if workspace is None or e.group_id == workspace]

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            await self._r.delete(_key("journal"))
            return
        kept = [e for e in await self.of(None) if e.group_id != workspace]
        pipe = self._r.pipeline(transaction=True)
        pipe.delete(_key("journal"))
        if kept:
            pipe.rpush(_key("journal"), *(codec.encode_entry(e) for e in kept))
        await pipe.execute()


class RedisIds:
    """With a seed, the n-th id of a workspace is the same whichever replica makes it."""

    def __init__(self, r: Any, seed: int | None) -> None:
        self._r = r
        self._seed = seed

    async def new(self, workspace: str) -> str:
        if self._seed is None:
            return str(uuid.uuid4())
        n = int(await self._r.incr(_key("ids", workspace)))
        bits = random.Random(f"{self._seed}:{workspace}:{n}").getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            await _delete_matching(self._r, _key("ids", "*"))
        else:
            await self._r.delete(_key("ids", workspace))


class RedisSlots:
    def __init__(self, r: Any) -> None:
        self._r = r
        self._acquire = r.register_script(_ACQUIRE)
        self._renew = r.register_script(_SLOT_RENEW)

    async def acquire(self, cap: int) -> str | None:
        token = uuid.uuid4().hex
        taken = await self._acquire(keys=[_key("slots")], args=[token, cap, SLOT_LEASE_S])
        return token if taken else None

    async def renew(self, token: str) -> None:
        await self._renew(keys=[_key("slots")], args=[token, SLOT_LEASE_S])

    async def release(self, token: str) -> None:
        await self._r.zrem(_key("slots"), token)


class Wakeups:
    """Publishes this replica's changes and wakes it on the others'."""

    def __init__(self, r: Any, changes: Changes) -> None:
        self._r = r
        self._changes = changes
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._me = uuid.uuid4().hex

    def publish(self) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self._r.publish(CHANNEL, self._me))
        except RuntimeError:
            return  # no loop (a change made outside the server): nobody to wake here
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        pubsub = self._r.pubsub()
        await pubsub.subscribe(CHANNEL)
        self._listener = asyncio.create_task(self._listen(pubsub))

    async def _listen(self, pubsub: Any) -> None:
        try:
            while True:
                try:
                    async for message in pubsub.listen():
                        if message.get("type") == "message" and message.get("data") != self._me:
                            self._changes.wake()
                except (RedisConnectionError, RedisTimeoutError):
                    # Redis went away: waits fall back to their 1 s poll until it is back.
                    await asyncio.sleep(1.0)
                    with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
                        await pubsub.subscribe(CHANNEL)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def stop(self) -> None:
        pending = [t for t in (self._listener, *self._tasks) if t is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def open_redis(url: str, settings: Settings) -> Backend:
    r = aioredis.Redis.from_url(url, decode_responses=True)
    time_store = RedisTime(r, settings)
    # Pub/sub wakes replicas at once; the poll bounds a wait if a message is lost.
    changes = Changes(poll_s=WAKE_POLL_S)
    wakeups = Wakeups(r, changes)
    changes.publish = wakeups.publish

    async def start() -> None:
        await time_store.init()
        await wakeups.start()

    async def close() -> None:
        await wakeups.stop()
        await r.aclose()

    return Backend(
        runs=RedisRuns(r),
        outbox=RedisOutbox(r),
        time=time_store,
        faults=RedisFaults(r),
        journal=RedisJournal(r),
        ids=RedisIds(r, settings.seed),
        slots=RedisSlots(r),
        changes=changes,
        shared=True,
        unavailable=(RedisConnectionError, RedisTimeoutError),
        start=start,
        close=close,
    )
