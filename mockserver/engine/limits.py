"""Request limits answered before any parsing: body size (413) and header size (431).

Bodies are small JSON documents, so the body is read here up to the limit and replayed;
a client that lies in Content-Length or streams more than allowed gets the same 413.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mockserver.engine.reply import Reply

Refusal = Reply  # an answer given before the request reaches the API


class RequestLimits:
    def __init__(self, max_body_bytes: int, max_header_bytes: int) -> None:
        self.max_body = max_body_bytes
        self.max_headers = max_header_bytes

    def headers_refusal(self, headers: list[tuple[bytes, bytes]]) -> Refusal | None:
        size = 0
        declared = None
        for key, value in headers:
            size += len(key) + len(value) + 4
            if key == b"content-length":
                declared = value
        if size > self.max_headers:
            return Reply({"detail": f"Request headers exceed {self.max_headers} bytes"}, 431)
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return self.too_large()
        return None

    async def read_body(
        self, receive: Callable[[], Awaitable[Any]]
    ) -> Callable[[], Awaitable[Any]] | None:
        """A receive that replays the body read here, or None when it is too large."""
        messages: list[Any] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body:
                return None
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed() -> Any:
            return next(replay, None) or await receive()

        return replayed

    def too_large(self) -> Refusal:
        return Reply({"detail": f"Request body exceeds {self.max_body} bytes"}, 413)
