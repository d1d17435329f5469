"""Any OpenAPI document served with `--spec`: the OpenAPI Initiative's petstore-expanded
(inferred state), the FastAPI 3.1 flavour of this API and Twilio's 1.9 MB document: every
operation answers a documented status with a body openapi-core accepts."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import re
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
from tests.own_spec import (
    HOST,
    calls,
    found_nothing,
    judged,
    stock_schemathesis,
    with_errors_it_answers,
    without_array_form_checks,
)

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
    with serving(Settings(spec_path=PETSTORE)) as server:
        done = stock_schemathesis(PETSTORE, server.url)
    found_nothing(done)
    assert "No issues found" in done.stdout
    assert server.count("POST", "/pets") > 0 and server.count("DELETE", "/pets/1") > 0


def test_stock_schemathesis_finds_nothing_on_the_fastapi_flavour(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The same, on the API as FastAPI publishes it, the mock started with `--api-key`
    (only that key valid: the invalid-credential probes get their 401)."""
    spec = fastapi_flavour.write(tmp_path / "openapi.json")
    settings = Settings(spec_path=spec, api_keys=("k1",), speed=50.0)
    with caplog.at_level("ERROR"), serving(settings) as server:
        done = stock_schemathesis(spec, server.url, "-H", "X-API-Key: k1")
    found_nothing(done)
    assert not caplog.records  # nor did the server log an error (a webhook task's crash)
    creates = [p for m, p in server.requests if m == "POST" and p.endswith("/runs")]
    assert len(creates) > 20


# Operations of Twilio's document in the default run (its accounts, their addresses,
# messages and calls: form bodies, array fields, deletes, inferred state); all of them
# in `make fuzz-own-spec`.
TWILIO_SUBSET = (
    r"^/2010-04-01/Accounts(\.json|/\{[A-Za-z]*Sid\}(\.json|/(Addresses|Messages|Calls)[/.]))"
)


