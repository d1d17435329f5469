"""A canary for every private connexion surface the web layer relies on.

connexion is pinned (3.3.0) because reference/connexion_glue.py subclasses or calls private
parts of it. An upgrade that moves any of them fails here, by
name, before it fails somewhere deep in a request.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import connexion
import pytest
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.decorators import StarletteDecorator
from connexion.security import ApiKeySecurityHandler
from connexion.validators import (
    VALIDATOR_MAP,
    AbstractRequestBodyValidator,
    AbstractResponseBodyValidator,
    ParameterValidator,
)


def _params(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def _sets(function: Any, *attributes: str) -> None:
    source = inspect.getsource(function)
    missing = [a for a in attributes if not re.search(rf"self\.{a}\s*(:[^=\n]*)?=", source)]
    assert not missing, f"{function.__qualname__} no longer sets {missing}"


def test_connexion_is_the_pinned_version() -> None:
    from importlib.metadata import version

    from mockserver.reference import validity

    # specification.py salts its record of valid specs with this version, unread.
    assert version("connexion") == validity.CONNEXION == "3.3.0"


def test_the_app_surfaces_operations_py_subclasses() -> None:
    # MockApp sets _middleware_app itself, then calls AbstractApp.__init__.
    _sets(connexion.AsyncApp.__init__, "_middleware_app")
    assert _params(AbstractApp.__init__)[:2] == ["self", "import_name"]
    assert isinstance(AsyncASGIApp.__dict__["api_cls"], type)
    assert _params(AsyncApi.make_operation) == ["self", "operation"]
    from_operation = inspect.signature(AsyncOperation.from_operation).parameters
    assert {"operation", "pythonic_params", "jsonifier"} <= set(from_operation)
    assert isinstance(inspect.getattr_static(AsyncOperation, "fn"), property)
    _sets(AsyncOperation.__init__, "_fn", "pythonic_params", "jsonifier")


def test_the_decorator_surfaces_the_once_decorator_uses() -> None:
    assert callable(StarletteDecorator.decorate)
    assert {"pythonic_params", "jsonifier"} <= set(_params(StarletteDecorator.__init__))
    assert isinstance(inspect.getattr_static(StarletteDecorator, "uri_parser"), property)
    assert isinstance(StarletteDecorator.framework, type)
    get_request = inspect.getattr_static(StarletteDecorator.framework, "get_request")
    assert {"uri_parser", "scope", "receive"} <= set(_params(get_request.__func__))
    from connexion.context import receive, scope

    assert scope is not None and receive is not None


def test_the_security_surfaces_auth_py_overrides() -> None:
    assert _params(ApiKeySecurityHandler._resolve_func) == ["self", "security_scheme"]
    assert callable(inspect.getattr_static(ApiKeySecurityHandler, "_accepts_kwarg"))


@pytest.mark.parametrize(
    ("validator", "method", "params", "is_async"),
    [
        (AbstractRequestBodyValidator, "_parse", ["self", "stream", "scope"], True),
        (AbstractRequestBodyValidator, "_validate", ["self", "body"], False),
        (AbstractResponseBodyValidator, "_parse", ["self", "stream"], False),
        (AbstractResponseBodyValidator, "_validate", ["self", "body"], False),
        (ParameterValidator, "validate_request", ["self", "request"], False),
    ],
)
def test_the_validator_hooks_validation_py_overrides(
    validator: type, method: str, params: list[str], is_async: bool
) -> None:
    hook = getattr(validator, method)
    assert _params(hook) == params
    assert inspect.iscoroutinefunction(hook) == is_async


def test_the_validator_state_validation_py_reads() -> None:
    _sets(AbstractRequestBodyValidator.__init__, "_encoding", "_required", "_schema")
    _sets(AbstractResponseBodyValidator.__init__, "_encoding", "_schema")
    _sets(ParameterValidator.__init__, "parameters", "strict_validation", "security_query_params")
    check = inspect.signature(ParameterValidator.validate_query_parameter_list).parameters
    assert "security_params" in check
    assert set(VALIDATOR_MAP) == {"parameter", "body", "response"}


def test_the_surfaces_of_the_request_and_start_up() -> None:
    # reference/connexion_glue.py: Starlette's json() cache and connexion's files() cache.
    from connexion.lifecycle import ConnexionRequest
    from starlette.requests import Request

    assert "self._json" in inspect.getsource(Request.json)
    _sets(ConnexionRequest.__init__, "_files")
    assert "self._files is None" in inspect.getsource(ConnexionRequest.files)
    # reference/connexion_glue.py: the classmethod every Specification validates through.
    from connexion.spec import Specification

    assert isinstance(Specification.__dict__["_validate_spec"], classmethod)
    assert "self._validate_spec(raw_spec)" in inspect.getsource(Specification.__init__)
    # mockserver/deferred.py: what connexion imports by name.
    import connexion.apps.abstract as abstract

    assert "from starlette.testclient import TestClient" in inspect.getsource(abstract)
