"""The errors a handler raises, and the documented JSON answer of each.

Plain exceptions (no framework in them), so the public API's compiled path answers them
without importing connexion, and errors.py hands the same answers to connexion's
exception handling for the control API.
"""

from __future__ import annotations

import logging

# The error items and their 422 come from the contract core, which the suite shares.
from apicontract.problems import ValidationProblem
from mockserver.engine.reply import Reply

logger = logging.getLogger("mockserver")

Answer = Reply  # an error's documented answer

# The two 401s, in the words both request paths answer with.
MISSING_KEY = "Missing X-API-Key header"
INVALID_KEY = "Invalid X-API-Key"


class ApiError(Exception):
    """A documented non-validation error: 401, 404, 409, 503 (with Retry-After)."""

    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}


def validation_answer(exc: ValidationProblem) -> Answer:
    return Reply({"detail": [e.as_json() for e in exc.errors]}, 422)


def api_error_answer(exc: ApiError) -> Answer:
    return Reply({"detail": exc.detail}, exc.status, dict(exc.headers))


def nonconforming_answer(detail: str) -> Answer:
    logger.error("response does not conform to openapi.yaml: %s", detail)
    return Reply({"detail": f"Mock bug: {detail}"}, 500)


def unavailable_answer(exc: Exception) -> Answer:
    # The state store (Redis) is down: nobody's mistake, 503 as the spec declares.
    logger.warning("state backend unavailable: %s", exc)
    detail = "The mock's state store is unavailable; retry later"
    return Reply({"detail": detail}, 503, {"Retry-After": "1"})


def unexpected_answer(exc: BaseException) -> Answer:
    logger.exception("unexpected error", exc_info=exc)
    return Reply({"detail": "Internal mock error (see the server log)"}, 500)
