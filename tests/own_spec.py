"""Calls to every operation of a served document, made from the document, and the
independent judge of their answers (openapi-core)."""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass
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
