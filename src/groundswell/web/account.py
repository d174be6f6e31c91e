"""Forgotten passwords: the page composes accounts (the link) with the outbox (its e-mail)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from groundswell.accounts import links
from groundswell.accounts.controllers import NO_STORE, client_address
from groundswell.core.errors import DomainError
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.web import settings_of
from groundswell.outbox.services import enqueue_email


class ForgottenPasswordController(Controller):
    include_in_schema = False
    path = "/account/forgotten-password"
    cache_control = NO_STORE

    @get("/", name="forgotten_password")
    async def form(self, sent: FromQuery[str | None] = None) -> Template:
        return render("accounts/forgotten_password.html", values={}, errors={}, sent=bool(sent))

    @post("/")
    async def send(self, request: Request[Any, Any, Any]) -> Any:
        """The same answer whether or not the address has an account (or was asked for too
        often): only a malformed address, or a source asking far too often, is told so."""
        data = await read_form(request)
        try:
            await links.request_password_reset(
                settings_of(request),
                enqueue_email,
                email=str(data.get("email") or ""),
                client_ip=client_address(request),
            )
        except DomainError as exc:
            return render_form_error(
                "accounts/forgotten_password.html", exc, {"email": data.get("email", "")}
            )
        return Redirect("/account/forgotten-password?sent=1", status_code=303)
