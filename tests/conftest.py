from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from mockserver.core.workflows import BUILTIN
from mockserver.process import free_port

KEY = {"X-API-Key": "key-a"}
OTHER_KEY = {"X-API-Key": "key-b"}
QA = BUILTIN[0]  # "Question answering": input -> answer -> output


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(clock: ManualClock) -> Any:
    return create_app(Settings(), clock=clock)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with app.test_client() as test_client:
        yield test_client


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns the signals
        pass


@dataclass
class LiveServer:
    url: str
    app: Any
    # (method, path) of every request the server received, for tests that count calls
    requests: list[tuple[str, str]]

    def count(self, method: str, path: str) -> int:
        return self.requests.count((method, path))


def _recording(app: Any, seen: list[tuple[str, str]]) -> Any:
    async def recorder(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append((scope["method"], scope["path"]))
        await app(scope, receive, send)

    return recorder


@contextmanager
def serving(settings: Settings) -> Iterator[LiveServer]:
    """A real uvicorn on a free 127.0.0.1 port, in a thread, stopped on exit."""
    port = free_port()
    app = create_app(settings.with_changes(port=port))
    seen: list[tuple[str, str]] = []
    with asgi_server(_recording(app, seen), port) as url:
        yield LiveServer(url, app, seen)


@contextmanager
def asgi_server(app: Any, port: int) -> Iterator[str]:
    """Any ASGI app on uvicorn at 127.0.0.1:port, in a thread, stopped on exit; its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = _ThreadServer(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "server did not shut down within 10 s"


@pytest.fixture
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A live server; pass other Settings with indirect parametrization."""
    with serving(getattr(request, "param", Settings(speed=20.0))) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Any]:
    """One redis-server for the session, started here and stopped by its PID. Missing, the
    tests that need it fail (never skip): `make test` installs it first."""
    from mockserver.process import RedisMissing, running_redis

    try:
        with running_redis() as server:
            yield server
    except RedisMissing as exc:
        pytest.fail(str(exc))
