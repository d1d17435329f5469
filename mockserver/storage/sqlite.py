"""The state file (`--state PATH`): runs, timelines, the webhook outbox, the clock and
workspace clock offsets in SQLite (WAL), so they survive a crash and worker processes
share them. Same interfaces as the in-memory store and outbox.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from mockserver.core.clock import Anchor, Reading, SimClock
from mockserver.core.faults import FaultRule
from mockserver.core.models import Delivery, Entry, Run
from mockserver.settings import Settings
from mockserver.storage import codec
from mockserver.storage.backend import Backend, StoreGlances, process_clock
from mockserver.storage.changes import Changes
from mockserver.storage.memory import JOURNAL_SIZE, LOG_SIZE, MemoryIds
from mockserver.storage.protocols import Edit

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    workspace TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    ends_at REAL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (workspace, workflow_id, created_at);
CREATE INDEX IF NOT EXISTS runs_by_workspace ON runs (workspace, created_at, seq);
CREATE TABLE IF NOT EXISTS expected (
    run_id TEXT PRIMARY KEY, workspace TEXT NOT NULL, ends_at REAL
);
CREATE INDEX IF NOT EXISTS runs_by_end ON runs (ends_at, seq);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    run_id TEXT NOT NULL,
    workspace TEXT NOT NULL,
    url TEXT NOT NULL,
    body BLOB NOT NULL,
    state TEXT NOT NULL,
    attempts TEXT NOT NULL,
    lease_until REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clock (
    id INTEGER PRIMARY KEY CHECK (id = 1), sim REAL, wall REAL, speed REAL, frozen INTEGER
);
CREATE TABLE IF NOT EXISTS offsets (workspace TEXT PRIMARY KEY, seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS faults (scope TEXT PRIMARY KEY, seq INTEGER, rule TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, workspace TEXT, entry TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS slots (token TEXT PRIMARY KEY, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (workspace, collection, key)
);
CREATE TABLE IF NOT EXISTS resource_numbers (
    workspace TEXT NOT NULL, collection TEXT NOT NULL, number INTEGER NOT NULL,
    PRIMARY KEY (workspace, collection)
);
"""
# Slots of streams whose process died free themselves after this long without renewal.
SLOT_LEASE_S = 60.0


