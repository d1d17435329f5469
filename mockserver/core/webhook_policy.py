"""What a webhook delivery carries and where it may go: headers, signature, allow-list. Pure."""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
from urllib.parse import urlsplit

DELIVERY_HEADER = "X-Noxus-Delivery-Id"
SIGNATURE_HEADER = "X-Noxus-Signature"


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, raw body): what receivers recompute to verify."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_allowed(url: str, patterns: tuple[str, ...]) -> bool:
    """Whether `url`'s host matches one of the allow-list patterns (none: all allowed)."""
    if not patterns:
        return True
    host = (urlsplit(url).hostname or "").lower()
    return any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in patterns)
