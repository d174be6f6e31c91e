"""One-time messages after an action (post/redirect/get): "Pool saved", "Round paused".

A handler that changes something answers with `flash_redirect(...)`: a 303 to the page to
show next, carrying a short-lived signed cookie with the message. The next full page reads
it once (`take_flash`, called by templates/base.html, which shows GOV.UK's success
notification banner), and the `clear_taken_flash` hook deletes the cookie in that same
response, so a refresh shows the page without the message and re-posts nothing.

Signed with GROUNDSWELL_SECRET_KEY so that nobody can make our pages say words of theirs
(a cookie planted from a sibling domain, say); the words are escaped like any other text.
A page that never renders the base template (an htmx fragment, a redirect) leaves the
cookie for the next page; it expires after FLASH_SECONDS whatever happens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.response import Redirect
from litestar.types import Message, Scope

from groundswell.core.web import settings_of

FLASH_COOKIE = "gs_flash"
FLASH_SECONDS = 120
# What a banner holds: a heading and a sentence. Longer is cut, so the cookie stays small.
MAX_HEADING, MAX_TEXT = 200, 600
_TAKEN = "groundswell.flash_taken"


def _signature(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), f"flash:{payload}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def encode_flash(secret: str, heading: str, text: str = "", *, at: float | None = None) -> str:
    body = {
        "h": heading[:MAX_HEADING],
        "t": text[:MAX_TEXT],
        "e": int((time.time() if at is None else at) + FLASH_SECONDS),
    }
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{payload}.{_signature(secret, payload)}"


def decode_flash(secret: str, value: str, *, at: float | None = None) -> dict[str, str] | None:
    """The message, or None when the cookie is not ours, altered, malformed or expired."""
    payload, _, signature = value.partition(".")
    if not payload or not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        heading, text, expires = str(body["h"]), str(body["t"]), int(body["e"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires < (time.time() if at is None else at) or not heading:
        return None
    return {"heading": heading, "text": text}


def flash_cookie(request: Request[Any, Any, Any], heading: str, text: str = "") -> Cookie:
    settings = settings_of(request)
    return Cookie(
        key=FLASH_COOKIE,
        value=encode_flash(settings.secret_key, heading, text),
        max_age=FLASH_SECONDS,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


def flash_redirect(
    request: Request[Any, Any, Any], url: str, heading: str, text: str = ""
) -> Redirect:
    """303 to `url`, which will say `heading` (and `text`) in a success banner, once."""
    return Redirect(url, status_code=303, cookies=[flash_cookie(request, heading, text)])


def take_flash(request: Request[Any, Any, Any]) -> dict[str, str] | None:
    """The waiting message, marked as shown so this response deletes its cookie."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    request.scope[_TAKEN] = True  # type: ignore[literal-required]
    return decode_flash(settings_of(request).secret_key, value)


def clear_taken_flash(*, secure: bool) -> Any:
    """A `before_send` hook: the response that showed the message (or found a bad one)
    deletes the cookie, and is never cached, so going back or refreshing cannot show it again."""

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or not scope.get(_TAKEN):
            return
        headers = MutableScopeHeaders.from_message(message)
        expired = Cookie(
            key=FLASH_COOKIE,
            value="",
            max_age=0,
            path="/",
            httponly=True,
            secure=secure,
            samesite="lax",
        )
        headers.add("set-cookie", expired.to_encoded_header()[1].decode())
        headers["cache-control"] = "no-store"

    return before_send
