"""The workflow-runs API as FastAPI publishes it (the real backend is FastAPI): OpenAPI
3.1, operationIds such as `create_run_v1_workflows__workflow_id__runs_post`, `anyOf`
with `null` for optional fields, no `x-transitions`. Only `openapi()` is used: the
routes' bodies never run (the mock serves the document)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from fastapi import Depends, FastAPI, Header, Query
from fastapi.responses import StreamingResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field

api_key = APIKeyHeader(name="X-API-Key")


class RunStatus(str, Enum):
    queued = "queued"
    running = "running"
    failed = "failed"
    completed = "completed"
    stopped = "stopped"
    awaiting_human_feedback = "awaiting_human_feedback"


class RunRequest(BaseModel):
    input: dict[str, Any]
    node_ids: list[str] | None = None
    callback_url: str | None = None


class SimplifiedRun(BaseModel):
    id: UUID
    group_id: UUID
    workflow_id: UUID
    status: RunStatus
    created_at: datetime
    input: dict[str, Any]
    output: dict[str, Any] | None = None
    progress: int = Field(ge=0, le=100)
    progress_details: dict[str, Any] | None = None
    run_logs: dict[str, Any] | None = None
    finished_at: datetime | None = None


class RunOutputWithStatus(BaseModel):
    id: UUID
    status: RunStatus
    output: dict[str, Any] | None


class RunNoIO(BaseModel):
    id: UUID
    group_id: UUID
    workflow_id: UUID
    status: RunStatus
    created_at: datetime
    progress: int


class PageSimplifiedRun(BaseModel):
    items: list[SimplifiedRun]
    total: int
    page: int
    size: int
    pages: int


class Workflow(BaseModel):
    id: UUID
    group_id: UUID
    name: str
    type: str
    description: str | None = None
    definition: dict[str, Any] | None = None


class NodeDefinition(BaseModel):
    type: str
    title: str


class ErrorMessage(BaseModel):
    detail: str


class RunEventFrame(BaseModel):
    """One server-sent event as its fields (the bundled spec's RunEventFrame)."""

    event: Literal["message"]
    id: str = Field(pattern=r"^[0-9]+-[0-9]+$")
    data: str = Field(min_length=2)


class ApiKey(BaseModel):
    id: UUID
    name: str
    tenant_admin: bool
    value: str


app = FastAPI(title="Noxus workflow runs (FastAPI)", version="1.0.0")
Key = Depends(api_key)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an app written from the spec declares (FastAPI documents only
    200 and 422 by itself): `{"detail": ...}` as HTTPException sends it."""
    described = {401: "Missing or invalid API key", 404: "Not found", 409: "Not stoppable"}
    return {s: {"model": ErrorMessage, "description": described[s]} for s in statuses}


# Every operation needs a key; those naming a workflow or a run may not find it.
KEYED = _errors(401)
FOUND = _errors(401, 404)
STOPPED = _errors(401, 404, 409)


@app.post("/v1/workflows/{workflow_id}/runs", responses=FOUND)
def create_run(workflow_id: UUID, body: RunRequest, key: str = Key) -> SimplifiedRun:
    raise NotImplementedError


@app.get("/v1/workflows/{workflow_id}/runs", responses=FOUND)
def list_runs(
    workflow_id: UUID,
    page: int = Query(1, ge=1),
    size: int | None = Query(None, ge=1, le=100),
    page_size: int | None = Query(None, ge=1, le=100),
    key: str = Key,
) -> PageSimplifiedRun:
    raise NotImplementedError


@app.post("/v1/workflows/{workflow_id}/runs/sync", responses=FOUND)
def create_sync_run(
    workflow_id: UUID,
    body: RunRequest,
    output_only: bool = False,
    use_output_ids: bool = False,
    key: str = Key,
) -> SimplifiedRun | RunOutputWithStatus:
    raise NotImplementedError


@app.get("/v1/workflows/{workflow_id}/runs/{run_id}", responses=FOUND)
def get_run(
    workflow_id: UUID,
    run_id: UUID,
    output_only: bool = False,
    use_output_ids: bool = False,
    key: str = Key,
) -> SimplifiedRun | RunOutputWithStatus:
    raise NotImplementedError


@app.get("/v1/runs/{run_id}", responses=FOUND)
def get_run_by_id(run_id: UUID, key: str = Key) -> RunNoIO:
    raise NotImplementedError


@app.get(
    "/v1/runs/{run_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": RunEventFrame.model_json_schema()}}},
        **FOUND,
    },
)
def get_run_events(
    run_id: UUID,
    etag: str | None = None,
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    key: str = Key,
) -> StreamingResponse:
    raise NotImplementedError


@app.post("/v1/runs/{run_id}/stop", responses=STOPPED)
def stop_run(run_id: UUID, key: str = Key) -> SimplifiedRun:
    raise NotImplementedError


@app.get("/v1/workflows/{workflow_id}", responses=FOUND)
def get_workflow(workflow_id: UUID, key: str = Key) -> Workflow:
    raise NotImplementedError


@app.get("/v1/nodes", responses=KEYED)
def list_nodes(key: str = Key) -> list[NodeDefinition]:
    raise NotImplementedError


@app.get("/v1/admin/me", responses=KEYED)
def get_me(key: str = Key) -> ApiKey:
    raise NotImplementedError


def write(path: Path) -> Path:
    """The document, as FastAPI serves it at /openapi.json, written to `path`."""
    path.write_text(json.dumps(app.openapi(), indent=1), encoding="utf-8")
    return path
