"""The users page: accounts with the funders and hosts they may belong to."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from groundswell.accounts import services
from groundswell.community import services as community
from groundswell.core.errors import DomainError, ValidationFailed
from groundswell.core.ids import parse_row_id
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Role
from groundswell.core.web import requires_role
from groundswell.funders import services as funders


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
