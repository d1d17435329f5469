"""The two calls the official SDK makes when a client is built."""

from __future__ import annotations

from typing import Any

from mockserver.core import render
from mockserver.core.ids import workspace_of


async def list_nodes(user: str) -> list[dict[str, Any]]:
    # Empty: the SDK checks workflow definitions against this catalogue, and ours are empty.
    return []


async def get_me(user: str) -> dict[str, Any]:
    return render.api_key_body(workspace_of(user))
