"""The Redis backend (`--state redis://host:port/db`): state shared by replicas anywhere.

Every change that reads then writes is one server-side Lua script or a WATCH/MULTI
compare-and-set, so replicas never overwrite each other. "Now" (the simulated clock,
leases, stream slots) is computed from the server's TIME, so replicas on machines whose
clocks differ still agree. Changes are published on a channel that wakes every replica.

A call pays few round trips: a poll is one pipeline (the run, then TIME), a create two (TIME,
then one script). What rarely changes (the clock's anchor and offsets, the fault rules) is
kept in each replica and dropped when a change is announced on the channel (or after
CACHE_TTL_S, should an announcement be lost); the journal is written in batches, off the
request path, every JOURNAL_FLUSH_S.

Keys (all under PREFIX): run:<id> hash (ws, wf, seq, rec); ws:<ws> / wf:<ws>:<wf> sorted
sets by sequence; ends (every run by end time, +inf while unknown: eviction and the count);
seq counter; expected (due-webhook index by end time) and expected-ws; delivery:<id>, log,
leases; clock hash, offsets hash; faults hash; journal list; ids:<ws> counters; slots
sorted set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.connection import SSLConnection
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
from mockserver.storage.link import Command, Link, Script
from mockserver.storage.memory import JOURNAL_SIZE, LOG_SIZE
from mockserver.storage.protocols import Edit

PREFIX = "noxus-mock:"
CHANNEL = PREFIX + "changes"
SLOT_LEASE_S = 60.0
# A wait looks again after this long even if no wake-up came (a lost pub/sub message).
WAKE_POLL_S = 1.0
# What a replica keeps (clock anchor and offsets, fault rules) is read again after this
# long even if no change was announced (a lost pub/sub message).
CACHE_TTL_S = 1.0
# The journal's batches leave this often; a replica killed by SIGKILL loses at most the
# entries of its last interval.
JOURNAL_FLUSH_S = 0.05
RUN_FIELDS = ("ws", "wf", "seq", "rec")
# Runs kept decoded, with the fields they came from (about 10 KiB each at most).
DECODED_RUNS = 4096
# Announcements on CHANNEL: "<sender>:<topic>"; a topic names a cache to drop ("" wakes only).
CLOCK, FAULTS = "clock", "faults"

logger = logging.getLogger(__name__)
T = TypeVar("T")

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
# KEYS: ends, expected. ARGV: before, count, prefix. Never a run awaiting its webhook.
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
# KEYS: run:<id>, ends, ws:<ws>, wf:<ws>:<wf>, seq, expected, expected-ws. ARGV: id, ws,
# wf, end ('inf': unknown), record, '1' if its webhook is expected. Answers the sequence.
_ADD = (
    "local seq = redis.call('INCR', KEYS[5])\n"
    + "redis.call('HSET', KEYS[1], 'ws', ARGV[2], 'wf', ARGV[3], 'seq', seq, 'rec', ARGV[5])\n"
    + "redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])\n"
    + "redis.call('ZADD', KEYS[3], seq, ARGV[1])\n"
    + "redis.call('ZADD', KEYS[4], seq, ARGV[1])\n"
    + "if ARGV[6] == '1' then\n"
    + "  redis.call('HSET', KEYS[7], ARGV[1], ARGV[2])\n"
    + "  redis.call('ZADD', KEYS[6], ARGV[4], ARGV[1])\n"
    + "end\n"
    + "return seq\n"
)
_SLOT_RENEW = _NOW + "return redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])\n"


def _key(*parts: str) -> str:
    return PREFIX + ":".join(parts)


def _run(run_id: str, fields: list[Any]) -> Run:
    ws, wf, seq, rec = fields
    return codec.decode_run(run_id, ws, wf, int(seq), rec)


def _end(ends_at: float | None) -> float:
    return float("inf") if ends_at is None else ends_at


class Cached(Generic[T]):
    """A value read from Redis, kept until a change drops it (made here, or announced by
    another replica on the channel), and at most CACHE_TTL_S in case an announcement was
    lost."""

    def __init__(self) -> None:
        self._value: T | None = None
        self._until = 0.0
        self.generation = 0

    def get(self) -> T | None:
        return self._value if time.monotonic() < self._until else None

    def put(self, value: T, generation: int) -> None:
        """Keep a value read after `generation` was current, unless dropped since."""
        if generation == self.generation:
            self._value, self._until = value, time.monotonic() + CACHE_TTL_S

    def drop(self) -> None:
        self.generation += 1
        self._value = None


@dataclass
class _Room:
    """What bounds the number of stored runs without asking: `count` runs were stored when
    the sequence was `seq`, and every run added since raised the sequence by one."""

    count: int = 0
    seq: int = 0
    known: bool = False
    last_seq: int = 0

    def below(self, cap: int) -> bool:
        # Removals only lower the count: this bound holds as of our last add.
        return self.known and self.count + (self.last_seq - self.seq) < cap


class _Decoded:
    """Runs as last decoded, by id, with the fields read: a run read again unchanged (most
    polls) skips the JSON and the timeline's building. Never stale: the fields are read
    every time, and compared."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[list[Any], Run]] = {}

    def run(self, run_id: str, fields: list[Any]) -> Run:
        kept = self._runs.get(run_id)
        if kept is not None and kept[0] == fields:
            return kept[1]
        run = _run(run_id, fields)
        if len(self._runs) >= DECODED_RUNS:
            del self._runs[next(iter(self._runs))]  # the first kept
        self._runs[run_id] = (fields, run)
        return run


