"""The pytest plugin (entry point `pytest11`): the `noxus_mock` fixture.

One embedded mock (manual clock) serves the whole test session; each test gets its own
workspace, that is its own API key: its runs, clock offset, journal and webhooks are
seen by no other test, so tests may run in any order or in parallel.

Override `noxus_mock_options` (session scope) in a conftest.py to pass other settings:

    @pytest.fixture(scope="session")
    def noxus_mock_options():
        return {"clock": "manual", "seed": 1, "workflows": "workflows.yaml"}
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.embedded import Mock


class Workspace:
    """One test's view of the session's mock: `url`, `api_key`, and the mock's controls
    with that key filled in."""

    def __init__(self, mock: Mock, api_key: str) -> None:
        self.mock = mock
        self.url = mock.url
        self.api_key = api_key

    @property
    def transport(self) -> httpx.BaseTransport:
        return self.mock.transport

    def client(self) -> httpx.Client:
        return self.mock.client(self.api_key)

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move this workspace's clock on (the other tests' clocks stay)."""
        return self.mock.advance(seconds, self.api_key)

    def stop(self, run_id: str) -> dict[str, Any]:
        return self.mock.stop(run_id, self.api_key)

    def force(self, run_id: str, status: str, error: str | None = None) -> dict[str, Any]:
        return self.mock.force(run_id, status, error)

    def resume(self, run_id: str) -> dict[str, Any]:
        return self.mock.resume(run_id)

    def webhooks(self) -> list[dict[str, Any]]:
        return self.mock.webhooks(self.api_key)

    def journal(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.mock.journal(self.api_key, limit)


@pytest.fixture(scope="session")
def noxus_mock_options() -> dict[str, Any]:
    """Keyword arguments of the session's `Mock` (override it to change them)."""
    return {"clock": "manual"}


@pytest.fixture(scope="session")
def noxus_mock_server(noxus_mock_options: dict[str, Any]) -> Iterator[Mock]:
    with Mock(**noxus_mock_options) as mock:
        yield mock


@pytest.fixture
def noxus_mock(noxus_mock_server: Mock) -> Iterator[Workspace]:
    """The session's mock, seen through a workspace (API key) of this test's own."""
    yield Workspace(noxus_mock_server, f"test-{uuid.uuid4().hex}")
