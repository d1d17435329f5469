"""Undeclared methods: 405 with `Allow` naming exactly the path's declared methods."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import KEY, QA

RUNS = f"/v1/workflows/{QA.id}/runs"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", f"{RUNS}/sync", "POST"),  # not the {run_id} route: "sync" is literal
        ("OPTIONS", RUNS, "GET, POST"),
        ("PUT", f"/v1/runs/{QA.id}", "DELETE, GET"),
        ("PUT", "/v1/nodes", "GET"),
    ],
)
def test_an_undeclared_method_is_405_listing_the_declared_ones(
    client: Any, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path, headers=KEY)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"detail": f"Method {method} not allowed; use {allow}"}


def test_declared_methods_and_cors_preflights_pass_through(client: Any) -> None:
    assert client.get(RUNS, headers=KEY).status_code == 200
    preflight = client.options(
        RUNS, headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert "access-control-allow-origin" in preflight.headers


def test_a_browser_can_read_allow_on_a_405(client: Any) -> None:
    """CORS exposes `Allow`: without it a front end reads null on a 405."""
    response = client.request(
        "PUT", f"/v1/runs/{QA.id}", headers={**KEY, "Origin": "http://localhost:5173"}
    )
    assert response.status_code == 405
    exposed = response.headers["access-control-expose-headers"].lower().replace(" ", "")
    assert "allow" in exposed.split(",")
