"""connexion's exception handling for the control API, answering as problems.py does.

Client mistakes are 4xx with `{"detail": ...}` (a list of `{loc, msg, type}` for 422);
connexion's problem+json 400s and 415s are reshaped into the same 422 form. The public
API's compiled path (public.py) answers the same problems.py errors the same way.
"""

from __future__ import annotations

from typing import Any

from connexion.exceptions import (
    BadRequestProblem,
    ExtraParameterProblem,
    Unauthorized,
    UnsupportedMediaTypeProblem,
)
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from apicontract.problems import ErrorItem, ValidationProblem
from mockserver.engine import problems
from mockserver.engine.encoding import dumps
from mockserver.engine.problems import ApiError


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


def _answered(answer: problems.Answer) -> ConnexionResponse:
    return json_response(answer.status, answer.body, dict(answer.headers))


def _validation(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ValidationProblem)
    return _answered(problems.validation_answer(exc))


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


_UNAUTHORIZED = {  # connexion's words -> ours
    "No authorization token provided": problems.MISSING_KEY,
    "Provided apikey is not valid": problems.INVALID_KEY,
}


def _unauthorized(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    detail = str(getattr(exc, "detail", None) or "Not authenticated")
    return json_response(401, {"detail": _UNAUTHORIZED.get(detail, detail)})


def _api_error(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ApiError)
    return _answered(problems.api_error_answer(exc))


def _http(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail or ("Not Found" if exc.status_code == 404 else "Method Not Allowed")
    return json_response(exc.status_code, {"detail": detail}, dict(exc.headers or {}))


def _nonconforming(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    # The mock broke its own contract: a bug to fix, so say so loudly.
    return _answered(problems.nonconforming_answer(str(getattr(exc, "detail", exc))))


def _unexpected(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    return _answered(problems.unexpected_answer(exc))


def _unavailable(_: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    return _answered(problems.unavailable_answer(exc))


def install(app: Any, unavailable: tuple[type[Exception], ...] = ()) -> None:
    app.add_error_handler(ValidationProblem, _validation)
    app.add_error_handler(ApiError, _api_error)
    app.add_error_handler(UnsupportedMediaTypeProblem, _media_type)
    app.add_error_handler(BadRequestProblem, _bad_request)
    # starlette's own 400s (e.g. a form content type without a boundary on a GET)
    app.add_error_handler(400, _bad_request)
    app.add_error_handler(Unauthorized, _unauthorized)
    for status in (404, 405):
        app.add_error_handler(status, _http)
    for kind in unavailable:  # Redis down is nobody's mistake: 503, as the spec declares
        app.add_error_handler(kind, _unavailable)
    app.add_error_handler(Exception, _unexpected)
