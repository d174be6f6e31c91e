from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader, Cookie, ResponseHeader
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from groundswell.accounts import links, sessions, tokens
from groundswell.accounts.states import LinkPurpose
from groundswell.core.errors import DomainError, ValidationFailed
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.web import (
    SESSION_COOKIE,
    RowId,
    client_address_of,
    requires_login,
    settings_of,
    signed_in,
)

NO_STORE = CacheControlHeader(no_store=True)
# A page whose address holds a secret (a set-password link) tells no other site about it.
NO_REFERRER = [ResponseHeader(name="Referrer-Policy", value="no-referrer")]


def client_address(request: Request[Any, Any, Any]) -> str:
    # Forwarded addresses believed only from trusted proxies (core/client_address.py).
    return client_address_of(request)


# What the sign-in page says after a password was set (post/redirect/get).
LOGIN_NOTICES = {
    "password-set": "Your password is set. Sign in with it now.",
    "password-reset": "Your password has been changed and you have been signed out everywhere. "
    "Sign in with your new password.",
}


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


class LoginController(Controller):
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(
        self,
        request: Request[Any, Any, Any],
        next: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        return render(
            "accounts/login.html",
            values={"email": ""},
            next=_safe_next(next),
            done=LOGIN_NOTICES.get(done or ""),
        )

    @post("/login")
    async def login(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        target = _safe_next(data.get("next"))
        settings = settings_of(request)
        client_ip = client_address(request)
        try:
            session = await sessions.log_in(
                settings,
                email=str(data.get("email") or ""),
                password=str(data.get("password") or ""),
                client_ip=client_ip,
            )
        except DomainError as exc:
            return render_form_error(
                "accounts/login.html", exc, {"email": data.get("email", "")}, next=target
            )
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await sessions.log_out(old)
        return Redirect(
            target,
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=session.token,
                    httponly=True,
                    secure=settings.secure_cookies,
                    samesite="lax",
                    max_age=settings.session_absolute_hours * 3600,
                )
            ],
        )

    @post("/logout", guards=[requires_login])
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await sessions.log_out(token)
        return Redirect(
            "/", cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, httponly=True)]
        )


class SetPasswordController(Controller):
    """The page an invitation or reset e-mail links to: choose a password, once."""

    include_in_schema = False
    path = "/account/set-password"
    cache_control = NO_STORE
    response_headers = NO_REFERRER

    @get("/{token:str}", name="set_password")
    async def form(self, token: FromPath[str]) -> Template:
        try:
            link = await links.usable_link(token)
        except DomainError as exc:
            return render("accounts/link_expired.html", status_code=404, detail=exc.detail)
        return render("accounts/set_password.html", link=link, token=token, values={}, errors={})

    @post("/{token:str}")
    async def set_password(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Any:
        data = await read_form(request)
        try:
            link = await links.set_password_with_link(
                settings_of(request),
                token,
                password=str(data.get("password") or ""),
                confirm=str(data.get("confirm") or ""),
                client_ip=client_address(request),
            )
        except links.LinkNotUsable as exc:
            return render("accounts/link_expired.html", status_code=404, detail=exc.detail)
        except DomainError as exc:
            link = await links.usable_link(token)
            return render_form_error("accounts/set_password.html", exc, {}, link=link, token=token)
        done = "password-set" if link.purpose is LinkPurpose.INVITATION else "password-reset"
        # Any session in this browser ended with the others: its cookie goes too.
        return Redirect(
            f"/login?done={done}",
            status_code=303,
            cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, httponly=True)],
        )


TOKEN_NOTICES = {"revoked": "Token revoked. Anything using it can no longer reach the API."}


def _expiry_days(raw: object) -> int:
    text = str(raw or "").strip()
    if not text:
        return tokens.DEFAULT_TOKEN_DAYS
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise ValidationFailed(
            "The token could not be created.",
            field_errors={
                "expires_days": f"Enter a whole number of days, from 1 to {tokens.MAX_TOKEN_DAYS}."
            },
        )
    return int(text)


class TokenController(Controller):
    """Your own API tokens: list, create (the secret is shown once), revoke."""

    include_in_schema = False
    path = "/account/tokens"
    guards = (requires_login,)
    cache_control = NO_STORE

    async def _page(
        self, request: Request[Any, Any, Any], status_code: int = 200, **context: Any
    ) -> Template:
        principal = signed_in(request)
        context.setdefault("values", {"expires_days": str(tokens.DEFAULT_TOKEN_DAYS)})
        context.setdefault("errors", {})
        return render(
            "accounts/tokens.html",
            status_code=status_code,
            tokens=await tokens.list_tokens(user_id=principal.user_id),
            default_days=tokens.DEFAULT_TOKEN_DAYS,
            max_days=tokens.MAX_TOKEN_DAYS,
            **context,
        )

    @get("/", name="account_tokens")
    async def index(
        self, request: Request[Any, Any, Any], done: FromQuery[str | None] = None
    ) -> Template:
        return await self._page(request, done=TOKEN_NOTICES.get(done or ""))

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Template:
        principal = signed_in(request)
        data = await read_form(request)
        try:
            made = await tokens.create_token_for(
                principal,
                principal.user_id,
                name=str(data.get("name") or ""),
                expires_days=_expiry_days(data.get("expires_days")),
                read_only=bool(data.get("read_only")),
            )
        except DomainError as exc:
            return await self._page(
                request,
                status_code=422,
                values=data,
                errors=exc.field_errors,
                form_error=exc.detail,
            )
        # Answered here, not redirected: the secret exists only in this response (sent
        # with no-store), so it is shown once and never kept anywhere to show again.
        return await self._page(request, status_code=201, new_token=made)

    @post("/{token_id:int}/revoke")
    async def revoke(self, request: Request[Any, Any, Any], token_id: RowId) -> Redirect:
        principal = signed_in(request)
        await tokens.revoke_token(principal, token_id, owner_id=principal.user_id)
        return Redirect("/account/tokens?done=revoked", status_code=303)