class RedisRuns:
    def __init__(self, r: Any, link: Link) -> None:
        self._r = r
        self._link = link  # the request path's commands
        self._decoded = _Decoded()
        # Registered scripts run by their SHA (EVALSHA): the text crosses the wire once.
        self._evict = r.register_script(_EVICT)
        self._add = Script(_ADD)
        self._room = _Room()

    async def add(self, run: Run) -> Run:
        keys = [
            _key("run", run.id),
            _key("ends"),
            _key("ws", run.workspace),
            _key("wf", run.workspace, run.workflow_id),
            _key("seq"),
            _key("expected"),
            _key("expected-ws"),
        ]
        end = repr(_end(run.timeline.ends_at))
        expected = "1" if run.callback_url else "0"
        args = [run.id, run.workspace, run.workflow_id, end, codec.encode_run(run), expected]
        seq = int(await self._link.run(self._add, keys, args))
        self._room.last_seq = max(self._room.last_seq, seq)
        return replace(run, sequence=seq)

    async def find(self, run_id: str) -> Run | None:
        (fields,) = await self._link.send(self.asking(run_id))
        return None if fields[0] is None else self._decoded.run(run_id, fields)

    async def get(self, workspace: str, run_id: str) -> Run | None:
        run = await self.find(run_id)
        return run if run is not None and run.workspace == workspace else None

    @staticmethod
    def asking(run_id: str) -> Command:
        """The command asking for a run; `got` reads its answer."""
        return ("HMGET", _key("run", run_id), *RUN_FIELDS)

    def got(self, workspace: str, run_id: str, fields: list[Any]) -> Run | None:
        if fields[0] is None or fields[0] != workspace:
            return None
        return self._decoded.run(run_id, fields)

    def asking_room(self, cap: int) -> list[Command]:
        """Nothing if fewer than `cap` runs are surely stored; else the commands asking
        for the count (two answers, for `room`)."""
        if self._room.below(cap):
            return []
        # The sequence first: an add between the two makes the bound higher, never lower.
        return [("GET", _key("seq")), ("ZCARD", _key("ends"))]

    def room(self, cap: int, seq: Any, count: Any) -> bool:
        self._room = _Room(int(count), int(seq or 0), True, int(seq or 0))
        return int(count) < cap

    async def change(self, run_id: str, edit: Edit) -> Run | None:
        key = _key("run", run_id)
        async with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    fields = await pipe.hmget(key, RUN_FIELDS)
                    if fields[0] is None:
                        return None
                    run = _run(run_id, fields)
                    updated = replace(run, timeline=edit(run))  # raising leaves it unchanged
                    pipe.multi()
                    pipe.hset(key, "rec", codec.encode_run(updated))
                    pipe.zadd(_key("ends"), {run_id: _end(updated.timeline.ends_at)})
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
            pipe.hmget(_key("run", run_id), RUN_FIELDS)
        found = await pipe.execute()
        runs = [
            _run(run_id, fields)
            for run_id, fields in zip(ids, found, strict=True)
            if fields[0] is not None
        ]
        return runs, int(total)

    async def count(self) -> int:
        seq, count = await self._link.send(*self.asking_room(0))
        self.room(0, seq, count)
        return int(count)

    async def evict_finished(self, count: int, before: float) -> list[Run]:
        keys = [_key("ends"), _key("expected")]
        gone = await self._evict(keys=keys, args=[before, count, PREFIX])
        return [_run(item[0], item[1:]) for item in gone]

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:  # the runs and their indexes; never the clock or the outbox
            for pattern in ("run:*", "ws:*", "wf:*"):
                await _delete_matching(self._r, PREFIX + pattern)
            await self._r.delete(_key("ends"))
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


