"""A broadcast that wakes every waiter when runs or the clock change (stop, advance...).

Wake-ups are hints: every waiter also has its own deadline. With a shared backend a change
is published to the other processes too (Redis pub/sub), and a backend that cannot publish
(SQLite) bounds every wait by `poll_s` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class Changes:
    def __init__(
        self, poll_s: float | None = None, publish: Callable[[], None] | None = None
    ) -> None:
        self._event = asyncio.Event()
        self._poll_s = poll_s
        self.publish = publish

    def notify(self) -> None:
        """Something changed here: wake local waiters and tell the other processes."""
        self.wake()
        if self.publish is not None:
            self.publish()

    def wake(self) -> None:
        """Wake local waiters (for a change another process published)."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> None:
        """Return on the next change, or after `timeout` real seconds (None: no limit)."""
        event = self._event
        if self._poll_s is not None:
            timeout = self._poll_s if timeout is None else min(timeout, self._poll_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), None if timeout is None else max(timeout, 0))