class Database:
    """One connection per process; every write is its own short transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()  # the test client calls from a second thread
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=10
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process kill
        self._conn.executescript(SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(expected)")}
        if "ends_at" not in columns:  # a state file from before due-webhook indexing
            self._conn.execute("ALTER TABLE expected ADD COLUMN ends_at REAL")

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def write(self, sql: str, *args: Any) -> int:
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def insert(self, sql: str, *args: Any) -> int:
        """Run an INSERT; the new row's rowid."""
        with self._lock:
            rowid = self._conn.execute(sql, args).lastrowid
            assert rowid is not None
            return rowid

    def transaction(self, steps: Any) -> Any:
        """Run `steps` atomically across processes (BEGIN IMMEDIATE takes the write lock)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                done = steps(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return done


# --- runs -------------------------------------------------------------------------------


_RUN_COLUMNS = "id, workspace, workflow_id, seq, record"


_INFINITY = 1e308  # a paused run's end: not known yet (SQLite has no infinity literal)
_EXPECT = "INSERT OR REPLACE INTO expected (run_id, workspace, ends_at) VALUES (?, ?, ?)"


def _end(ends_at: float | None) -> float:
    return _INFINITY if ends_at is None else ends_at


class SqliteRuns:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _runs(self, where: str, *args: Any) -> list[Run]:
        rows = self._db.query(f"SELECT {_RUN_COLUMNS} FROM runs {where}", *args)
        return [codec.decode_run(*row) for row in rows]

    async def add(self, run: Run) -> Run:
        def steps(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO runs (id, workspace, workflow_id, created_at, ends_at, record)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run.id,
                    run.workspace,
                    run.workflow_id,
                    run.timeline.created_at,
                    run.timeline.ends_at,
                    codec.encode_run(run),
                ),
            )
            if run.callback_url:
                conn.execute(_EXPECT, (run.id, run.workspace, _end(run.timeline.ends_at)))
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        seq: int = self._db.transaction(steps)
        return replace(run, sequence=seq)

    async def get(self, workspace: str, run_id: str) -> Run | None:
        found = self._runs("WHERE id = ? AND workspace = ?", run_id, workspace)
        return found[0] if found else None

    async def find(self, run_id: str) -> Run | None:
        found = self._runs("WHERE id = ?", run_id)
        return found[0] if found else None

    async def change(self, run_id: str, edit: Edit) -> Run | None:
        def steps(conn: sqlite3.Connection) -> Run | None:
            rows = conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
            row = rows.fetchone()
            if row is None:
                return None
            run = codec.decode_run(*row)
            updated = replace(run, timeline=edit(run))  # an exception rolls back
            conn.execute(
                "UPDATE runs SET record = ?, ends_at = ? WHERE id = ?",
                (codec.encode_run(updated), updated.timeline.ends_at, run_id),
            )
            return updated

        found: Run | None = self._db.transaction(steps)
        return found

    async def page(
        self, workspace: str, offset: int, limit: int, workflow_id: str | None = None
    ) -> tuple[list[Run], int]:
        where, args = "WHERE workspace = ?", [workspace]
        if workflow_id is not None:
            where, args = where + " AND workflow_id = ?", [*args, workflow_id]
        runs = self._runs(
            f"{where} ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?", *args, limit, offset
        )
        total = self._db.query(f"SELECT COUNT(*) FROM runs {where}", *args)
        return runs, int(total[0][0])

    async def count(self) -> int:
        return int(self._db.query("SELECT COUNT(*) FROM runs")[0][0])

    async def evict_finished(self, count: int, before: float) -> list[Run]:
        def steps(conn: sqlite3.Connection) -> list[Run]:
            rows = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE ends_at <= ?"
                " AND id NOT IN (SELECT run_id FROM expected) ORDER BY ends_at, seq LIMIT ?",
                (before, count),
            ).fetchall()
            gone = [codec.decode_run(*row) for row in rows]
            conn.executemany("DELETE FROM runs WHERE id = ?", [(run.id,) for run in gone])
            return gone

        gone: list[Run] = self._db.transaction(steps)
        return gone

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._db.write("DELETE FROM runs")
        else:
            self._db.write("DELETE FROM runs WHERE workspace = ?", workspace)


# --- webhook outbox ---------------------------------------------------------------------


class SqliteOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def expect(self, workspace: str, run_id: str, ends_at: float | None) -> None:
        self._db.write(_EXPECT, run_id, workspace, _end(ends_at))

    async def reschedule(self, run_id: str, ends_at: float | None) -> None:
        self._db.write("UPDATE expected SET ends_at = ? WHERE run_id = ?", _end(ends_at), run_id)

    async def due(self, until: float, limit: int) -> list[tuple[str, str]]:
        rows = self._db.query(
            "SELECT workspace, run_id FROM expected WHERE ends_at <= ? ORDER BY ends_at LIMIT ?",
            until,
            limit,
        )
        return [(ws, run_id) for ws, run_id in rows]

    async def next_end(self, after: float) -> float | None:
        rows = self._db.query(
            "SELECT MIN(ends_at) FROM expected WHERE ends_at > ? AND ends_at < ?", after, _INFINITY
        )
        return None if rows[0][0] is None else float(rows[0][0])

    async def start(self, delivery: Delivery, lease_s: float) -> bool:
        def claim(conn: sqlite3.Connection) -> bool:
            if (
                conn.execute("DELETE FROM expected WHERE run_id = ?", (delivery.run_id,)).rowcount
                == 0
            ):
                return False  # another worker took it
            conn.execute(
                "INSERT OR IGNORE INTO deliveries"
                " (id, run_id, workspace, url, body, state, attempts, lease_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    delivery.id,
                    delivery.run_id,
                    delivery.workspace,
                    delivery.url,
                    delivery.body,
                    delivery.state,
                    "[]",
                    time.time() + lease_s,
                ),
            )
            return True

        done: bool = self._db.transaction(claim)
        return done

    async def drop(self, run_id: str) -> None:
        self._db.write("DELETE FROM expected WHERE run_id = ?", run_id)

    async def save(self, delivery: Delivery, lease_s: float) -> None:
        self._db.write(
            "UPDATE deliveries SET state = ?, attempts = ?, lease_until = ? WHERE id = ?",
            delivery.state,
            codec.encode_attempts(delivery.attempts),
            time.time() + lease_s,
            delivery.id,
        )

    async def orphans(self, lease_s: float) -> list[Delivery]:
        now = time.time()
        taken = []
        for delivery in self._decoded("WHERE state = 'pending' AND lease_until < ?", now):
            claimed = self._db.write(
                "UPDATE deliveries SET lease_until = ?"
                " WHERE id = ? AND state = 'pending' AND lease_until < ?",
                now + lease_s,
                delivery.id,
                now,
            )
            if claimed:
                taken.append(delivery)
        return taken

    def _decoded(self, where: str, *args: Any) -> list[Delivery]:
        rows = self._db.query(
            f"SELECT id, run_id, workspace, url, body, state, attempts FROM deliveries {where}",
            *args,
        )
        return [
            Delivery(id_, run_id, ws, url, bytes(body), state, codec.decode_attempts(attempts))
            for id_, run_id, ws, url, body, state, attempts in rows
        ]

    async def deliveries(self, workspace: str | None = None) -> list[Delivery]:
        if workspace is None:
            found = self._decoded("ORDER BY seq DESC LIMIT ?", LOG_SIZE)
        else:
            found = self._decoded(
                "WHERE workspace = ? ORDER BY seq DESC LIMIT ?", workspace, LOG_SIZE
            )
        return found[::-1]

    async def forget(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._db.write("DELETE FROM expected")
        else:
            self._db.write("DELETE FROM expected WHERE workspace = ?", workspace)


# --- clock and offsets ------------------------------------------------------------------


class SqliteAnchor:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self) -> Anchor | None:
        rows = self._db.query("SELECT sim, wall, speed, frozen FROM clock WHERE id = 1")
        if not rows:
            return None
        sim, wall, speed, frozen = rows[0]
        return Anchor(sim, wall, speed, bool(frozen))

    def save(self, anchor: Anchor) -> None:
        self._db.write(
            "INSERT OR REPLACE INTO clock (id, sim, wall, speed, frozen) VALUES (1, ?, ?, ?, ?)",
            anchor.sim,
            anchor.wall,
            anchor.speed,
            int(anchor.frozen),
        )


class SqliteTime:
    """The clock's anchor and the offsets in the file; each change one transaction (the
    machine's wall clock is shared by every process that can open the file)."""

    def __init__(self, db: Database, clock: SimClock) -> None:
        self._db = db
        self.clock = clock

    def _offset(self, workspace: str | None) -> float:
        if workspace is None:
            return 0.0
        rows = self._db.query("SELECT seconds FROM offsets WHERE workspace = ?", workspace)
        return float(rows[0][0]) if rows else 0.0

    async def read(self, workspace: str | None = None) -> Reading:
        return self.clock.reading(self._offset(workspace))

    async def advance(self, seconds: float, workspace: str | None = None) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        if workspace is None:
            self._db.transaction(lambda _conn: self.clock.advance(seconds))
            return
        self._db.write(
            "INSERT INTO offsets (workspace, seconds) VALUES (?, ?)"
            " ON CONFLICT (workspace) DO UPDATE SET seconds = seconds + excluded.seconds",
            workspace,
            seconds,
        )

    async def freeze(self, frozen: bool) -> None:
        self._db.transaction(lambda _conn: self.clock.freeze(frozen))

    async def set_speed(self, speed: float) -> None:
        self._db.transaction(lambda _conn: self.clock.set_speed(speed))

    async def max_offset(self) -> float:
        rows = self._db.query("SELECT MAX(seconds) FROM offsets")
        return float(rows[0][0] or 0.0)

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._db.write("DELETE FROM offsets")
        else:
            self._db.write("DELETE FROM offsets WHERE workspace = ?", workspace)


