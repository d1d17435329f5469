"""A new user's first program with the Python client generated from openapi.yaml.

tests/test_generated_clients.py generates `noxus_runs_client` into a temp folder, checks
this file with `mypy --strict` there and runs it against a live mock:
MOCK_URL, MOCK_KEY and WORKFLOW_ID name the mock, the key and a workflow it knows.
"""

from __future__ import annotations

import os
import time
from uuid import UUID

from noxus_runs_client import AuthenticatedClient
from noxus_runs_client.api.v1_runs import create_run, get_run, list_runs, stop_run
from noxus_runs_client.models import (
    ErrorMessage,
    HTTPValidationError,
    PageSimplifiedRun,
    RunRequest,
    RunRequestInput,
    RunStatus,
    SimplifiedRun,
)

client = AuthenticatedClient(
    base_url=os.environ["MOCK_URL"],
    token=os.environ["MOCK_KEY"],
    auth_header_name="X-API-Key",
    prefix="",
)
workflow_id = UUID(os.environ["WORKFLOW_ID"])

# create -> poll until completed, then read the typed output
question = RunRequestInput.from_dict({"User Question": "What is machine learning?"})
created = create_run.sync(
    workflow_id, client=client, body=RunRequest(input_=question), prefer="duration=300ms"
)
assert isinstance(created, SimplifiedRun), created
run: SimplifiedRun = created
deadline = time.monotonic() + 20
while run.status != RunStatus.COMPLETED:
    assert time.monotonic() < deadline, f"still {run.status} after 20 s"
    time.sleep(0.1)
    polled = get_run.sync(workflow_id, run.id, client=client)
    assert isinstance(polled, SimplifiedRun), polled
    run = polled
assert run.output, run
answer: str = run.output["Answer"]
assert answer.startswith("Mock answer to: What is machine learning?"), answer

# list a page
page = list_runs.sync(workflow_id, client=client, page=1, size=10)
assert isinstance(page, PageSimplifiedRun), page
assert page.total >= 1 and run.id in {item.id for item in page.items}, page

# stopping a finished run is a typed 409
stopped = stop_run.sync_detailed(run.id, client=client)
assert stopped.status_code == 409 and isinstance(stopped.parsed, ErrorMessage), stopped
assert "completed" in stopped.parsed.detail, stopped.parsed

# `{}` is a typed 422: the model cannot be built without `input`, so the body goes raw
# through the client's httpx session and back through the generated parser
raw = client.get_httpx_client().post(f"/v1/workflows/{workflow_id}/runs", json={})
refused = create_run._build_response(client=client, response=raw)
assert refused.status_code == 422 and isinstance(refused.parsed, HTTPValidationError), refused
assert any(item.loc == ["body"] or "input" in item.msg for item in refused.parsed.detail)

print(f"python client: ok ({answer!r})")
