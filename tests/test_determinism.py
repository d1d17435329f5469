"""With a seed and the manual clock, the same requests give byte-identical bodies."""

from __future__ import annotations

from typing import Any

from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from tests.conftest import KEY, OTHER_KEY, QA

RUNS = f"/v1/workflows/{QA.id}/runs"


def _session(seed: int) -> list[bytes]:
    app = create_app(Settings(seed=seed, clock="manual"))
    bodies: list[bytes] = []
    with app.test_client() as client:

        def keep(response: Any) -> Any:
            bodies.append(response.content)
            return response

        first = keep(client.post(RUNS, json={"input": {"User Question": "a"}}, headers=KEY)).json()
        keep(client.post(RUNS, json={"input": {"User Question": "b"}}, headers=OTHER_KEY))
        second = keep(
            client.post(RUNS, json={"input": {}}, headers={**KEY, "Prefer": "outcome=failed"})
        ).json()
        keep(client.post("/_mock/clock/advance", json={"seconds": 1.2}))
        keep(client.get(f"{RUNS}/{first['id']}", headers=KEY))
        keep(client.post(f"/v1/runs/{second['id']}/stop", headers=KEY))
        keep(client.post("/_mock/clock/advance", json={"seconds": 60}))
        keep(client.get(RUNS, headers=KEY))
        keep(client.get(f"/v1/runs/{first['id']}/events", headers=KEY))
        keep(client.get(f"/v1/runs/{first['id']}", headers=KEY))
    return bodies


def test_two_app_instances_answer_byte_for_byte_the_same() -> None:
    one, two = _session(42), _session(42)
    assert one == two
    assert b"event: message" in one[-2]


def test_another_seed_gives_other_ids() -> None:
    assert _session(1)[0] != _session(2)[0]


def test_a_workspace_s_ids_do_not_depend_on_other_workspaces() -> None:
    def first_id(noise: int) -> str:
        app = create_app(Settings(seed=5), clock=ManualClock())
        with app.test_client() as client:
            for _ in range(noise):
                client.post(RUNS, json={"input": {}}, headers=OTHER_KEY)
            return str(client.post(RUNS, json={"input": {}}, headers=KEY).json()["id"])

    assert first_id(0) == first_id(3)
