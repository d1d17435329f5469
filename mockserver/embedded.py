"""The mock inside a Python process, for tests: `with Mock(clock="manual") as mock: ...`.

The same app `mockserver serve` runs, served by uvicorn in a thread on a free 127.0.0.1
port (`mock.url`, for any client), or called with no socket through `mock.transport`.
Every control call (clock, runs, journal, webhooks) runs the control API's own handler
on the server's event loop, where the state lives.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from mockserver.settings import ClockKind, Settings

T = TypeVar("T")
START_WITHIN_S = 30.0


class Mock:
    """A running mock. Settings are keyword arguments (any field of `Settings`);
    `spec` and `workflows` name files as `--spec` and `--workflows` do."""

    def __init__(
        self,
        *,
        clock: ClockKind = "manual",
        seed: int | None = None,
        spec: str | Path | None = None,
        workflows: str | Path | None = None,
        settings: Settings | None = None,
        **changes: Any,
    ) -> None:
        chosen = settings or Settings()
        self.settings = chosen.with_changes(
            clock=clock,
            seed=seed,
            spec_path=Path(spec) if spec is not None else None,
            workflows_file=Path(workflows) if workflows is not None else None,
            **changes,
        ).with_changes(host="127.0.0.1", port=0)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._app: Any = None
        self.url = ""

    # -- start and stop ---------------------------------------------------------------

    def start(self) -> Mock:
        import uvicorn

        from mockserver.api.runs import Runs
        from mockserver.app import create_app
        from mockserver.control.handlers import Control

        self._app = create_app(self.settings)
        self._control = Control(self._app.mock)
        self._runs = Runs(self._app.mock)
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        listening.listen(512)
        port = listening.getsockname()[1]
        config = uvicorn.Config(
            self._app, log_level="warning", ws="none", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            ready.set()
            try:
                loop.run_until_complete(self._server.serve(sockets=[listening]))
            finally:
                listening.close()
                loop.close()

        self._thread = threading.Thread(target=serve, name="noxus-mock", daemon=True)
        self._thread.start()
        ready.wait(START_WITHIN_S)
        deadline = time.monotonic() + START_WITHIN_S
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the embedded mock stopped before it was ready")
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"the embedded mock was not ready within {START_WITHIN_S} s")
            time.sleep(0.005)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Mock:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Mock:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.close)

    # -- calls ------------------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a handler on the server's loop (where its state's locks and events live)."""
        if self._loop is None or self._thread is None:
            coroutine.close()
            raise RuntimeError("the mock is not running: use `with Mock() as mock:`")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    @property
    def transport(self) -> ASGICall:
        """An httpx transport (sync and async) onto the app itself: no socket. Answers
        are read whole before they are returned, so an event stream is seen once it ends."""
        return ASGICall(self)

    def client(self, api_key: str = "dev-key") -> httpx.Client:
        """An httpx client on `url` with this X-API-Key (close it, or use `with`)."""
        return httpx.Client(base_url=self.url, headers={"X-API-Key": api_key})

    # -- the clock --------------------------------------------------------------------

    def advance(self, seconds: float, api_key: str | None = None) -> dict[str, Any]:
        """Move the clock on (one workspace's, given its key); returns the clock."""
        body: dict[str, Any] = {"seconds": seconds}
        if api_key is not None:
            body["api_key"] = api_key
        return self._call(self._control.advance_clock(body))

    def freeze(self, frozen: bool = True) -> dict[str, Any]:
        """Stop the clock (`freeze(False)` lets it run at the set speed again)."""
        return self._call(self._control.freeze_clock({"frozen": frozen}))

    def clock(self, api_key: str | None = None) -> dict[str, Any]:
        return self._call(self._control.get_clock(api_key))

    # -- runs -------------------------------------------------------------------------

    def force(self, run_id: str, status: str, error: str | None = None) -> dict[str, Any]:
        """Force a run into `status` (running, completed, failed...), as the control API."""
        body = {"status": status, **({"error": error} if error is not None else {})}
        return self._call(self._control.force_run(run_id, body))

    def resume(self, run_id: str) -> dict[str, Any]:
        """Resume a run paused by `Prefer: pause-at=...`."""
        return self._call(self._control.resume_run(run_id))

    def step(self, run_id: str) -> dict[str, Any]:
        """Move a run to its next step now."""
        return self._call(self._control.advance_run(run_id))

    def stop(self, run_id: str, api_key: str) -> dict[str, Any]:
        """Stop a run as its owner does (POST /v1/runs/{id}/stop)."""
        answer: Any = self._call(self._runs.stop(run_id, api_key))
        return answer[0] if isinstance(answer, tuple) else dict(answer)

    def reset(self, api_key: str | None = None) -> None:
        """Forget one workspace's runs (all, without a key)."""
        self._call(self._control.reset({"api_key": api_key} if api_key else {}))

    # -- what happened ----------------------------------------------------------------

    def webhooks(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """The webhook deliveries the mock made (each with its payload and attempts)."""
        body = self._call(self._control.webhooks(api_key))
        return list(body["deliveries"])

    def journal(self, api_key: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The journal: the calls received (method, path, status, time), newest last."""
        body = self._call(self._control.journal(api_key, limit))
        return list(body["entries"])


class ASGICall(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """httpx's ASGITransport, run on the mock's own loop from any thread or loop."""

    def __init__(self, mock: Mock) -> None:
        self._mock = mock
        self._asgi = httpx.ASGITransport(app=mock._app)

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self._mock._call(self._answer(request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        loop = self._mock._loop
        if loop is None:
            raise RuntimeError("the mock is not running: use `with Mock() as mock:`")
        future = asyncio.run_coroutine_threadsafe(self._answer(request), loop)
        return await asyncio.wrap_future(future)
