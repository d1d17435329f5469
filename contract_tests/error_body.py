"""The error body the spec documents for 401, 404 and 409: application/json {detail}."""

from __future__ import annotations

from contract_tests import rules
from contract_tests.contract import schema_errors
from contract_tests.exchange import Exchange
from contract_tests.rules import check


def check_error_body(exchange: Exchange) -> bool:
    """Judge (errors.detail-body) the body of an error answer; whether it held."""
    __tracebackhide__ = True
    kind = (exchange.header("content-type") or "").split(";")[0].strip().lower()
    body = exchange.json_or_none()
    shaped = isinstance(body, dict) and not schema_errors("ErrorMessage", body)
    return check(
        rules.ERROR_BODY,
        kind == "application/json" and shaped,
        f"the {exchange.status} is {kind or 'without a content type'}"
        + ("" if shaped else ", not a JSON {detail: string}"),
        exchange,
    )
