"""Calls to every operation of a served document, made from the document, and the
independent judges of their answers (openapi-core; stock schemathesis)."""

from __future__ import annotations

import base64
import copy
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from apicontract.operations import Operation, operations_of
from apicontract.spec import Spec
from mockserver.core.samples import Sampler

HOST = "http://testserver"


@dataclass
class Call:
    operation: Operation
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes | None
    content_type: str | None


def calls(spec: Spec, known: dict[str, str] | None = None, seed: int = 0) -> Iterator[Call]:
    """One valid call per operation: required parameters and bodies (their required
    fields: an optional callback URL is never made up) made from their schemas, path
    values from `known` where it has them, credentials for the operation's security."""
    known = known or {}
    sampler = Sampler(spec.raw, random.Random(seed))
    for operation in operations_of(spec):
        path, query, headers = operation.template, {}, {"X-API-Key": "k"}
        for p in operation.parameters:
            if not p.required and p.where != "path":
                continue
            text = known.get(p.name) or _text(sampler.sample(p.schema))
            if p.where == "path":
                path = path.replace("{" + p.name + "}", text)
            elif p.where == "query":
                query[p.name] = text
            elif p.where == "header":
                headers[p.name] = text
        for alternative in operation.security[:1]:
            for scheme in alternative:
                if scheme.kind == "http" and scheme.scheme == "basic":
                    headers["Authorization"] = "Basic " + base64.b64encode(b"u:p").decode()
                elif scheme.kind != "apiKey":
                    headers["Authorization"] = "Bearer token"
                elif scheme.where == "query":
                    query[scheme.name] = "k"
                elif scheme.where == "header":
                    headers[scheme.name] = "k"
        body, content_type = None, None
        if operation.body is not None and operation.body.schemas:
            content_type = operation.body.media[0]
            schema = operation.body.schemas[content_type] or {}
            made = sampler.sample(schema)
            required = (sampler.resolved(schema) or {}).get("required")
            if isinstance(made, dict) and required is not None:
                made = {k: v for k, v in made.items() if k in required}
            if content_type == "application/x-www-form-urlencoded":
                fields = [
                    (k, _text(item))
                    for k, v in made.items()
                    for item in (v if isinstance(v, list) else [v])
                ]
                body = urlencode(fields).encode()
            else:
                body = orjson.dumps(made)
        yield Call(operation, path, query, headers, body, content_type)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def judged(openapi: OpenAPI, call: Call, status: int, headers: Any, raw: bytes) -> list[str]:
    """What openapi-core finds wrong with the answer (empty when it accepts it)."""
    request = MockRequest(
        HOST,
        call.operation.method.lower(),
        call.path,
        args=call.query,
        headers=call.headers,
        data=call.body,
        content_type=call.content_type or "application/json",
    )
    content_type = headers.get("content-type", "application/json")
    response = MockResponse(
        raw, status_code=status, headers=dict(headers), content_type=content_type
    )
    result = openapi.unmarshal_response(request, response)
    return [repr(e) for e in result.errors]


def stock_schemathesis(
    spec: Path,
    url: str,
    *options: str,
    config: Path | None = None,
    examples: int = 30,
    timeout_s: float = 240,
) -> subprocess.CompletedProcess[str]:
    """`schemathesis run` with every check: positive and negative data, every phase
    (stateful with the links it infers), seeded, bounded per request and in all.
    `options` add credentials or a path filter. With a `config` file, checks are left to
    it: all are on by default, and `--checks all` would override its per-operation
    choices."""
    checks = ["--checks", "all"] if config is None else []
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        *(["--config-file", str(config)] if config else []),
        "run", str(spec), "--url", url, *checks, "--mode", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(examples), "--seed", "1", "--request-timeout", "5",
        *options,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)


def found_nothing(done: subprocess.CompletedProcess[str]) -> None:
    """Schemathesis reported no failure (warnings, such as ids it could not find, allowed)."""
    summary = done.stdout[done.stdout.rfind("SUMMARY") :]
    assert done.returncode == 0 and "Failures:" not in summary, done.stdout[-4000:]


def with_errors_it_answers(document: dict[str, Any]) -> dict[str, Any]:
    """The document as schemathesis judges it: each operation that lists no 400 (a bad
    request) or, needing a credential, no 401, gets them without a body schema. Twilio's
    answers both and documents neither; negative data and the credential probes of
    `--checks all` would otherwise find every refusal undocumented."""
    judged = copy.deepcopy(document)
    for item in judged["paths"].values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            answers = operation["responses"]
            if "4XX" in answers or "default" in answers:
                continue
            answers.setdefault("400", {"description": "Bad request (undocumented)"})
            if operation.get("security", judged.get("security")):
                answers.setdefault("401", {"description": "No valid credential (undocumented)"})
    return judged


def without_array_form_checks(document: dict[str, Any]) -> str:
    """A schemathesis.toml turning off its negative-data check on operations whose form
    body has an array field: `X=a`, its "string for an array", is on the wire the valid
    one-item array, so the mock rightly accepts it (seen on Twilio's `PersistentAction`)."""
    names = sorted(
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in METHODS and _array_in_form(document, operation)
    )
    listed = ", ".join(f'"{name}"' for name in names)
    return (
        "[[operations]]\n"
        f"include-operation-id = [{listed}]\n"
        "checks.negative_data_rejection.enabled = false\n"
    )


METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _array_in_form(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/x-www-form-urlencoded") or {}).get("schema") or {}
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return any(p.get("type") == "array" for p in (schema.get("properties") or {}).values())
