"""SSE frames on the wire: one event as `event:`/`id:`/`data:` lines, and the keep-alive."""

from __future__ import annotations

from mockserver.core.event_log import Event
from mockserver.web.encoding import dumps


def frame(event: Event) -> bytes:
    data = dumps(event.body()).decode()
    return f"event: message\nid: {event.id}\ndata: {data}\n\n".encode()


KEEPALIVE = b": ping\n\n"
