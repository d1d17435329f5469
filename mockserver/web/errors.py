"""Error types and the handlers that turn them into the documented JSON bodies.

Client mistakes are 4xx with `{"detail": ...}` (a list of `{loc, msg, type}` for 422);
connexion's problem+json 400s and 415s are reshaped into the same 422 form.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from connexion.exceptions import (
    BadRequestProblem,
    ExtraParameterProblem,
    NonConformingResponse,
    ProblemException,
    Unauthorized,
    UnsupportedMediaTypeProblem,
)
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from mockserver.web.encoding import dumps

logger = logging.getLogger("mockserver")


@dataclass(frozen=True, slots=True)
class ErrorItem:
    loc: list[str | int]
    msg: str
    type: str

    def as_json(self) -> dict[str, Any]:
        return {"loc": self.loc, "msg": self.msg, "type": self.type}


class ValidationProblem(ProblemException):  # type: ignore[misc]
    """A 422 listing every problem found in the request."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        super().__init__(status=422, title="Unprocessable Entity", detail="validation failed")
        self.errors = errors


class ApiError(ProblemException):  # type: ignore[misc]
    """A documented non-validation error: 404, 409, 503 (with Retry-After)."""

    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        super().__init__(status=status, title=str(status), detail=detail, headers=headers)


def json_response(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=status,
        mimetype="application/json",
        content_type="application/json",
        body=dumps(body),
        headers=headers or {},
    )


def _validation(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ValidationProblem)
    return json_response(422, {"detail": [e.as_json() for e in exc.errors]})


def _bad_request(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    # connexion raises these for an empty required body, a missing content length, ...
    if isinstance(exc, ExtraParameterProblem):
        loc: list[str | int] = ["query"]
    else:
        loc = ["body"]
    detail = getattr(exc, "detail", None) or "Bad request"
    return json_response(422, {"detail": [ErrorItem(loc, str(detail), "value_error").as_json()]})


def _media_type(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    detail = str(getattr(exc, "detail", None) or "Unsupported media type")
    item = ErrorItem(["header", "content-type"], detail, "content_type")
    return json_response(422, {"detail": [item.as_json()]})


_UNAUTHORIZED = {
    "No authorization token provided": "Missing X-API-Key header",
    "Provided apikey is not valid": "Invalid X-API-Key",
}


def _unauthorized(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    detail = str(getattr(exc, "detail", None) or "Not authenticated")
    return json_response(401, {"detail": _UNAUTHORIZED.get(detail, detail)})


def _api_error(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ApiError)
    return json_response(exc.status, {"detail": exc.detail}, dict(exc.headers or {}))


def _http(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, HTTPException)
    # Also reached by ApiError(404): starlette looks status handlers up first.
    detail = exc.detail or ("Not Found" if exc.status_code == 404 else "Method Not Allowed")
    return json_response(exc.status_code, {"detail": detail}, dict(exc.headers or {}))


def _nonconforming(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    # The mock broke its own contract: a bug to fix, so say so loudly.
    logger.error("response does not conform to openapi.yaml: %s", getattr(exc, "detail", exc))
    return json_response(500, {"detail": f"Mock bug: {getattr(exc, 'detail', exc)}"})


def _unexpected(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    logger.exception("unexpected error", exc_info=exc)
    return json_response(500, {"detail": "Internal mock error (see the server log)"})


def _unavailable(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    logger.warning("state backend unavailable: %s", exc)
    detail = "The mock's state store is unavailable; retry later"
    return json_response(503, {"detail": detail}, {"Retry-After": "1"})


def install(app: Any, unavailable: tuple[type[Exception], ...] = ()) -> None:
    app.add_error_handler(ValidationProblem, _validation)
    app.add_error_handler(ApiError, _api_error)
    app.add_error_handler(UnsupportedMediaTypeProblem, _media_type)
    app.add_error_handler(BadRequestProblem, _bad_request)
    # starlette's own 400s (e.g. a form content type without a boundary on a GET)
    app.add_error_handler(400, _bad_request)
    app.add_error_handler(Unauthorized, _unauthorized)
    app.add_error_handler(NonConformingResponse, _nonconforming)
    for status in (404, 405):
        app.add_error_handler(status, _http)
    for kind in unavailable:  # Redis down is nobody's mistake: 503, as the spec declares
        app.add_error_handler(kind, _unavailable)
    app.add_error_handler(Exception, _unexpected)
