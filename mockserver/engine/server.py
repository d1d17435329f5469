"""The mock's ASGI app: its lifespan, then the gate, then /v1 or the rest.

/v1 is the compiled public API (public.py), or with `--engine connexion` the reference
engine's front (mockserver/reference). Everything else (the control API under /_mock,
the dashboard, Swagger UI) is a connexion app, built on the first request that needs it:
a start that serves only /v1 on the compiled engine, as a client or a cold-start probe
does, never imports connexion.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.types import Receive, Scope, Send

from mockserver.engine.gate import Gate
from mockserver.state import MockState


class OnDemand:
    """An ASGI app built by `build` on its first call, once. The build (connexion's
    import and two APIs: half a second) runs in a worker thread, so the loop keeps
    serving /v1 and open streams meanwhile; callers arriving during it wait for it."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._app: Any = None
        self._building = threading.Lock()

    def _built(self) -> Any:
        with self._building:
            if self._app is None:
                self._app = self._build()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        if app is None:
            app = await asyncio.to_thread(self._built)
        await app(scope, receive, send)


class MockServer:
    def __init__(
        self,
        state: MockState,
        public: Any,
        rest: OnDemand,
        lifespan: Callable[[], AbstractAsyncContextManager[None]],
    ) -> None:
        self.mock = state  # for tests and the CLI; handlers get it through their objects
        self.rest = rest
        self._lifespan = lifespan
        self._gate = Gate(public, rest, state=state, document=state.spec.raw, routes=public.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._gate(scope, receive, send)
        elif kind == "lifespan":
            await self._live(receive, send)
        else:
            await self.rest(scope, receive, send)

    async def _live(self, receive: Receive, send: Send) -> None:
        """The ASGI lifespan: the webhook dispatcher runs from startup to shutdown."""
        await receive()  # lifespan.startup
        started = False
        try:
            async with self._lifespan():
                started = True
                await send({"type": "lifespan.startup.complete"})
                await receive()  # lifespan.shutdown
        except BaseException as exc:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": repr(exc)})
            raise
        await send({"type": "lifespan.shutdown.complete"})

    def test_client(self, **kwargs: Any) -> Any:
        """starlette's TestClient on this app (as connexion's `test_client()`)."""
        from starlette.testclient import TestClient

        return TestClient(self, **kwargs)
