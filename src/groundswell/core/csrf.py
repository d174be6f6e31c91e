"""CSRF tokens bound to who is asking: the session, or before sign-in a pre-session id.

Litestar's own CSRF check compared a cookie with a form field, both signed with the site's
secret but tied to nobody: an attacker could take a token from their own visit, plant their
own cookie with it in the victim's browser (a sibling subdomain, a network they control)
and post as the victim. Here the token is HMAC(secret, what the browser is bound to): the
session cookie's token once signed in, else a random pre-session id kept in its own
HttpOnly cookie. Another person's token never matches, because they do not hold the
victim's session. The `csrftoken` cookie still carries the current token (scripts and tests
read it) and is re-set whenever the binding changes, including on the very response that
signs someone in or out."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from http.cookies import CookieError, SimpleCookie
from typing import Any

from litestar.connection import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from groundswell.core.web import MACHINE_CALLER

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
CSRF_FIELD = "_csrf_token"
PRESESSION_COOKIE = "gs_presession"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def csrf_token_for(secret: str, *, session: str | None, presession: str | None) -> str | None:
    """The one token valid for this binding; None when the browser holds neither cookie."""
    if session:
        bound = f"session:{hashlib.sha256(session.encode()).hexdigest()}"
    elif presession:
        bound = f"presession:{presession}"
    else:
        return None
    return hmac.new(secret.encode(), f"csrf|{bound}".encode(), hashlib.sha256).hexdigest()


def _cookies_set(message: Message) -> dict[str, str]:
    """Cookies a response sets ("" for one it deletes)."""
    found: dict[str, str] = {}
    raw_headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))  # type: ignore[call-overload]
    for name, value in raw_headers:
        if name.lower() != b"set-cookie":
            continue
        parsed: SimpleCookie = SimpleCookie()
        # A cookie the standard parser cannot read is one we never set: it binds nothing.
        with contextlib.suppress(CookieError):
            parsed.load(value.decode("latin-1"))
        for key, morsel in parsed.items():
            expired = morsel["max-age"] in ("0", "-1") or "1970" in (morsel["expires"] or "")
            found[key] = "" if expired else morsel.value
    return found


class SessionBoundCSRFMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    # Signed webhooks carry no cookies and no token: their signature is their proof.
    exclude_opt_key = MACHINE_CALLER

    def __init__(
        self, *, secret: str, session_cookie: str, exempt: Sequence[str], secure: bool
    ) -> None:
        self._secret = secret
        self._session_cookie = session_cookie
        self._exempt = tuple(exempt)
        self._secure = secure

    def _cookie(self, key: str, value: str, *, httponly: bool) -> str:
        # Tokens are hex and pre-session ids URL-safe base64: nothing to quote, so the header
        # is written here (http.cookies took a fifth of this middleware's time per page).
        flags = "HttpOnly; " if httponly else ""
        secure = "; Secure" if self._secure else ""
        return f"{key}={value}; {flags}Path=/; SameSite=lax{secure}"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["path"].startswith(self._exempt) or scope["path"].startswith("/static/"):
            await next_app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        session = request.cookies.get(self._session_cookie) or None
        presession = request.cookies.get(PRESESSION_COOKIE) or None
        new_presession = None
        if presession is None and session is None:
            # Anonymous forms work too: bind them to an id made for this browser now.
            presession = new_presession = secrets.token_urlsafe(32)
        expected = csrf_token_for(self._secret, session=session, presession=presession)
        assert expected is not None  # a presession always exists by now
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER)
            content_type, _ = request.content_type
            if not sent and content_type in {
                RequestEncodingType.URL_ENCODED,
                RequestEncodingType.MULTI_PART,
            }:
                form = await request.form()  # cached in the scope: the handler reads it again
                sent = form.get(CSRF_FIELD)
            # A browser with no cookie at all cannot hold a valid token: refused.
            if new_presession or not sent or not hmac.compare_digest(str(sent), expected):
                raise PermissionDeniedException("CSRF token verification failed")
        ScopeState.from_scope(scope).csrf_token = expected
        sent_cookie = request.cookies.get(CSRF_COOKIE)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                token: str | None = expected
                changed = _cookies_set(message)
                if self._session_cookie in changed:
                    # Signed in or out by this very response: the next form is bound anew.
                    token = csrf_token_for(
                        self._secret,
                        session=changed[self._session_cookie] or None,
                        presession=presession,
                    )
                if new_presession:
                    headers.add(
                        "set-cookie", self._cookie(PRESESSION_COOKIE, new_presession, httponly=True)
                    )
                if token and token != sent_cookie:
                    headers.add("set-cookie", self._cookie(CSRF_COOKIE, token, httponly=False))
            await send(message)

        await next_app(scope, receive, send_wrapper)
