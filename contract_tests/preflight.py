"""Before any test: the base URL is a URL, and something answers HTTP there.

Without it an unreachable backend shows as every test failing with transport tracebacks,
under exit code 1, the code of a real contract failure. Standard library only: the CLI runs
it before pytest starts, and a module imported then (httpx, anyio) escapes pytest's
assertion rewriting, a warning the project's settings make an error.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

# Exit code of a target that cannot be checked at all (pytest's own codes are 0-5).
UNREACHABLE = 6
PROBE_TIMEOUT_S = 5.0


class TargetError(Exception):
    """The base URL is malformed, or nothing answers HTTP there."""


def check(base_url: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise TargetError (one line) unless `base_url` answers HTTP within `timeout`."""
    try:
        url = urlsplit(base_url)
        port = url.port
    except ValueError as exc:
        raise TargetError(f"--base-url {base_url!r} is not a URL ({exc})") from None
    if url.scheme not in {"http", "https"} or not url.hostname:
        raise TargetError(
            f"--base-url {base_url!r} is not an http(s) URL with a host "
            "(e.g. http://127.0.0.1:4010)"
        )
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = kind(url.hostname, port, timeout=timeout)
    try:
        # Any answer, even a 404 or 401, shows an HTTP server is there.
        connection.request("GET", url.path.rstrip("/") + "/v1/nodes")
        connection.getresponse().read()
    except TimeoutError:
        raise TargetError(f"{base_url} did not answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TargetError(f"{base_url} cannot be reached: {reason}") from None
    finally:
        connection.close()


def line(error: TargetError) -> str:
    return f"contract-tests: {error}; nothing was checked (exit {UNREACHABLE})"
