from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from groundswell.accounts import services
from groundswell.core.errors import DomainError
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.web import SESSION_COOKIE, requires_login, settings_of


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


class LoginController(Controller):
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(
        self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None
    ) -> Template:
        return render("accounts/login.html", values={"email": ""}, next=_safe_next(next))

    @post("/login")
    async def login(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        target = _safe_next(data.get("next"))
        settings = settings_of(request)
        client_ip = request.client.host if request.client else "unknown"
        try:
            session = await services.log_in(
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
            await services.log_out(old)
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
            await services.log_out(token)
        return Redirect(
            "/", cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, httponly=True)]
        )
