"""A document of one operation (GET /things/{id}) answering a given schema, and the mock
serving it in-process: the smallest document a test of the generic path needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mockserver import Settings
from mockserver.app import create_app


def one_operation(schemas: dict[str, Any], answer: Any, **extra: Any) -> dict[str, Any]:
    """GET /things/{id} answering 200 with `answer`; `schemas` its components."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "one operation", "version": "1"},
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "it",
                            "content": {"application/json": {"schema": answer}},
                        }
                    },
                    **extra,
                }
            }
        },
        "components": {"schemas": schemas},
    }


def served(tmp_path: Path, document: dict[str, Any]) -> Any:
    """A test client of the mock serving `document` (written as `openapi.json`)."""
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    return create_app(Settings(spec_path=path)).test_client()
