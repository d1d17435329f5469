"""The Python ceiling: bare Starlette serving the two benchmarked routes with canned JSON.

No validation, no state, no middleware: what one uvicorn worker can do at all. The body is
a run as our mock renders it, so the bytes on the wire match.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

RUN = json.dumps(
    {
        "id": "5f0c6a3e-1d2b-4c8e-9a7f-2b3c4d5e6f70",
        "group_id": "0d4a8c52-7f7e-5b7e-9a51-5c3c1e0f7b21",
        "workflow_id": "239baa8b-4361-5782-9277-a817111bd274",
        "status": "queued",
        "created_at": "2026-01-01T00:00:00.000000Z",
        "input": {"User Question": "What is machine learning?"},
        "output": {},
        "node_ids": None,
        "single_node_id": None,
        "workflow_version_id": None,
        "progress_details": {
            "executed_nodes": [],
            "remaining_nodes": ["input", "answer", "output"],
            "running_nodes": [],
            "skipped_nodes": [],
            "error_handler_nodes": [],
            "per_node_progress": {"input": 0, "answer": 0, "output": 0},
            "subflow_executions": {},
            "per_edge_progress": {},
            "run_logs": {},
        },
        "progress": 0,
        "finished_at": None,
    }
).encode()


async def create_run(request: Request) -> Response:
    await request.body()
    return Response(RUN, media_type="application/json")


async def get_run(request: Request) -> Response:
    return Response(RUN, media_type="application/json")


app = Starlette(
    routes=[
        Route("/v1/workflows/{workflow_id}/runs", create_run, methods=["POST"]),
        Route("/v1/workflows/{workflow_id}/runs/{run_id}", get_run, methods=["GET"]),
    ]
)
