"""The same API as FastAPI publishes it (tests/fastapi_flavour.py: OpenAPI 3.1, other
operationIds, `anyOf` with null, no x-transitions), served with `--spec`: the run
lifecycle's behaviours are bound by method and path template, so the official SDK's
whole test module runs against it unchanged (its tests are imported here and run on
this module's `live_server`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver import Settings
from tests import fastapi_flavour
from tests.conftest import LiveServer, serving
from tests.test_sdk import (  # noqa: F401  (collected here: the SDK's tests, on this spec)
    sdk,
    test_async_variants,
    test_client_get_run_poll_list_and_stop,
    test_run_sync_blocks_until_done,
    test_stop_during_a_stream,
    test_stream_and_run_and_stream_end_with_the_terminal_event,
    test_sync_run_returns_the_run_as_it_stands_at_the_cap,
    test_wait_raises_on_a_failed_run,
    test_wait_uses_the_sse_stream_not_polling,
)


@pytest.fixture(scope="module")
def fastapi_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fastapi_flavour.write(tmp_path_factory.mktemp("fastapi") / "openapi.json")


@pytest.fixture
def live_server(request: pytest.FixtureRequest, fastapi_spec: Path) -> Iterator[LiveServer]:
    settings = getattr(request, "param", Settings(speed=20.0))
    with serving(settings.with_changes(spec_path=fastapi_spec)) as server:
        yield server


def test_the_document_is_fastapis_own(fastapi_spec: Path) -> None:
    import json

    document = json.loads(fastapi_spec.read_text())
    assert document["openapi"].startswith("3.1")
    create = document["paths"]["/v1/workflows/{workflow_id}/runs"]["post"]
    assert create["operationId"] == "create_run_v1_workflows__workflow_id__runs_post"
    assert "x-transitions" not in json.dumps(document)