@dataclass(frozen=True, slots=True)
class _Anchor:
    """The clock as stored: simulated time `sim` at server time `wall`, and the offsets."""

    sim: float
    wall: float
    speed: float
    frozen: bool
    offsets: dict[str, float] = field(default_factory=dict)

    def reading(self, now: float, workspace: str | None) -> Reading:
        at = self.sim if self.frozen else self.sim + (now - self.wall) * self.speed
        offset = self.offsets.get(workspace, 0.0) if workspace else 0.0
        # Microseconds, as the server's TIME and the other backends keep them.
        return Reading(round(at + offset, 6), self.speed, self.frozen, offset)


@dataclass(frozen=True, slots=True)
class QueuedClock:
    """A clock read sent with other commands: the anchor kept when it was asked (None: the
    anchor was asked for too) and the cache's generation then."""

    anchor: _Anchor | None
    generation: int


class RedisTime:
    def __init__(
        self, r: Any, link: Link, settings: Settings, announce: Callable[[str], Any]
    ) -> None:
        self._r = r
        self._link = link
        self._clock, self._offsets = _key("clock"), _key("offsets")
        self._read = r.register_script(_READ)
        self._re_anchor_script = r.register_script(_RE_ANCHOR)
        self._announce = announce
        self.cache: Cached[_Anchor] = Cached()
        manual = settings.clock == "manual"
        # Where the clock starts if nobody anchored it yet.
        self._origin = [f"{MANUAL_EPOCH:.6f}" if manual else "", settings.speed, int(manual)]

    async def init(self) -> None:
        """Anchors the clock unless another replica did."""
        await self._read(keys=[self._clock, self._offsets], args=[*self._origin, ""])

    def asking(self) -> tuple[QueuedClock, list[Command]]:
        """The commands asking for the server's time (and the anchor if not kept);
        `reading` reads their answers."""
        asked = QueuedClock(self.cache.get(), self.cache.generation)
        if asked.anchor is not None:
            return asked, [("TIME",)]
        return asked, [
            ("TIME",),
            ("HMGET", self._clock, "sim", "wall", "speed", "frozen"),
            ("HGETALL", self._offsets),
        ]

    async def reading(
        self, asked: QueuedClock, answers: list[Any], workspace: str | None
    ) -> Reading:
        seconds, micros = answers[0]
        anchor = asked.anchor
        if anchor is None:
            (sim, wall, speed, frozen), offsets = answers[1], answers[2]
            if sim is None:  # nobody anchored it (a Redis that restarted empty)
                await self.init()
                return await self.read(workspace)
            anchor = _Anchor(
                float(sim),
                float(wall),
                float(speed),
                frozen == "1",
                {ws: float(v) for ws, v in zip(offsets[::2], offsets[1::2], strict=True)},
            )
            self.cache.put(anchor, asked.generation)
        return anchor.reading(int(seconds) + int(micros) / 1e6, workspace)

    async def read(self, workspace: str | None = None) -> Reading:
        asked, commands = self.asking()
        return await self.reading(asked, await self._link.send(*commands), workspace)

    async def _changed(self) -> None:
        self.cache.drop()
        await self._announce(CLOCK)

    async def _re_anchor(self, seconds: float = 0.0, frozen: str = "", speed: str = "") -> None:
        args = [*self._origin, seconds, frozen, speed]
        await self._re_anchor_script(keys=[self._clock], args=args)
        await self._changed()

    async def advance(self, seconds: float, workspace: str | None = None) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        if workspace is None:
            await self._re_anchor(seconds=seconds)
        else:
            await self._r.hincrbyfloat(self._offsets, workspace, seconds)
            await self._changed()

    async def freeze(self, frozen: bool) -> None:
        await self._re_anchor(frozen="1" if frozen else "0")

    async def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        await self._re_anchor(speed=repr(float(speed)))

    async def max_offset(self) -> float:
        anchor = self.cache.get()
        if anchor is None:
            await self.read()
            anchor = self.cache.get()
        if anchor is None:  # dropped meanwhile: ask once more, without keeping it
            return max((float(v) for v in await self._r.hvals(self._offsets)), default=0.0)
        return max(anchor.offsets.values(), default=0.0)

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            await self._r.delete(self._offsets)
        else:
            await self._r.hdel(self._offsets, workspace)
        await self._changed()