# --- faults, journal, stream slots -------------------------------------------------------


class SqliteFaults:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def rules(self) -> list[FaultRule]:
        rows = self._db.query("SELECT rule FROM faults ORDER BY seq")
        return [codec.decode_rule(row[0]) for row in rows]

    async def add(self, rule: FaultRule) -> None:
        self._db.write(
            "INSERT OR REPLACE INTO faults (scope, seq, rule)"
            " VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM faults), ?)",
            rule.scope,
            codec.encode_rule(rule),
        )

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._db.write("DELETE FROM faults")
        else:
            self._db.write("DELETE FROM faults WHERE scope LIKE ?", f"{workspace}|%")


class SqliteJournal:
    def __init__(self, db: Database, size: int = JOURNAL_SIZE) -> None:
        self._db = db
        self._size = size

    async def note(self, entry: Entry) -> None:
        seq = self._db.insert(
            "INSERT INTO journal (workspace, entry) VALUES (?, ?)",
            entry.group_id,
            codec.encode_entry(entry),
        )
        if seq % 100 == 0:  # trim now and then, not on every call
            self._db.write("DELETE FROM journal WHERE seq <= ?", seq - self._size)

    async def of(self, workspace: str | None) -> list[Entry]:
        if workspace is None:
            rows = self._db.query("SELECT entry FROM journal ORDER BY seq DESC LIMIT ?", self._size)
        else:
            rows = self._db.query(
                "SELECT entry FROM journal WHERE workspace = ? ORDER BY seq DESC LIMIT ?",
                workspace,
                self._size,
            )
        return [codec.decode_entry(row[0]) for row in reversed(rows)]

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._db.write("DELETE FROM journal")
        else:
            self._db.write("DELETE FROM journal WHERE workspace = ?", workspace)


