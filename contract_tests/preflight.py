"""Before any test: the base URL is a URL, and something answers HTTP there.

Without it an unreachable backend shows as every test failing with transport tracebacks,
under exit code 1, the code of a real contract failure.
"""

from __future__ import annotations

import httpx

# Exit code of a target that cannot be checked at all (pytest's own codes are 0-5).
UNREACHABLE = 6
PROBE_TIMEOUT_S = 5.0


class TargetError(Exception):
    """The base URL is malformed, or nothing answers HTTP there."""


def check(base_url: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise TargetError (one line) unless `base_url` answers HTTP within `timeout`."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise TargetError(f"--base-url {base_url!r} is not a URL ({exc})") from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise TargetError(
            f"--base-url {base_url!r} is not an http(s) URL with a host "
            "(e.g. http://127.0.0.1:4010)"
        )
    try:
        # Any answer, even a 404 or 401, shows an HTTP server is there.
        httpx.get(url.join("/v1/nodes"), timeout=timeout)
    except httpx.TimeoutException:
        raise TargetError(f"{base_url} did not answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TargetError(f"{base_url} cannot be reached: {reason}") from None


def line(error: TargetError) -> str:
    return f"contract-tests: {error}; nothing was checked (exit {UNREACHABLE})"
