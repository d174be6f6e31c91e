"""Is this request really from Twilio? `X-Twilio-Signature`, checked against our public URL.

Twilio signs each webhook (inbound SMS, delivery status callbacks) with HMAC-SHA1 over the
URL it called and every form name and value, keyed with the account's auth token. Behind a
proxy the URL we see is not the one Twilio called, so the signature is checked against
GROUNDSWELL_PUBLIC_URL + the path and query of the request. The official SDK's
RequestValidator does the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from twilio.request_validator import RequestValidator


@lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def signed_url(public_url: str, path: str, query: str = "") -> str:
    """The URL Twilio called, as configured: signatures cover scheme, host, port, path and query."""
    return public_url.rstrip("/") + path + (f"?{query}" if query else "")


def is_signed_by_twilio(
    auth_token: str, url: str, params: Mapping[str, object], signature: str
) -> bool:
    """True when `signature` is Twilio's for this URL and these form parameters."""
    if not auth_token or not signature:
        return False
    return bool(_validator(auth_token).validate(url, dict(params), signature))
