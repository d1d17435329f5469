"""Spec-first mock server for the Noxus workflow-runs API."""

import warnings

# starlette 1.x warns on every `import connexion` (connexion imports its test client);
# it says nothing a user of the mock can act on.
warnings.filterwarnings("ignore", message=r".*starlette\.testclient.*")

from mockserver.app import create_app  # noqa: E402
from mockserver.settings import Settings  # noqa: E402

__all__ = ["Settings", "create_app"]