class RedisFaults:
    def __init__(self, r: Any, announce: Callable[[str], Any]) -> None:
        self._r = r
        self._announce = announce
        self.cache: Cached[list[FaultRule]] = Cached()

    async def rules(self) -> list[FaultRule]:
        kept = self.cache.get()
        if kept is not None:
            return list(kept)
        generation = self.cache.generation
        stored = await self._r.hvals(_key("faults"))
        ordered = sorted((json.loads(raw) for raw in stored), key=lambda item: item["seq"])
        rules = [codec.decode_rule(item["rule"]) for item in ordered]
        self.cache.put(rules, generation)
        return list(rules)

    async def _changed(self) -> None:
        self.cache.drop()
        await self._announce(FAULTS)

    async def add(self, rule: FaultRule) -> None:
        seq = int(await self._r.incr(_key("faults-seq")))
        item = json.dumps({"seq": seq, "rule": codec.encode_rule(rule)})
        await self._r.hset(_key("faults"), rule.scope, item)
        await self._changed()

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            await self._r.delete(_key("faults"))
        else:
            mine = workspace + "|"
            scopes = [s for s in await self._r.hkeys(_key("faults")) if s.startswith(mine)]
            if scopes:
                await self._r.hdel(_key("faults"), *scopes)
        await self._changed()


