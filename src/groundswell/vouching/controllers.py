from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from groundswell.core import ratelimit
from groundswell.core.errors import DomainError, TooManyRequests
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Role
from groundswell.core.web import RowId, principal_of, requires_role, settings_of, signed_in
from groundswell.outbox import services as outbox
from groundswell.vouching import moderation
from groundswell.vouching.queries import audience_of
from groundswell.vouching.recording import source_hash
from groundswell.vouching.states import Theme
from groundswell.vouching.web_vouch import (
    confirm_web_vouch,
    organiser_for_vouching,
    pending_verification,
    start_web_vouch,
)

THEMES = [
    (Theme.VALUE.value, "What I value in their work"),
    (Theme.CONCERN.value, "A concern"),
    (Theme.HOPE.value, "A hope for what comes next"),
    (Theme.IDEA.value, "An idea"),
]


def _client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class VouchController(Controller):
    include_in_schema = False
    path = "/vouch"

    @get("/{code:str}", name="vouch")
    async def form(self, code: FromPath[str]) -> Template:
        organiser = await organiser_for_vouching(code)
        return render(
            "vouching/vouch.html",
            organiser=organiser,
            themes=THEMES,
            values={"theme": "value"},
            errors={},
        )

    @post("/{code:str}")
    async def start(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        organiser = await organiser_for_vouching(code)
        data = await read_form(request)
        try:
            started = await start_web_vouch(
                settings_of(request), code, data, client_ip=_client_ip(request)
            )
        except DomainError as exc:
            return render_form_error(
                "vouching/vouch.html", exc, data, organiser=organiser, themes=THEMES
            )
        return Redirect(f"/vouch/{organiser['code']}/confirm?t={started.token}")

    @get("/{code:str}/confirm", name="vouch_confirm")
    async def confirm_form(self, code: FromPath[str], t: FromQuery[str] = "") -> Template:
        pending = await pending_verification(t)
        return render("vouching/confirm.html", pending=pending, token=t, values={}, errors={})

    @post("/{code:str}/confirm")
    async def confirm(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Any:
        data = await read_form(request)
        token = str(data.get("t") or "")
        pending = await pending_verification(token)
        try:
            result = await confirm_web_vouch(
                settings_of(request), token, str(data.get("code") or "")
            )
        except DomainError as exc:
            pending = await pending_verification(token)
            return render_form_error("vouching/confirm.html", exc, {}, pending=pending, token=token)
        return render(
            "vouching/thanks.html",
            organiser_name=result.organiser_name,
            replaced=result.replaced,
            code=pending["organiser_code"],
        )


class ReportController(Controller):
    include_in_schema = False
    path = "/testimony"

    @post("/{public_ref:str}/report", name="report_testimony")
    async def report(self, request: Request[Any, Any, Any], public_ref: FromPath[str]) -> Template:
        """Anyone who can read a testimony may ask a moderator to look at it. Unknown and
        unreadable references get the same 404, so guessing learns nothing."""
        if not await ratelimit.hit(
            f"report:ip:{_client_ip(request)}", limit=20, window=timedelta(hours=1)
        ):
            raise TooManyRequests("Too many reports from this connection. Please try again later.")
        principal = principal_of(request)
        # One report per source per voice: the signed-in session, else the address.
        source = (
            f"session:{principal.session_id}"
            if principal is not None and principal.session_id is not None
            else f"address:{ratelimit.source_key(_client_ip(request))}"
        )
        data = await read_form(request)
        await moderation.report(
            public_ref,
            str(data.get("reason") or ""),
            audience=audience_of(principal),
            source=source_hash(settings_of(request), source),
        )
        return render("vouching/reported.html")


class ModerationController(Controller):
    include_in_schema = False
    path = "/admin/moderation"
    guards = (requires_role(Role.ADMIN),)

    @get("/", name="moderation")
    async def index(self) -> Template:
        return render(
            "vouching/moderation.html",
            items=await moderation.queue(),
            sources=await moderation.reports_by_source(),
        )

    @post("/{endorsement_id:int}")
    async def decide(self, request: Request[Any, Any, Any], endorsement_id: RowId) -> Redirect:
        data = await read_form(request)
        await moderation.decide(
            signed_in(request),
            endorsement_id,
            str(data.get("action") or ""),
            str(data.get("note") or ""),
        )
        return Redirect("/admin/moderation")


class OutboxController(Controller):
    include_in_schema = False
    path = "/admin/outbox"
    guards = (requires_role(Role.ADMIN),)

    @get("/", name="outbox")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        from groundswell.outbox.adapters import sms_sender

        return render(
            "vouching/outbox.html",
            messages=await outbox.recent(),
            purposes=outbox.PURPOSE_LABELS,
            adapter=sms_sender(settings_of(request)).name,
        )