class SqliteSlots:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(self, cap: int) -> str | None:
        token = uuid.uuid4().hex

        def steps(conn: sqlite3.Connection) -> bool:
            now = time.time()
            conn.execute("DELETE FROM slots WHERE until < ?", (now,))
            if conn.execute("SELECT COUNT(*) FROM slots").fetchone()[0] >= cap:
                return False
            conn.execute("INSERT INTO slots VALUES (?, ?)", (token, now + SLOT_LEASE_S))
            return True

        return token if self._db.transaction(steps) else None

    async def renew(self, token: str) -> None:
        until = time.time() + SLOT_LEASE_S
        self._db.write("UPDATE slots SET until = ? WHERE token = ?", until, token)

    async def release(self, token: str) -> None:
        self._db.write("DELETE FROM slots WHERE token = ?", token)


class SqliteResources:
    """Inferred resources, one row each, listed in creation order (a replaced resource
    keeps its place)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, workspace: str, collection: str, key: str, value: Any) -> None:
        self._db.write(
            "INSERT INTO resources (workspace, collection, key, value) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (workspace, collection, key) DO UPDATE SET value = excluded.value",
            workspace,
            collection,
            key,
            codec.encode_value(value).decode(),
        )

    async def get(self, workspace: str, collection: str, key: str) -> Any | None:
        rows = self._db.query(
            "SELECT value FROM resources WHERE workspace = ? AND collection = ? AND key = ?",
            workspace,
            collection,
            key,
        )
        return codec.decode_value(rows[0][0]) if rows else None

    async def delete(self, workspace: str, collection: str, key: str) -> bool:
        return bool(
            self._db.write(
                "DELETE FROM resources WHERE workspace = ? AND collection = ? AND key = ?",
                workspace,
                collection,
                key,
            )
        )

    async def all(self, workspace: str, collection: str, limit: int) -> list[Any]:
        rows = self._db.query(
            "SELECT value FROM resources WHERE workspace = ? AND collection = ?"
            " ORDER BY seq LIMIT ?",
            workspace,
            collection,
            limit,
        )
        return [codec.decode_value(row[0]) for row in rows]

    async def number(self, workspace: str, collection: str) -> int:
        def steps(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO resource_numbers VALUES (?, ?, 1) ON CONFLICT (workspace, collection)"
                " DO UPDATE SET number = number + 1",
                (workspace, collection),
            )
            row = conn.execute(
                "SELECT number FROM resource_numbers WHERE workspace = ? AND collection = ?",
                (workspace, collection),
            ).fetchone()
            return int(row[0])

        return int(self._db.transaction(steps))

    async def clear(self, workspace: str | None = None) -> None:
        for table in ("resources", "resource_numbers"):
            if workspace is None:
                self._db.write(f"DELETE FROM {table}")
            else:
                self._db.write(f"DELETE FROM {table} WHERE workspace = ?", workspace)


def open_sqlite(path: Path, settings: Settings) -> Backend:
    db = Database(path)
    runs, times = SqliteRuns(db), SqliteTime(db, process_clock(settings, SqliteAnchor(db)))
    return Backend(
        runs=runs,
        outbox=SqliteOutbox(db),
        time=times,
        faults=SqliteFaults(db),
        journal=SqliteJournal(db),
        # Unseeded: restarts and other workers would repeat a seeded sequence.
        ids=MemoryIds(None),
        slots=SqliteSlots(db),
        resources=SqliteResources(db),
        changes=Changes(poll_s=0.25),  # other processes change the file without telling us
        glances=StoreGlances(runs, times),
        shared=True,
        unavailable=(sqlite3.OperationalError,),  # e.g. locked past the 10 s busy timeout
    )