class RedisJournal:
    """Entries wait here and leave in batches (one RPUSH and one LTRIM each), every
    JOURNAL_FLUSH_S, so no call waits for its entry; a clean stop sends what is left."""

    def __init__(self, r: Any, link: Link, size: int = JOURNAL_SIZE) -> None:
        self._r = r
        self._link = link
        self._size = size
        self._waiting: list[str] = []
        self._lock = asyncio.Lock()  # one batch at a time: entries keep their order
        self._flusher: asyncio.Task[None] | None = None

    async def note(self, entry: Entry) -> None:
        self._waiting.append(codec.encode_entry(entry))
        del self._waiting[: -self._size]  # Redis away for long: the newest are kept
        if self._flusher is None:  # not started (a store used outside the app): no batching
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            batch, self._waiting = self._waiting, []
            if not batch:
                return
            try:
                await self._link.send(
                    ("RPUSH", _key("journal"), *batch), ("LTRIM", _key("journal"), -self._size, -1)
                )
            except BaseException:
                self._waiting[:0] = batch  # sent again with the next batch
                del self._waiting[: -self._size]
                raise

    async def _flushing(self) -> None:
        while True:
            await asyncio.sleep(JOURNAL_FLUSH_S)
            try:
                await self.flush()
            except (RedisConnectionError, RedisTimeoutError) as exc:
                logger.warning("journal: state unavailable (%s); keeping the entries", exc)

    def start(self) -> None:
        self._flusher = asyncio.create_task(self._flushing())

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
            self._flusher = None
        try:
            await self.flush()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            logger.warning(
                "journal: %d entries lost, state unavailable (%s)", len(self._waiting), exc
            )

    async def of(self, workspace: str | None) -> list[Entry]:
        await self.flush()
        if self._flusher is not None:
            # Entries other replicas noted before this read leave within one interval.
            await asyncio.sleep(JOURNAL_FLUSH_S * 2)
        entries = [codec.decode_entry(raw) for raw in await self._r.lrange(_key("journal"), 0, -1)]
        return [e for e in entries if workspace is None or e.group_id == workspace]

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            await self.flush()
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


