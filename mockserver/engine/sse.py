"""SSE on the wire: frames, the keep-alive, and streams holding a slot of the stream cap."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from mockserver.core.event_log import Event
from mockserver.engine.encoding import dumps
from mockserver.engine.problems import ApiError
from mockserver.state import MockState
from mockserver.storage.protocols import StreamSlots

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def frame(event: Event) -> bytes:
    data = dumps(event.body()).decode()
    return f"event: message\nid: {event.id}\ndata: {data}\n\n".encode()


KEEPALIVE = b": ping\n\n"


# A held slot is renewed at least this often (a backend frees slots not renewed in 60 s,
# so a process that dies gives its streams' slots back).
SLOT_RENEW_S = 20.0


class HeldStream(StreamingResponse):
    """An event stream holding one slot of the shared stream cap (max_streams).

    The slot is released however the response ends: completed, cut, or the client gone
    before the first byte.
    """

    def __init__(self, body: AsyncIterator[bytes], slots: StreamSlots, token: str) -> None:
        super().__init__(
            self._renewing(body, slots, token), media_type="text/event-stream", headers=HEADERS
        )
        self._slots, self._token = slots, token

    @staticmethod
    async def _renewing(
        body: AsyncIterator[bytes], slots: StreamSlots, token: str
    ) -> AsyncIterator[bytes]:
        renewed = time.monotonic()
        async for chunk in body:
            yield chunk
            if time.monotonic() - renewed >= SLOT_RENEW_S:
                await slots.renew(token)
                renewed = time.monotonic()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._slots.release(self._token)


async def hold_slot(state: MockState) -> str:
    """A slot of the stream cap, or the documented 503 when every slot is taken."""
    token = await state.backend.slots.acquire(state.settings.max_streams)
    if token is None:
        raise ApiError(503, "Too many open event streams; retry later", retry_after=1)
    return token
