"""The one response checker: an answer against its operation's documented answers.

The status is documented (exactly, by its `4XX` range, or by `default`), the content type
is one documented for it, its required headers are there, and a JSON body matches the
schema of its media type. The mock turns a finding into a 500 (its own bug); the suite and
the proxy into a rule violation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apicontract.bodies import is_json
from apicontract.operations import Operation
from apicontract.problems import listed
from apicontract.requests import media_type
from apicontract.schemas import SchemaCache
from apicontract.spec import Spec

# What a finding is about; each maps to one rule of the suite.
STATUS, CONTENT_TYPE, HEADER, SCHEMA = "status", "content_type", "header", "schema"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    message: str


class ResponseChecker:
    def __init__(self, spec: Spec | None = None, schemas: SchemaCache | None = None) -> None:
        self.schemas = schemas if schemas is not None else SchemaCache(spec)

    def findings(
        self,
        operation: Operation,
        status: int,
        content_type: str | None,
        headers: Mapping[str, str],
        body: Any,
        *,
        body_read: bool = True,
    ) -> list[Finding]:
        """Every way the answer breaks its operation (`headers` by lower-case name; `body`
        decoded from JSON, when `body_read`)."""
        answer = operation.answer_for(status)
        if answer is None:
            documented = ", ".join(operation.answers) or "none"
            return [
                Finding(
                    STATUS,
                    f"{status} is not documented for {operation.id} (documented: {documented})",
                )
            ]
        found: list[Finding] = []
        missing = [h for h in answer.required_headers if h.lower() not in headers]
        if missing:
            found.append(
                Finding(HEADER, f"Keys in response header don't match the spec: missing {missing}")
            )
        if not answer.schemas:
            return found
        mime = media_type(content_type, "")[0] if content_type else ""
        if mime not in answer.schemas and not _wildcard(answer.media, mime):
            expected = sorted(answer.media)
            found.append(
                Finding(
                    CONTENT_TYPE,
                    f"Invalid Response Content-type ({mime or 'none'}), expected {expected}",
                )
            )
            return found
        schema = answer.schemas.get(mime)
        if body_read and schema is not None and is_json(mime):
            problem = body_problem(self.schemas, schema, body)
            if problem is not None:
                found.append(Finding(SCHEMA, problem))
        return found


def body_problem(schemas: SchemaCache, schema: Any, body: Any) -> str | None:
    """Why an answer's body breaks its documented schema, as one line; None when it
    conforms (also what connexion's response validator asks, on the reference engine)."""
    errors = schemas.errors([], schema, body)
    if not errors:
        return None
    return f"Response body does not conform to the spec: {listed(errors)}"


def _wildcard(media: frozenset[str], mime: str) -> bool:
    """`*/*` or `type/*` documented (a range: any type of it conforms)."""
    kind = mime.partition("/")[0]
    return "*/*" in media or f"{kind}/*" in media
