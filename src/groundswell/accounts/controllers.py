from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from groundswell.accounts import services
from groundswell.accounts.roles import Role
from groundswell.community import services as community
from groundswell.core.errors import DomainError, ValidationFailed
from groundswell.core.ids import parse_row_id
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.web import SESSION_COOKIE, requires_login, requires_role, settings_of
from groundswell.funders import services as funders


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


class UserAdminController(Controller):
    include_in_schema = False
    path = "/admin/users"
    guards = (requires_role(Role.ADMIN),)

    async def _context(self) -> dict[str, Any]:
        return {
            "users": await services.list_users(),
            "funders": await funders.list_funders(),
            "hosts": await community.list_hosts(),
            "roles": list(Role),
        }

    @get("/", name="admin_users")
    async def index(self) -> Template:
        return render("accounts/users.html", values={}, errors={}, **await self._context())

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        try:
            role = Role(data.get("role") or "")
        except ValueError:
            role = None
        raw_org = str(data.get("org") or "")
        kind, _, raw_id = raw_org.partition(":")
        org_id = parse_row_id(raw_id) or 0
        try:
            if role is None:
                raise DomainError("Choose a role.", field_errors={"role": "Choose a role."})
            if raw_org and (kind not in ("funder", "host") or not org_id):
                raise ValidationFailed(
                    "The user could not be created.",
                    field_errors={"org": "Choose an organisation from the list."},
                )
            await services.create_user(
                email=str(data.get("email") or ""),
                name=str(data.get("name") or ""),
                password=str(data.get("password") or ""),
                role=role,
                funder_ids=(org_id,) if role is Role.FUNDER and kind == "funder" and org_id else (),
                host_ids=(org_id,) if role is Role.HOST and kind == "host" and org_id else (),
            )
        except DomainError as exc:
            data.pop("password", None)
            return render_form_error("accounts/users.html", exc, data, **await self._context())
        return Redirect("/admin/users")
