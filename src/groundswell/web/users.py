"""The users page: invite people, see and change the organisations they belong to,
deactivate and reactivate them. Composes accounts with funders and hosts (the choices) and
the outbox (the invitation's e-mail)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from groundswell.accounts import links, services
from groundswell.community import services as community
from groundswell.core.errors import DomainError, ValidationFailed
from groundswell.core.ids import parse_row_id
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, settings_of, signed_in
from groundswell.funders import services as funders
from groundswell.outbox.services import enqueue_email

# What the page says after each action (post/redirect/get): a fixed message per key, so
# nothing from the address is ever shown as the banner.
NOTICES = {
    "invited": (
        "User invited",
        "We have e-mailed {email} a link to choose their password. It works once, for 7 days.",
    ),
    "resent": (
        "Invitation sent again",
        "We have e-mailed {email} a new link (for 7 days); the old one no longer works.",
    ),
    "deactivated": (
        "User deactivated",
        "{email} can no longer sign in. Their sessions and API tokens have ended.",
    ),
    "reactivated": (
        "User reactivated",
        "{email} can sign in again with their password. Their old API tokens stay revoked.",
    ),
    "organisations": ("Organisations saved", ""),
}


def _notice(done: str | None, user: dict[str, Any] | None) -> dict[str, str] | None:
    if not done or done not in NOTICES or user is None:
        return None
    heading, text = NOTICES[done]
    return {"heading": heading, "text": text.format(email=user["email"])}


def _organisation_ids(data: dict[str, Any]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ticked funders and hosts; anything not a row id is one clear message."""
    ids: dict[str, list[int]] = {"funder": [], "host": []}
    for kind in ids:
        for raw in data.get(kind) or []:
            row_id = parse_row_id(raw)
            if row_id is None:
                raise ValidationFailed(
                    "Check the organisations.",
                    field_errors={"org": "Choose an organisation from the list."},
                )
            if row_id not in ids[kind]:
                ids[kind].append(row_id)
    return tuple(ids["funder"]), tuple(ids["host"])


class UserAdminController(Controller):
    include_in_schema = False
    path = "/admin/users"
    guards = (requires_role(Role.ADMIN),)

    async def _choices(self) -> dict[str, Any]:
        return {
            "funders": await funders.list_funders(),
            "hosts": await community.list_hosts(),
        }

    async def _index(self, status_code: int = 200, **context: Any) -> Template:
        context.setdefault("values", {"funder": [], "host": []})
        context.setdefault("errors", {})
        return render(
            "accounts/users.html",
            status_code=status_code,
            users=await services.list_users(),
            **await self._choices(),
            **context,
        )

    @get("/", name="admin_users")
    async def index(
        self, done: FromQuery[str | None] = None, user: FromQuery[str | None] = None
    ) -> Template:
        user_id = parse_row_id(user or "")
        shown = None
        if user_id is not None:
            try:
                shown = await services.get_user(user_id)
            except DomainError:
                shown = None
        return await self._index(done=_notice(done, shown))

    @post("/")
    async def invite(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request, "funder", "host")
        try:
            try:
                role = Role(data.get("role") or "")
            except ValueError:
                raise ValidationFailed(
                    "The user could not be invited.", field_errors={"role": "Choose a role."}
                ) from None
            funder_ids, host_ids = _organisation_ids(data)
            user_id = await links.invite_user(
                settings_of(request),
                enqueue_email,
                signed_in(request),
                email=str(data.get("email") or ""),
                name=str(data.get("name") or ""),
                role=role,
                funder_ids=funder_ids,
                host_ids=host_ids,
            )
        except DomainError as exc:
            data.pop("password", None)
            return render_form_error(
                "accounts/users.html",
                exc,
                data,
                users=await services.list_users(),
                **await self._choices(),
            )
        return Redirect(f"/admin/users?done=invited&user={user_id}", status_code=303)

    async def _user_page(
        self, request: Request[Any, Any, Any], user_id: int, status_code: int = 200, **context: Any
    ) -> Template:
        user = await services.get_user(user_id)
        context.setdefault("errors", {})
        return render(
            "accounts/user.html",
            status_code=status_code,
            person=user,  # `user` is the signed-in person in base.html
            is_self=user_id == signed_in(request).user_id,
            chosen={f"{org['kind']}:{org['id']}" for org in user["organisations"]},
            **await self._choices(),
            **context,
        )

    @get("/{user_id:int}", name="admin_user")
    async def detail(
        self, request: Request[Any, Any, Any], user_id: RowId, done: FromQuery[str | None] = None
    ) -> Template:
        user = await services.get_user(user_id)
        return await self._user_page(request, user_id, done=_notice(done, user))

    async def _act(self, request: Request[Any, Any, Any], user_id: int, action: Any) -> Any:
        """Run one action on the user page: a refusal is shown on the page, at the top."""
        try:
            done = await action()
        except ValidationFailed as exc:
            return await self._user_page(
                request,
                user_id,
                status_code=exc.status_code,
                errors=exc.field_errors,
                form_error=exc.detail,
            )
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            return await self._user_page(
                request, user_id, status_code=exc.status_code, form_error=exc.detail
            )
        return Redirect(f"/admin/users/{user_id}?done={done}", status_code=303)

    @post("/{user_id:int}/organisations")
    async def organisations(self, request: Request[Any, Any, Any], user_id: RowId) -> Any:
        data = await read_form(request, "funder", "host")

        async def action() -> str:
            funder_ids, host_ids = _organisation_ids(data)
            await services.set_organisations(
                signed_in(request), user_id, funder_ids=funder_ids, host_ids=host_ids
            )
            return "organisations"

        return await self._act(request, user_id, action)

    @post("/{user_id:int}/deactivate")
    async def deactivate(self, request: Request[Any, Any, Any], user_id: RowId) -> Any:
        async def action() -> str:
            await services.deactivate_user(signed_in(request), user_id)
            return "deactivated"

        return await self._act(request, user_id, action)

    @post("/{user_id:int}/reactivate")
    async def reactivate(self, request: Request[Any, Any, Any], user_id: RowId) -> Any:
        async def action() -> str:
            await services.reactivate_user(signed_in(request), user_id)
            return "reactivated"

        return await self._act(request, user_id, action)

    @post("/{user_id:int}/resend-invitation")
    async def resend_invitation(self, request: Request[Any, Any, Any], user_id: RowId) -> Any:
        async def action() -> str:
            await links.resend_invitation(
                settings_of(request), enqueue_email, signed_in(request), user_id
            )
            return "resent"

        return await self._act(request, user_id, action)
