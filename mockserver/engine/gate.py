"""The one ASGI layer every HTTP request crosses, before /v1 (public.py) or the rest.

It does, in one pass over the headers and one send wrapper, what five stacked layers did:
431/413 limits, the 405 method guard and the admin token (answered before any parsing);
the journal of /v1 calls (it sees every final status) and the `X-Mock-Worker` tag. What
is not /v1 (the landing redirect, the served spec) goes through the landing; Starlette's
CORS layer runs only for requests that carry an Origin (a request without one gets the
`Vary: Origin` that layer would have added, and nothing else).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from starlette.types import Receive, Scope, Send

from apicontract.router import Routes
from mockserver.engine.admin import AdminGuard
from mockserver.engine.asgi import WORKER_HEADER
from mockserver.engine.asked import asked_of
from mockserver.engine.journal import journal_entry
from mockserver.engine.landing import Landing
from mockserver.engine.limits import Refusal, RequestLimits
from mockserver.engine.methods import MethodGuard
from mockserver.engine.reply import send_reply
from mockserver.state import MockState

PUBLIC = "/v1/"
_WORKER = WORKER_HEADER.lower().encode()


class Gate:
    def __init__(
        self,
        public: Any,
        rest: Any,
        *,
        state: MockState,
        document: dict[str, Any],
        routes: Routes[Mapping[str, Any]],
    ) -> None:
        settings = state.settings
        self.public = public
        self.routes = routes
        # A served document with paths outside /v1 (another API): those are public too.
        self.elsewhere = any(not t.startswith(PUBLIC) for t in document.get("paths") or {})
        self.journal = state.backend.journal
        self.limits = RequestLimits(settings.max_body_bytes, settings.max_header_bytes)
        self.methods = MethodGuard(routes)
        self.admin = AdminGuard(settings.admin_token) if settings.admin_token else None
        # With state shared by several processes, which one served.
        self.pid = str(os.getpid()).encode() if state.backend.shared else None
        fallback = f"http://{settings.host}:{settings.port}"
        self.landing = Landing(rest, document=document, fallback_origin=fallback)
        self.cors_origins = settings.cors_origins
        self._cors: Any = None

    @property
    def cors(self) -> Any:
        """Starlette's CORS layer, made for the first request with an Origin (no start
        waits for starlette's import)."""
        if self._cors is None:
            from starlette.middleware.cors import CORSMiddleware

            self._cors = CORSMiddleware(
                self._guarded,
                allow_origins=list(self.cors_origins),
                allow_methods=["*"],
                allow_headers=["*"],
                # A browser reads only exposed headers: Allow matters on a 405.
                expose_headers=["Preference-Applied", "Retry-After", "Allow"],
            )
        return self._cors

    def _public(self, path: str) -> bool:
        return path.startswith(PUBLIC) or (
            self.elsewhere and not path.startswith("/_mock") and self.routes.find(path) is not None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        public = self._public(scope["path"])
        if public:
            asked_of(scope)  # workspace and Prefer, once, for every layer after this one
        cors = bool(self.cors_origins)
        with_origin = cors and any(k == b"origin" for k, _ in scope["headers"])
        vary = cors and not with_origin
        status = 500
        pid = self.pid

        async def answer(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if pid is not None or vary:
                    headers = list(message.get("headers", ()))
                    if pid is not None:
                        headers.append((_WORKER, pid))
                    if vary:
                        _add_vary_origin(headers)
                    message = {**message, "headers": headers}
            await send(message)

        try:
            if with_origin:
                await self.cors(scope, receive, answer)
            else:
                await self._guarded(scope, receive, answer)
        finally:
            # Only the public API is journaled: control calls would drown it.
            if public:
                workspace = asked_of(scope).workspace
                entry = journal_entry(scope["method"], scope["path"], status, workspace)
                await self.journal.note(entry)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope["headers"]
        refusal: Refusal | None = self.limits.headers_refusal(headers) or self.methods.refusal(
            scope
        )
        if refusal is None and self.admin is not None:
            refusal = self.admin.refusal(scope["path"], headers)
        if refusal is None:
            replayed = await self.limits.read_body(receive)
            if replayed is None:
                refusal = self.limits.too_large()
            else:
                inner = self.public if self._public(scope["path"]) else self.landing
                await inner(scope, replayed, send)
                return
        await send_reply(send, refusal)


def _add_vary_origin(headers: list[tuple[bytes, bytes]]) -> None:
    """What Starlette's CORS layer adds to an answer to a request without Origin."""
    for i, (key, value) in enumerate(headers):
        if key.lower() == b"vary":
            headers[i] = (key, value + b", Origin")
            return
    headers.append((b"vary", b"Origin"))
