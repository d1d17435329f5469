"""Cassettes: runs recorded through `mockserver proxy --record`, replayed by `serve --replay`.

A cassette is JSON: `{"version": 1, "runs": [entry, ...]}`; an entry holds what one run
did as the proxy saw it: the create request (workflow id, body without `callback_url`,
the Prefer header), each distinct view (status, progress, output, finished_at) with its
offset in seconds from the create's answer, the SSE events with their offsets, and the
webhook body. No API key and no callback URL is ever part of it.

Replaying matches a create by `Prefer: replay=<name>`, else by workflow id + input (the
first entry whose input equals the create's). The entry becomes the run's scenario
(outcome, queue delay, whole duration, failing node, error) and its recorded output, so
the run lives on the mock's clock: --speed, clock advance and the manual clock apply.
Durations come from the backend's own timestamps (created_at, the webhook's started_at,
finished_at), in its time. Pure: no I/O (the caller reads the file).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockserver.core.scenario import Scenario

VERSION = 1
REPLAYABLE = ("completed", "failed", "stopped")


class CassetteError(ValueError):
    """The cassette cannot be used (named in the message)."""


def _seconds(later: Any, earlier: Any) -> float | None:
    try:
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
    except (TypeError, ValueError):
        return None


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Entry:
    name: str
    workflow_id: str
    input: Any
    raw: Mapping[str, Any]

    @property
    def final(self) -> Mapping[str, Any]:
        return dict(self.raw["views"][-1]) if self.raw.get("views") else {}

    @property
    def status(self) -> str | None:
        status = self.final.get("status")
        return str(status) if status else None

    @property
    def output(self) -> dict[str, Any] | None:
        out = self.final.get("output")
        return dict(out) if isinstance(out, dict) and self.status == "completed" else None

    @property
    def error(self) -> str | None:
        hook = self.raw.get("webhook") or {}
        if isinstance(hook.get("error"), str):
            return str(hook["error"])
        logs = (self.final.get("progress_details") or {}).get("run_logs") or {}
        errors = logs.get("error")
        return str(errors[0]) if isinstance(errors, list) and errors else None

    def failed_node(self) -> str | None:
        for event in self.raw.get("events", []):
            data = (event.get("data") or {}).get("data") or {}
            if data.get("status") == "failed" and "workflow_status" not in data:
                return str(data.get("id"))
        return None

    def scenario(self, nodes: tuple[str, ...]) -> Scenario:
        """What the mock should do to replay this entry, for a workflow with `nodes`."""
        final, first = self.final, (self.raw.get("views") or [{}])[0]
        created = first.get("created_at")
        duration = _seconds(final.get("finished_at"), created)
        hook = self.raw.get("webhook") or {}
        queue = _seconds(hook.get("started_at"), created)
        failed = self.failed_node()
        return Scenario(
            outcome=self.status,
            duration_s=max(duration, 0.0) if duration is not None else None,
            queue_delay_s=max(queue, 0.0) if queue is not None else None,
            fail_at=failed if self.status == "failed" and failed in nodes else None,
            error=self.error if self.status == "failed" else None,
        )


@dataclass(frozen=True)
class Cassette:
    entries: tuple[Entry, ...]

    @classmethod
    def parse(cls, text: str, where: str = "cassette") -> Cassette:
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise CassetteError(f"{where}: not JSON: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise CassetteError(f"{where}: not a version {VERSION} cassette")
        entries = []
        for index, run in enumerate(raw.get("runs") or []):
            try:
                request = run["request"]
                entry = Entry(
                    str(run["name"]), str(request["workflow_id"]), request["body"].get("input"), run
                )
            except (KeyError, TypeError, AttributeError) as exc:
                raise CassetteError(f"{where}: runs[{index}] lacks {exc}") from exc
            if entry.status in REPLAYABLE:
                entries.append(entry)
        return cls(tuple(entries))

    def match(self, workflow_id: str, run_input: Any, name: str | None) -> Entry | None:
        if not self.entries:
            return None  # no cassette (most mocks): spare encoding the input
        if name is not None:
            return next((e for e in self.entries if e.name == name), None)
        wanted = canonical(run_input)
        return next(
            (
                e
                for e in self.entries
                if e.workflow_id == workflow_id and canonical(e.input) == wanted
            ),
            None,
        )
