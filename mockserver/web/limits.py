"""Request limits answered before any parsing: body size (413) and header size (431).

Bodies are small JSON documents, so the body is read here up to the limit and replayed;
a client that lies in Content-Length or streams more than allowed gets the same 413.
"""

from __future__ import annotations

from typing import Any

from mockserver.web.asgi import send_json


class RequestLimits:
    def __init__(self, app: Any, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_headers = max_header_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(k) + len(v) + 4 for k, v in scope.get("headers", []))
        if header_bytes > self.max_headers:
            detail = f"Request headers exceed {self.max_headers} bytes"
            await send_json(send, 431, {"detail": detail})
            return
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(send)
            return
        messages: list[Any] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body:
                await self._too_large(send)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed() -> Any:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    async def _too_large(self, send: Any) -> None:
        await send_json(send, 413, {"detail": f"Request body exceeds {self.max_body} bytes"})
