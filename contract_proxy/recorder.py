"""`mockserver proxy --record FILE`: each run seen through the proxy, as a cassette entry
(format: core/cassette.py). Offsets are real seconds from the moment the create's answer
came back. What is written is chosen field by field: never a header but Prefer, never
`callback_url`, so no API key or callback URL can reach the file."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from contract_proxy.observer import CREATES, Seen
from contract_tests import sse
from contract_tests.exchange import Exchange
from contract_tests.receiver import Delivery
from mockserver.core.cassette import VERSION

VIEW_FIELDS = ("status", "progress", "output", "finished_at", "created_at", "progress_details")
CHANGES = ("status", "progress", "output", "finished_at")  # what makes a view distinct
KEPT_RUNS = 10_000


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._runs: dict[str, dict[str, Any]] = {}
        self._started: dict[str, float] = {}  # run id -> when its create was answered
        self._hooks: dict[str, str] = {}  # hook token -> run id

    def answered(self, seen: Seen, exchange: Exchange, started: float) -> None:
        body = exchange.json_or_none()
        if not isinstance(body, dict) or exchange.status >= 300:
            return
        if seen.operation_id in CREATES and "id" in body:
            self._created(seen, body)
        views: list[dict[str, Any]] = []
        if seen.operation_id in CREATES or seen.operation_id in {"getRun", "stopRun"}:
            if not (seen.flag("output_only") or seen.flag("use_output_ids")):
                views = [body]
        elif seen.operation_id == "listRuns":
            views = [item for item in body.get("items", []) if isinstance(item, dict)]
        for view in views:
            self._view(str(view.get("id")), view)

    def _created(self, seen: Seen, body: dict[str, Any]) -> None:
        run_id = str(body["id"])
        try:
            request = json.loads(seen.body) if seen.body else {}
        except ValueError:
            request = {}
        if isinstance(request, dict):
            request.pop("callback_url", None)
        self._started[run_id] = time.monotonic()
        self._runs[run_id] = {
            "name": run_id,
            "request": {
                "operation": seen.operation_id,
                "workflow_id": seen.path_params.get("workflow_id"),
                "body": request,
                "prefer": seen.headers.get("prefer"),
            },
            "views": [],
            "events": [],
            "webhook": None,
        }
        if seen.token:
            self._hooks[seen.token] = run_id
        while len(self._runs) > KEPT_RUNS:
            oldest = next(iter(self._runs))
            self._runs.pop(oldest)
            self._started.pop(oldest, None)

    def _view(self, run_id: str, body: dict[str, Any]) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        view = {k: body.get(k) for k in VIEW_FIELDS if k in body}
        views = run["views"]
        if views and all(views[-1].get(k) == view.get(k) for k in CHANGES):
            return
        view["offset_s"] = round(time.monotonic() - self._started[run_id], 4)
        views.append(view)
        if view.get("status") in {"completed", "failed", "stopped"}:
            self.save()

    def streamed(
        self, seen: Seen, exchange: Exchange, arrivals: list[tuple[float, int]], started: float
    ) -> None:
        run = self._runs.get(seen.run_id or "")
        if run is None or exchange.status != 200 or seen.resume_after or run["events"]:
            return  # the first whole stream of a run, read from its start
        origin = self._started[str(seen.run_id)]
        text = exchange.response_body.decode("utf-8", errors="replace")
        stream = sse.EventStream(exchange.url, {}, {})
        sse.parse(stream, re.split(r"\r\n|\r|\n", text))
        # Each frame's offset: when the chunk that completed it arrived.
        ends, begun, raw = [], 0, exchange.response_body
        for blank in re.finditer(rb"(?:\r\n|\r|\n){2}", raw):
            lines = re.split(rb"\r\n|\r|\n", raw[begun : blank.start()])
            begun = blank.end()
            if any(line.startswith(b"data") for line in lines):  # an event, not a comment
                ends.append(blank.end())
        for frame, end in zip(stream.frames, ends, strict=False):
            at = next((t for t, size in arrivals if size >= end), arrivals[-1][0])
            run["events"].append(
                {"offset_s": round(at - origin, 4), "id": frame.id, "data": frame.body()}
            )
        self.save()

    def delivered(self, token: str, delivery: Delivery) -> None:
        run = self._runs.get(self._hooks.get(token, ""))
        if run is None or delivery.answered >= 300 or run["webhook"] is not None:
            return
        try:
            run["webhook"] = json.loads(delivery.raw)
        except ValueError:
            return
        self.save()

    def save(self) -> None:
        """The whole cassette, replaced atomically (a reader never sees half a file)."""
        runs = [run for run in self._runs.values() if run["views"]]
        text = json.dumps({"version": VERSION, "runs": runs}, indent=1)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, self.path)

    def close(self) -> None:
        self.save()