class RedisResources:
    """Inferred resources: a hash of values and a sorted set of creation order per
    workspace and collection (`res:<workspace>:...`)."""

    def __init__(self, r: Any) -> None:
        self._r = r

    async def put(self, workspace: str, collection: str, key: str, value: Any) -> None:
        order = await self._r.incr(_key("res", workspace, "seq"))
        pipe = self._r.pipeline(transaction=True)
        pipe.hset(_key("res", workspace, "values", collection), key, codec.encode_value(value))
        pipe.zadd(_key("res", workspace, "order", collection), {key: order}, nx=True)
        await pipe.execute()

    async def get(self, workspace: str, collection: str, key: str) -> Any | None:
        raw = await self._r.hget(_key("res", workspace, "values", collection), key)
        return None if raw is None else codec.decode_value(raw)

    async def delete(self, workspace: str, collection: str, key: str) -> bool:
        pipe = self._r.pipeline(transaction=True)
        pipe.hdel(_key("res", workspace, "values", collection), key)
        pipe.zrem(_key("res", workspace, "order", collection), key)
        removed, _ = await pipe.execute()
        return bool(removed)

    async def all(self, workspace: str, collection: str, limit: int) -> list[Any]:
        if limit <= 0:
            return []
        keys = await self._r.zrange(_key("res", workspace, "order", collection), 0, limit - 1)
        if not keys:
            return []
        raw = await self._r.hmget(_key("res", workspace, "values", collection), keys)
        return [codec.decode_value(v) for v in raw if v is not None]

    async def number(self, workspace: str, collection: str) -> int:
        return int(await self._r.incr(_key("res", workspace, "numbers", collection)))

    async def clear(self, workspace: str | None = None) -> None:
        pattern = _key("res", "*") if workspace is None else _key("res", workspace, "*")
        await _delete_matching(self._r, pattern)


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
    """Publishes this replica's changes and wakes it on the others'; an announced topic
    (CLOCK, FAULTS) drops what this replica kept of it."""

    def __init__(self, r: Any, changes: Changes) -> None:
        self._r = r
        self._changes = changes
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._me = uuid.uuid4().hex
        self.caches: dict[str, Cached[Any]] = {}

    def publish(self) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self._r.publish(CHANNEL, f"{self._me}:"))
        except RuntimeError:
            return  # no loop (a change made outside the server): nobody to wake here
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def announce(self, topic: str) -> None:
        """Tell the other replicas to drop what they keep of `topic` (awaited: once the
        change is answered, every subscriber has been sent the message)."""
        await self._r.publish(CHANNEL, f"{self._me}:{topic}")

    def _heard(self, data: str) -> None:
        sender, _, topic = data.partition(":")
        if sender == self._me:
            return
        cache = self.caches.get(topic)
        if cache is not None:
            cache.drop()
        self._changes.wake()

    def _forget_all(self) -> None:
        for cache in self.caches.values():
            cache.drop()

    async def start(self) -> None:
        pubsub = self._r.pubsub()
        await pubsub.subscribe(CHANNEL)
        self._listener = asyncio.create_task(self._listen(pubsub))

    async def _listen(self, pubsub: Any) -> None:
        try:
            while True:
                try:
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._heard(str(message.get("data")))
                except (RedisConnectionError, RedisTimeoutError):
                    # Redis went away: waits fall back to their 1 s poll until it is back,
                    # and what was kept is read again (announcements may have been missed).
                    self._forget_all()
                    await asyncio.sleep(1.0)
                    with contextlib.suppress(RedisConnectionError, RedisTimeoutError):
                        await pubsub.subscribe(CHANNEL)
                    self._forget_all()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def stop(self) -> None:
        pending = [t for t in (self._listener, *self._tasks) if t is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class RedisGlances:
    """A run and the clock in one round trip (the run first, so "now" is never before a
    change the run shows); the room for a new run and the clock in another."""

    def __init__(self, link: Link, runs: RedisRuns, time_store: RedisTime) -> None:
        self._link = link
        self._runs = runs
        self._time = time_store

    async def run_at(self, workspace: str, run_id: str) -> tuple[Run | None, Reading]:
        asked, commands = self._time.asking()
        fields, *answers = await self._link.send(self._runs.asking(run_id), *commands)
        run = self._runs.got(workspace, run_id, fields)
        return run, await self._time.reading(asked, answers, workspace)

    async def room_at(self, workspace: str, cap: int) -> tuple[bool, Reading]:
        counting = self._runs.asking_room(cap)
        asked, commands = self._time.asking()
        answers = await self._link.send(*counting, *commands)
        room = not counting or self._runs.room(cap, answers[0], answers[1])
        reading = await self._time.reading(asked, answers[len(counting) :], workspace)
        return room, reading


def open_redis(url: str, settings: Settings) -> Backend:
    r = aioredis.Redis.from_url(url, decode_responses=True)
    pool = r.connection_pool
    link = Link(dict(pool.connection_kwargs), tls=issubclass(pool.connection_class, SSLConnection))
    # Pub/sub wakes replicas at once; the poll bounds a wait if a message is lost.
    changes = Changes(poll_s=WAKE_POLL_S)
    wakeups = Wakeups(r, changes)
    changes.publish = wakeups.publish
    time_store = RedisTime(r, link, settings, wakeups.announce)
    faults = RedisFaults(r, wakeups.announce)
    wakeups.caches = {CLOCK: time_store.cache, FAULTS: faults.cache}
    runs = RedisRuns(r, link)
    journal = RedisJournal(r, link)

    async def start() -> None:
        await time_store.init()
        await wakeups.start()
        journal.start()

    async def close() -> None:
        await journal.stop()  # what is still waiting goes out before the connection closes
        await wakeups.stop()
        await link.close()
        await r.aclose()

    return Backend(
        runs=runs,
        outbox=RedisOutbox(r),
        time=time_store,
        faults=faults,
        journal=journal,
        ids=RedisIds(r, settings.seed),
        slots=RedisSlots(r),
        resources=RedisResources(r),
        changes=changes,
        glances=RedisGlances(link, runs, time_store),
        shared=True,
        unavailable=(RedisConnectionError, RedisTimeoutError),
        start=start,
        close=close,
    )
