"""Imports deferred when connexion is: what it imports but serving never uses.

`python -X importtime` showed a third of connexion's import in modules nothing serves a
request with: its test client (`connexion.apps.abstract` imports `starlette.testclient`
for `test_client()`), `requests` (`connexion.json_schema`, for remote `$ref`s) and `httpx`
(connexion's OAuth introspection; our webhook sender, made for the first delivery). The
app installs this just before it first imports connexion (app._connexion_app, on the
first request for the control API, the dashboard or Swagger UI); a deferred module is
imported for real on first attribute access, so every name still works when used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

DEFERRED = ("requests", "httpx")
TEST_CLIENT = "starlette.testclient"


class _Deferred(types.ModuleType):
    """Stands in for a module until an attribute is asked; then it is the module."""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def install() -> None:
    if "connexion" in sys.modules:
        return  # too late to defer anything
    for name in DEFERRED:
        if name not in sys.modules:
            # `import name` finds this in sys.modules and reads only its __spec__.
            stand_in = _Deferred(name)
            stand_in.__spec__ = importlib.util.find_spec(name)
            sys.modules[name] = stand_in
    if TEST_CLIENT not in sys.modules:
        # `from starlette.testclient import TestClient` binds the function below while
        # connexion imports; any later import gets the real module.
        client = types.ModuleType(TEST_CLIENT)
        client.TestClient = _test_client  # type: ignore[attr-defined]
        sys.modules[TEST_CLIENT] = client
        try:
            import connexion  # noqa: F401
        finally:
            del sys.modules[TEST_CLIENT]


def _test_client(*args: Any, **kwargs: Any) -> Any:
    from starlette.testclient import TestClient

    return TestClient(*args, **kwargs)
