"""Which language a resident's page is in: Welsh or English (README "Welsh").

An explicit ``?lang=cy`` or ``?lang=en`` wins and is remembered in a cookie; then the
cookie; then the browser's Accept-Language; English otherwise. Only the pages residents
see are translated (RESIDENT_PAGES); staff, funder and host pages stay in English, so on
those the choice is remembered but the page is English with ``lang="en-GB"``.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl, urlencode

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from groundswell.core.i18n import DEFAULT_LANG, LANGS, current_lang, drafts_used, use_lang
from groundswell.core.web import MACHINE_CALLER

COOKIE: Final = "gs_lang"
COOKIE_MAX_AGE: Final = 365 * 24 * 3600
RESIDENT_PAGES: Final = re.compile(
    r"^/(?:|organisers/?|organisers/[^/]+/?|vouch/.*|my-voice(?:/.*)?|testimony/[^/]+/report"
    r"|privacy|accessibility|contact)$"
)
_QUALITY = re.compile(r"^\s*q\s*=\s*([0-9.]+)\s*$")


def from_accept_language(header: str) -> str | None:
    """The language we have that the browser prefers most, or None ("q=0" refuses one)."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        tag, *params = part.split(";")
        lang = tag.strip().replace("_", "-").split("-", 1)[0].lower()
        if lang not in LANGS:
            continue
        quality = 1.0
        for param in params:
            if param.strip().lower().startswith("q"):
                # A weight we cannot read counts as "not this one".
                match = _QUALITY.match(param)
                try:
                    quality = float(match.group(1)) if match else 0.0
                except ValueError:
                    quality = 0.0
        if quality > 0 and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, lang)
    return best[2] if best else None


def choose(query_lang: str | None, cookie_lang: str | None, accept: str) -> str:
    for offered in (query_lang, cookie_lang):
        if offered in LANGS:
            return offered
    return from_accept_language(accept) or DEFAULT_LANG


def is_resident_page(path: str) -> bool:
    return bool(RESIDENT_PAGES.match(path))


def switch_url(path: str, query: str, lang: str) -> str:
    """The current page in ``lang``: same path, same query, ``lang`` replaced."""
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"]
    return f"{path}?{urlencode([*params, ('lang', lang)])}"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class LanguageMiddleware(ASGIMiddleware):
    """Sets the request's language for everything rendered while answering it."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = MACHINE_CALLER

    def __init__(self, *, secure: bool) -> None:
        self.secure = secure

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        asked = query.get("lang")
        asked = asked if asked in LANGS else None
        # Parsed once per request and kept in the scope: the CSRF and principal
        # middlewares below read the same cookies. A malformed header chooses nothing.
        remembered = ASGIConnection(scope).cookies.get(COOKIE)
        chosen = choose(asked, remembered, _header(scope, b"accept-language"))
        resident = is_resident_page(scope["path"])
        scope.setdefault("state", {})["lang"] = chosen

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if resident:
                    headers.add("Vary", "Accept-Language, Cookie")
                    headers["Content-Language"] = "cy" if current_lang() == "cy" else "en-GB"
                if asked is not None and asked != remembered:
                    secure = "; Secure" if self.secure else ""
                    headers.add(
                        "Set-Cookie",
                        f"{COOKIE}={asked}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax{secure}",
                    )
            await send(message)

        with use_lang(chosen if resident else DEFAULT_LANG):
            await next_app(scope, receive, send_with_language)


def page_language() -> dict[str, object]:
    """What base.html needs: the page's language and whether it used a Welsh draft."""
    return {"lang": current_lang(), "welsh_draft": current_lang() == "cy" and drafts_used()}
