"""Any OpenAPI document served with `--spec`: the OpenAPI Initiative's petstore-expanded
(inferred state), the FastAPI 3.1 flavour of this API and Twilio's 1.9 MB document: every
operation answers a documented status with a body openapi-core accepts."""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from openapi_core import OpenAPI

from mockserver import Settings
from mockserver.app import create_app
from mockserver.engine.specification import SpecError
from tests import fastapi_flavour
from tests.conftest import QA, serving
from tests.own_spec import HOST, calls, judged

SPECS = Path(__file__).resolve().parent / "specs"
PETSTORE = SPECS / "petstore-expanded.yaml"


def _client(spec: Path) -> Any:
    return create_app(Settings(spec_path=spec)).test_client()


def test_petstore_keeps_what_is_created_until_it_is_deleted() -> None:
    client = _client(PETSTORE)
    created = client.post("/pets", json={"name": "Rex", "tag": "dog"})
    assert created.status_code == 200
    pet = created.json()
    assert pet["name"] == "Rex" and pet["tag"] == "dog" and isinstance(pet["id"], int)
    assert client.get(f"/pets/{pet['id']}").json() == pet
    other = client.post("/pets", json={"name": "Tom"}).json()
    assert other["id"] != pet["id"]
    assert client.get("/pets").json() == [pet, other]
    assert client.get("/pets", params={"limit": 1}).json() == [pet]
    deleted = client.delete(f"/pets/{pet['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = client.get(f"/pets/{pet['id']}")
    assert gone.status_code == 404
    assert gone.json() == {"code": 404, "message": "Not Found"}  # the document's Error
    assert client.delete(f"/pets/{pet['id']}").status_code == 404
    assert client.get("/pets").json() == [other]


def test_petstore_state_is_per_workspace() -> None:
    client = _client(PETSTORE)
    # petstore-expanded has no security: the workspace is the X-API-Key's, if sent.
    mine = client.post("/pets", json={"name": "Rex"}, headers={"X-API-Key": "a"}).json()
    assert client.get("/pets", headers={"X-API-Key": "a"}).json() == [mine]
    assert client.get("/pets", headers={"X-API-Key": "b"}).json() == []
    assert client.get(f"/pets/{mine['id']}", headers={"X-API-Key": "b"}).status_code == 404


def test_prefer_picks_the_status_the_example_and_dynamic_data(tmp_path: Path) -> None:
    client = _client(PETSTORE)
    asked = client.get("/pets/7", headers={"Prefer": "code=200"})
    assert asked.status_code == 200 and asked.json()["id"] == 7  # the path's id reflected
    assert asked.headers["Preference-Applied"] == "code=200"
    again = client.get("/pets/7", headers={"Prefer": "code=200"})
    assert again.json() == asked.json()  # the same request, the same data
    error = client.get("/pets", headers={"Prefer": "code=500"})
    assert error.status_code == 500 and set(error.json()) == {"code", "message"}
    import yaml

    document = yaml.safe_load(PETSTORE.read_text())
    answer = document["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"]
    answer["examples"] = {
        "one": {"value": [{"id": 1, "name": "One"}]},
        "two": {"value": [{"id": 2, "name": "Two"}]},
        "broken": {"value": [{"id": "not a number"}]},
    }
    del document["paths"]["/pets"]["post"]  # no longer a collection: the generic answers
    changed = tmp_path / "petstore.yaml"
    changed.write_text(yaml.safe_dump(document))
    client = _client(changed)
    assert client.get("/pets").json() == [{"id": 1, "name": "One"}]
    two = client.get("/pets", headers={"Prefer": "example=two"})
    assert two.json() == [{"id": 2, "name": "Two"}]
    assert two.headers["Preference-Applied"] == "example=two"
    unknown = client.get("/pets", headers={"Prefer": "example=three"})
    assert unknown.json() == [{"id": 1, "name": "One"}]  # the first, and not echoed
    assert "Preference-Applied" not in unknown.headers
    # an example breaking its own schema is never sent: made data instead
    made = client.get("/pets", headers={"Prefer": "example=broken"}).json()
    assert all(isinstance(p["id"], int) and isinstance(p["name"], str) for p in made)
    dynamic = client.get("/pets", headers={"Prefer": "dynamic=true"})
    assert dynamic.headers["Preference-Applied"] == "dynamic=true"
    assert dynamic.json() not in ([{"id": 1, "name": "One"}], [{"id": 2, "name": "Two"}])


def _every_operation_conforms(
    spec_path: Path, client: Any, known: dict[str, str] | None = None
) -> int:
    from apicontract.spec import Spec

    spec = Spec(spec_path)
    document = copy.deepcopy(spec.raw)
    document["servers"] = [{"url": HOST}]
    for item in document["paths"].values():
        item.pop("servers", None)  # Twilio names a host per path
    openapi = OpenAPI.from_dict(document)
    checked = 0
    for call in calls(spec, known):
        op = call.operation
        success = op.answer_for(200)
        if success is not None and "text/event-stream" in success.media:
            continue  # a stream (the run events): the SDK's tests read it
        headers = dict(call.headers)
        if call.content_type:
            headers["Content-Type"] = call.content_type
        answer = client.request(
            op.method, call.path, params=call.query, headers=headers, content=call.body
        )
        documented = op.answer_for(answer.status_code)
        assert documented is not None, (op.id, answer.status_code, answer.text[:300])
        assert answer.status_code < 500, (op.id, answer.status_code, answer.text[:300])
        problems = judged(openapi, call, answer.status_code, answer.headers, answer.content)
        assert not problems, (op.id, call.path, answer.status_code, answer.text[:300], problems)
        checked += 1
    return checked


def test_every_petstore_operation_answers_what_openapi_core_accepts() -> None:
    assert _every_operation_conforms(PETSTORE, _client(PETSTORE)) == 4


def test_every_fastapi_flavour_operation_answers_what_openapi_core_accepts(
    tmp_path: Path,
) -> None:
    spec = fastapi_flavour.write(tmp_path / "openapi.json")
    client = _client(spec)
    # The lifecycle's behaviours answer 404 for unknown workflows and runs, which
    # FastAPI never documents (nor does the real backend): the calls name real ones.
    run = client.post(
        f"/v1/workflows/{QA.id}/runs",
        json={"input": {}},
        headers={"X-API-Key": "k", "Prefer": "duration=60m"},
    ).json()
    known = {"workflow_id": QA.id, "run_id": run["id"]}
    assert _every_operation_conforms(spec, client, known) == 9


@pytest.fixture(scope="module")
def twilio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("twilio") / "twilio_api_v2010.json"
    path.write_bytes(gzip.decompress((SPECS / "twilio_api_v2010.json.gz").read_bytes()))
    assert path.stat().st_size > 1_000_000
    return path


def test_a_public_spec_of_two_megabytes_starts_and_every_operation_conforms(
    twilio: Path,
) -> None:
    started = time.monotonic()
    client = _client(twilio)
    assert time.monotonic() - started < 30
    assert _every_operation_conforms(twilio, client) == 197


def test_stock_schemathesis_finds_nothing_on_petstore() -> None:
    """`schemathesis run --checks all` (positive and negative, stateful with the links it
    infers), bounded in examples and time, against a live mock of petstore-expanded."""
    schemathesis = Path(sys.executable).parent / "schemathesis"
    with serving(Settings(spec_path=PETSTORE)) as server:
        done = subprocess.run(
            [
                str(schemathesis),
                "run",
                str(PETSTORE),
                "--url",
                server.url,
                "--checks",
                "all",
                "--mode",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                "30",
                "--seed",
                "1",
                "--request-timeout",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "No issues found" in done.stdout
    assert server.count("POST", "/pets") > 0 and server.count("DELETE", "/pets/1") > 0


def test_petstore_resources_survive_a_restart_on_a_sqlite_state(tmp_path: Path) -> None:
    settings = Settings(spec_path=PETSTORE, state=str(tmp_path / "state.db"))
    with create_app(settings).test_client() as client:
        pet = client.post("/pets", json={"name": "Rex"}).json()
    with create_app(settings).test_client() as client:
        assert client.get(f"/pets/{pet['id']}").json() == pet
        assert client.post("/pets", json={"name": "Tom"}).json()["id"] == pet["id"] + 1


def test_twilio_accounts_are_kept_through_json_suffixed_paths_and_form_bodies(
    twilio: Path,
) -> None:
    """`/Accounts.json` beside `/Accounts/{Sid}.json` is a collection; a form field
    (`FriendlyName`) is reflected into its JSON property (`friendly_name`)."""
    client = _client(twilio)
    auth = {"Authorization": "Basic QUMxOnRva2Vu"}
    form = {**auth, "Content-Type": "application/x-www-form-urlencoded"}
    made = [
        client.post("/2010-04-01/Accounts.json", content=f"FriendlyName=n{i}", headers=form)
        for i in range(3)
    ]
    assert [m.status_code for m in made] == [201, 201, 201]
    sids = [m.json()["sid"] for m in made]
    assert len(set(sids)) == 3 and all(s.startswith("AC") and len(s) == 34 for s in sids)
    assert client.get(f"/2010-04-01/Accounts/{sids[1]}.json", headers=auth).json() == made[1].json()
    listed = client.get("/2010-04-01/Accounts.json", headers=auth).json()
    assert [a["friendly_name"] for a in listed["accounts"]] == ["n0", "n1", "n2"]
    assert client.get("/2010-04-01/Accounts.json").status_code == 401  # basic auth required


@pytest.mark.parametrize("version", ["3.1.0", "3.0.3"])
def test_the_control_api_stays_up_for_a_document_connexion_cannot_mount(
    tmp_path: Path, version: str
) -> None:
    # 3.1, or an operation without operationId: connexion cannot mount it for Swagger UI.
    document = {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"type": "array"}}},
                        }
                    }
                }
            }
        },
    }
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))

    with create_app(Settings(spec_path=path)).test_client() as client:
        assert client.get("/things").status_code == 200
        assert client.get("/_mock/health").status_code == 200


