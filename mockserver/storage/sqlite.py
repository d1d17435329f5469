"""The state file (`--state PATH`): runs, timelines, the webhook outbox, the clock and
workspace clock offsets in SQLite (WAL), so they survive a crash and worker processes
share them. Same interfaces as the in-memory store and outbox.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from mockserver.core.clock import Anchor
from mockserver.core.faults import RequestFaults
from mockserver.core.lifecycle import Moment, NodeChange, Snapshot, Timeline
from mockserver.core.models import Attempt, Delivery, Run
from mockserver.storage.memory import LOG_SIZE

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
CREATE TABLE IF NOT EXISTS expected (run_id TEXT PRIMARY KEY, workspace TEXT NOT NULL);
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
"""


class Database:
    """One connection per process; every write is its own short transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # the test client calls from a second thread
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=10
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process kill
        self._conn.executescript(SCHEMA)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def write(self, sql: str, *args: Any) -> int:
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def transaction(self, steps: Callable[[sqlite3.Connection], bool]) -> bool:
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


def _snapshot(raw: dict[str, Any]) -> Snapshot:
    lists = ("executed", "running", "remaining", "skipped", "failed")
    fields: dict[str, Any] = {k: tuple(v) if k in lists else v for k, v in raw.items()}
    return Snapshot(**fields)


def _moment(raw: dict[str, Any]) -> Moment:
    changes = tuple(NodeChange(c["node_id"], c["status"]) for c in raw["changes"])
    return Moment(raw["at"], _snapshot(raw["snapshot"]), changes)


def encode_run(run: Run) -> str:
    timeline = run.timeline
    return json.dumps(
        {
            "input": run.input,
            "node_ids": run.node_ids,
            "single_node_id": run.single_node_id,
            "workflow_version_id": run.workflow_version_id,
            "callback_url": run.callback_url,
            "faults": asdict(run.faults),
            "timeline": {
                "created_at": timeline.created_at,
                "moments": [asdict(m) for m in timeline.moments],
                "continuation": [asdict(m) for m in timeline.continuation],
            },
        }
    )


def decode_run(run_id: str, workspace: str, workflow_id: str, seq: int, record: str) -> Run:
    raw = json.loads(record)
    tl = raw["timeline"]
    faults = raw["faults"]
    if faults.get("latency_ms") is not None:
        faults["latency_ms"] = tuple(faults["latency_ms"])
    return Run(
        id=run_id,
        workspace=workspace,
        workflow_id=workflow_id,
        input=raw["input"],
        timeline=Timeline(
            tl["created_at"],
            tuple(_moment(m) for m in tl["moments"]),
            tuple(_moment(m) for m in tl["continuation"]),
        ),
        node_ids=tuple(raw["node_ids"]) if raw["node_ids"] is not None else None,
        single_node_id=raw["single_node_id"],
        workflow_version_id=raw["workflow_version_id"],
        callback_url=raw["callback_url"],
        faults=RequestFaults(**faults),
        sequence=seq,
    )


_RUN_COLUMNS = "id, workspace, workflow_id, seq, record"


class SqliteRunStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _runs(self, where: str, *args: Any) -> list[Run]:
        rows = self._db.query(f"SELECT {_RUN_COLUMNS} FROM runs {where}", *args)
        return [decode_run(*row) for row in rows]

    def add(self, run: Run) -> Run:
        self._db.write(
            "INSERT INTO runs (id, workspace, workflow_id, created_at, ends_at, record)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            run.id,
            run.workspace,
            run.workflow_id,
            run.timeline.created_at,
            run.timeline.ends_at,
            encode_run(run),
        )
        return self._runs("WHERE id = ?", run.id)[0]

    def get(self, workspace: str, run_id: str) -> Run | None:
        found = self._runs("WHERE id = ? AND workspace = ?", run_id, workspace)
        return found[0] if found else None

    def find(self, run_id: str) -> Run | None:
        found = self._runs("WHERE id = ?", run_id)
        return found[0] if found else None

    def replace_timeline(self, run: Run, timeline: Timeline) -> Run:
        updated = replace(run, timeline=timeline)
        self._db.write(
            "UPDATE runs SET record = ?, ends_at = ? WHERE id = ?",
            encode_run(updated),
            timeline.ends_at,
            run.id,
        )
        return updated

    def of_workflow(self, workspace: str, workflow_id: str) -> list[Run]:
        return self._runs(
            "WHERE workspace = ? AND workflow_id = ? ORDER BY created_at DESC, seq DESC",
            workspace,
            workflow_id,
        )

    def page(self, workspace: str, offset: int, limit: int) -> tuple[list[Run], int]:
        runs = self._runs(
            "WHERE workspace = ? ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?",
            workspace,
            limit,
            offset,
        )
        total = self._db.query("SELECT COUNT(*) FROM runs WHERE workspace = ?", workspace)
        return runs, int(total[0][0])

    def __len__(self) -> int:
        return int(self._db.query("SELECT COUNT(*) FROM runs")[0][0])

    def evict_finished(
        self, count: int, now_of: Callable[[str], float], keep: frozenset[str] = frozenset()
    ) -> list[Run]:
        rows = self._db.query(
            "SELECT id, workspace, ends_at FROM runs WHERE ends_at IS NOT NULL"
            " ORDER BY ends_at, seq LIMIT ?",
            count * 4,
        )
        chosen = [
            run_id
            for run_id, workspace, ends in rows
            if ends <= now_of(workspace) and run_id not in keep
        ][:count]
        gone = [run for run_id in chosen if (run := self.find(run_id)) is not None]
        for run in gone:
            self._db.write("DELETE FROM runs WHERE id = ?", run.id)
        return gone

    def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._db.write("DELETE FROM runs")
        else:
            self._db.write("DELETE FROM runs WHERE workspace = ?", workspace)


# --- webhook outbox ---------------------------------------------------------------------


def _attempts(raw: str) -> list[Attempt]:
    return [Attempt(**a) for a in json.loads(raw)]


class SqliteOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def expect(self, workspace: str, run_id: str) -> None:
        self._db.write(
            "INSERT OR IGNORE INTO expected (run_id, workspace) VALUES (?, ?)", run_id, workspace
        )

    def expected(self) -> list[tuple[str, str]]:
        return [
            (ws, run_id) for run_id, ws in self._db.query("SELECT run_id, workspace FROM expected")
        ]

    def start(self, delivery: Delivery, lease_s: float) -> bool:
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

        return self._db.transaction(claim)

    def drop(self, run_id: str) -> None:
        self._db.write("DELETE FROM expected WHERE run_id = ?", run_id)

    def save(self, delivery: Delivery, lease_s: float) -> None:
        self._db.write(
            "UPDATE deliveries SET state = ?, attempts = ?, lease_until = ? WHERE id = ?",
            delivery.state,
            json.dumps([a.as_json() for a in delivery.attempts]),
            time.time() + lease_s,
            delivery.id,
        )

    def orphans(self, lease_s: float) -> list[Delivery]:
        now = time.time()
        taken = []
        for delivery in self._pending():
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

    def _pending(self) -> list[Delivery]:
        return self._decoded("WHERE state = 'pending'")

    def _decoded(self, where: str, *args: Any) -> list[Delivery]:
        rows = self._db.query(
            f"SELECT id, run_id, workspace, url, body, state, attempts FROM deliveries {where}",
            *args,
        )
        return [
            Delivery(id_, run_id, ws, url, bytes(body), state, _attempts(attempts))
            for id_, run_id, ws, url, body, state, attempts in rows
        ]

    def deliveries(self, workspace: str | None = None) -> list[Delivery]:
        if workspace is None:
            found = self._decoded("ORDER BY seq DESC LIMIT ?", LOG_SIZE)
        else:
            found = self._decoded(
                "WHERE workspace = ? ORDER BY seq DESC LIMIT ?", workspace, LOG_SIZE
            )
        return found[::-1]

    def forget(self, workspace: str | None = None) -> None:
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


class SqliteOffsets(MutableMapping[str, float]):
    """Per-workspace clock offsets, as a mapping backed by the state file."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def __getitem__(self, workspace: str) -> float:
        rows = self._db.query("SELECT seconds FROM offsets WHERE workspace = ?", workspace)
        if not rows:
            raise KeyError(workspace)
        return float(rows[0][0])

    def __setitem__(self, workspace: str, seconds: float) -> None:
        self._db.write(
            "INSERT OR REPLACE INTO offsets (workspace, seconds) VALUES (?, ?)", workspace, seconds
        )

    def __delitem__(self, workspace: str) -> None:
        if not self._db.write("DELETE FROM offsets WHERE workspace = ?", workspace):
            raise KeyError(workspace)

    def __iter__(self) -> Iterator[str]:
        return iter([row[0] for row in self._db.query("SELECT workspace FROM offsets")])

    def __len__(self) -> int:
        return int(self._db.query("SELECT COUNT(*) FROM offsets")[0][0])