@pytest.mark.timeout(1900)  # the whole document's run (`make fuzz-own-spec`) is bounded below
def test_stock_schemathesis_finds_nothing_on_twilio(
    twilio: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Twilio's 1.9 MB document (basic auth) served as it is, judged with the errors it
    answers but does not document (own_spec.with_errors_it_answers); the whole document
    with TWILIO_ALL set (`make fuzz-own-spec`), else a subset."""
    document = json.loads(twilio.read_text())
    judged = tmp_path / "judged.json"
    judged.write_text(json.dumps(with_errors_it_answers(document)))
    config = tmp_path / "schemathesis.toml"
    config.write_text(without_array_form_checks(document))
    whole = bool(os.environ.get("TWILIO_ALL"))
    chosen = [] if whole else ["--include-path-regex", TWILIO_SUBSET]
    settings = Settings(spec_path=twilio, api_keys=("AC1:token",))
    with caplog.at_level("ERROR"), serving(settings) as server:
        done = stock_schemathesis(
            judged,
            server.url,
            "--auth", "AC1:token",
            *chosen,
            config=config,
            examples=10 if whole else 3,
            timeout_s=1800 if whole else 120,
        )  # fmt: skip
    found_nothing(done)
    assert not caplog.records
    tested = re.search(r"Tested: (\d+)", done.stdout)
    assert tested is not None and int(tested[1]) == (197 if whole else len(_subset(document)))
    assert server.count("POST", "/2010-04-01/Accounts.json") > 0


def _subset(document: dict[str, Any]) -> list[str]:
    methods = {"get", "post", "put", "delete", "patch"}
    return [
        f"{method} {path}"
        for path, item in document["paths"].items()
        if re.search(TWILIO_SUBSET, path)
        for method in item
        if method in methods
    ]


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


def test_start_up_names_the_statuses_a_bare_fastapi_export_does_not_document(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    document = json.loads(fastapi_flavour.write(tmp_path / "openapi.json").read_text())
    for item in document["paths"].values():
        for operation in item.values():
            for status in ("401", "404", "409"):  # what FastAPI documents by itself
                operation["responses"].pop(status, None)
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(document))
    with caplog.at_level("WARNING", logger="mockserver"):
        create_app(Settings(spec_path=bare))
    said = {r.getMessage() for r in caplog.records if "not documented" in r.getMessage()}
    assert "POST /v1/runs/{run_id}/stop: may answer 401, 404, 409, not documented" in said
    assert "GET /v1/nodes: may answer 401, not documented" in said
    assert len(said) == 10  # one line per operation
    caplog.clear()
    with caplog.at_level("WARNING", logger="mockserver"):
        create_app(Settings())  # the bundled document lists every one
    assert not [r for r in caplog.records if "not documented" in r.getMessage()]


def test_twilio_basic_credentials_are_checked_empty_forms_and_odd_sids_are_refused(
    twilio: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="mockserver"):
        app = create_app(Settings(spec_path=twilio, api_keys=("AC1:token",)))
    said = [r.getMessage() for r in caplog.records if "401, not documented" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("197 operation(s) answered from the document")
    client = app.test_client()
    good = {"Authorization": "Basic " + base64.b64encode(b"AC1:token").decode()}
    assert client.get("/2010-04-01/Accounts.json", headers=good).status_code == 200
    for wrong in (b"AC1:other", b"AC2:token", b"no colon"):
        bad = {"Authorization": "Basic " + base64.b64encode(wrong).decode()}
        refused = client.get("/2010-04-01/Accounts.json", headers=bad)
        assert refused.status_code == 401, wrong
        assert refused.json() == {"detail": "Invalid Basic credential in Authorization"}
    garbled = client.get("/2010-04-01/Accounts.json", headers={"Authorization": "Basic %%"})
    assert garbled.status_code == 401
    # Streams.json requires `Url`: a form content type with no bytes lacks it.
    path = f"/2010-04-01/Accounts/AC{'0' * 32}/Calls/CA{'0' * 32}/Streams.json"
    form = {**good, "Content-Type": "application/x-www-form-urlencoded"}
    empty = client.post(path, headers=form)
    assert empty.status_code == 400, empty.text
    assert empty.json()["detail"][0]["loc"] == ["body", "Url"]
    # A value with a newline in a `{Sid}.json` segment is routed, then refused (was a 404).
    odd = client.get(f"/2010-04-01/Accounts/AC{'0' * 32}/Calls/a%0Ab.json", headers=good)
    assert odd.status_code == 400 and odd.json()["detail"][0]["loc"] == ["path", "Sid"]


@pytest.mark.parametrize("state", ["none", "file"])
def test_a_kept_resource_with_an_integer_beyond_64_bits_reads_back_exactly(
    tmp_path: Path, state: str
) -> None:
    """Twilio's unbounded integers: `make fuzz-own-spec` once sent 10**30 (was a 500)."""
    import asyncio

    from mockserver.storage.location import open_backend

    path = None if state == "none" else str(tmp_path / "state.db")
    backend = open_backend(Settings(state=path))
    value = {"sid": "AC1", "timeout": 10**30, "price": 1.5}

    async def main() -> None:
        await backend.start()
        try:
            await backend.resources.put("w", "calls", "AC1", value)
            assert await backend.resources.get("w", "calls", "AC1") == value
            assert await backend.resources.all("w", "calls", 10) == [value]
        finally:
            await backend.close()

    asyncio.run(main())


def test_the_fastapi_flavour_bounds_no_page_nor_callback_and_the_mock_copes(
    tmp_path: Path,
) -> None:
    """What its fuzzing found: a page past 2**63 (a 500 from the store), a callback_url
    that is no URL (the webhook task crashed; now its attempts fail)."""
    import httpx

    spec = fastapi_flavour.write(tmp_path / "openapi.json")
    settings = Settings(spec_path=spec, speed=50.0, webhook_backoff_s=0.01)
    key = {"X-API-Key": "k"}
    with serving(settings.with_changes(webhook_max_attempts=2)) as server:
        runs = f"{server.url}/v1/workflows/{QA.id}/runs"
        far = httpx.get(runs, params={"page": 2**80, "size": 10}, headers=key)
        assert far.status_code == 200, far.text
        assert far.json()["items"] == [] and far.json()["page"] == 2**80
        made = httpx.post(
            runs,
            json={"input": {}, "callback_url": "not\x0ca url"},
            headers={**key, "Prefer": "duration=0s"},
        )
        assert made.status_code == 200, made.text
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = httpx.get(f"{server.url}/_mock/webhooks").json()["deliveries"]
            mine = [d for d in log if d["run_id"] == made.json()["id"]]
            if mine and mine[0]["state"] != "pending":
                break
            time.sleep(0.05)
        [delivery] = mine
        assert delivery["state"] == "failed"
        assert [a["error"].split(":")[0] for a in delivery["attempts"]] == ["InvalidURL"] * 2
