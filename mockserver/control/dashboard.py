"""The dashboard at /_mock/ui: its static files, its data, and its live stream.

The page and its two files hold no data and are served without the admin token (a
browser navigating cannot send a header); every data and action call the page makes
carries it as `X-Admin-Token`, and the workspace's API key as `X-API-Key`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from connexion import request
from starlette.responses import Response

from mockserver.control.board import Board
from mockserver.core.ids import workspace_of
from mockserver.engine import sse
from mockserver.engine.encoding import dumps
from mockserver.engine.problems import ApiError
from mockserver.state import MockState

UI_DIR = Path(__file__).resolve().parent / "ui"
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
# The stream looks again this often (journal entries wake nobody), and sends at least
# this often so the page's "now" moves even when nothing else does.
LOOK_EVERY_S = 0.25
SEND_AT_LEAST_EVERY_S = 1.0


def _workspace() -> str:
    # Declared required in control.yaml, so validation answered 422 when it is missing.
    return workspace_of(request.headers["x-api-key"])


class Dashboard:
    def __init__(self, state: MockState) -> None:
        self._state = state
        self._board = Board(state)
        self._files = {name: (UI_DIR / name).read_bytes() for name in ASSETS}

    def _file(self, name: str) -> Response:
        return Response(
            self._files[name], media_type=ASSETS[name], headers={"Cache-Control": "no-cache"}
        )

    async def page(self, token: str | None = None) -> Response:
        del token  # read by the page's script, not by the server
        return self._file("index.html")

    async def asset(self, name: str) -> Response:
        return self._file(name)  # the spec's enum admits only the shipped names

    async def overview(self, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        return await self._board.overview(_workspace(), offset, limit)

    async def run(self, run_id: str) -> dict[str, Any]:
        found = await self._board.run(_workspace(), run_id)
        if found is None:
            raise ApiError(404, "Run not found")
        return found

    async def stream(
        self, offset: int = 0, limit: int = 50, run_id: str | None = None
    ) -> sse.HeldStream:
        # The same cap as the runs' event streams: together they hold at most max_streams.
        token = await sse.hold_slot(self._state)
        body = self._updates(_workspace(), offset, limit, run_id)
        return sse.HeldStream(body, self._state.backend.slots, token)

    async def _updates(
        self, workspace: str, offset: int, limit: int, run_id: str | None
    ) -> AsyncIterator[bytes]:
        """A `board` event whenever what the page shows changed, else one a second."""
        last_seen = b""
        sent_at = float("-inf")
        while True:
            board = await self._board.overview(workspace, offset, limit)
            run = await self._board.run(workspace, run_id) if run_id else None
            update = {"board": board, "run": run}
            # The clock's reading changes on every look; only the rest decides "changed".
            now = board["clock"].pop("now")
            seen = dumps(update)
            board["clock"]["now"] = now
            if seen != last_seen or time.monotonic() - sent_at >= SEND_AT_LEAST_EVERY_S:
                yield b"event: board\ndata: " + dumps(update) + b"\n\n"
                last_seen, sent_at = seen, time.monotonic()
            await self._state.changes.wait(LOOK_EVERY_S)