def test_the_reference_engine_refuses_at_start_what_connexion_cannot_serve(
    tmp_path: Path,
) -> None:
    from apicontract.document import read

    # petstore's inferred state is resolved onto the same handlers on connexion (which
    # mounts the document under its server URL's path, /v2).
    with create_app(Settings(spec_path=PETSTORE, engine="connexion")).test_client() as client:
        pet = client.post("/v2/pets", json={"name": "Rex"}).json()
        assert client.get(f"/v2/pets/{pet['id']}").json() == pet
    unnamed = read(PETSTORE)
    del unnamed["paths"]["/pets"]["get"]["operationId"]
    nameless = tmp_path / "nameless.json"
    nameless.write_text(json.dumps(unnamed))
    with pytest.raises(SpecError, match="by operationId; GET /pets has none"):
        create_app(Settings(spec_path=nameless, engine="connexion"))
    document = read(PETSTORE)
    document["openapi"] = "3.1.0"
    newer = tmp_path / "openapi.json"
    newer.write_text(json.dumps(document))
    with pytest.raises(SpecError, match="reads OpenAPI 3.0, not 3.1.0"):
        create_app(Settings(spec_path=newer, engine="connexion"))
    create_app(Settings(spec_path=PETSTORE))  # the compiled engine serves both
    create_app(Settings(spec_path=newer))
