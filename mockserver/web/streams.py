"""The one cap on open event streams (`max_streams`), shared by every streaming endpoint:
a run's events and the dashboard's live stream count against the same number."""

from __future__ import annotations

from collections.abc import AsyncIterator

from mockserver.web.errors import ApiError


class OpenStreams:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def admit(self) -> None:
        """Answer 503 (Retry-After: 1) when the cap is reached."""
        if self.count >= self.limit:
            raise ApiError(503, "Too many open event streams; retry later", retry_after=1)

    async def held(self, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """`body`, counted as open from its first chunk until it ends or the client leaves."""
        self.count += 1
        try:
            async for chunk in body:
                yield chunk
        finally:
            self.count -= 1
