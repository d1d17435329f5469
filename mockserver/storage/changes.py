"""A broadcast that wakes every waiter when runs or the clock change (stop, advance...)."""

from __future__ import annotations

import asyncio
import contextlib


class Changes:
    def __init__(self, poll_s: float | None = None) -> None:
        self._event = asyncio.Event()
        # With a shared state file, other processes change runs without telling us:
        # never sleep longer than this before looking again.
        self._poll_s = poll_s

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> None:
        """Return on the next change, or after `timeout` real seconds (None: no limit)."""
        event = self._event
        if self._poll_s is not None:
            timeout = self._poll_s if timeout is None else min(timeout, self._poll_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), None if timeout is None else max(timeout, 0))
