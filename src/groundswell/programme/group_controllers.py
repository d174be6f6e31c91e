"""Pages for a nominating group's contact: sign in by an e-mailed link, see the group's own
bids, ask to be treated as a bidder, change the contact addresses. No account, no password;
the session cookie is separate from staff sessions and opens nothing else."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect, Template

from groundswell.accounts.controllers import NO_REFERRER, NO_STORE, client_address
from groundswell.core.clock import today
from groundswell.core.errors import DomainError, NotFound
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.web import RowId, settings_of
from groundswell.programme import groups, reminders
from groundswell.programme.bids import durations_from
from groundswell.programme.building_voices import building_page
from groundswell.programme.timeline import asset_timeline, service_timeline

NOTICES = {
    "requested": "Your request to be treated as a potential bidder is recorded. The full "
    "moratorium now runs: the owner cannot sell to anyone else until it ends.",
    "contacts": "The contact addresses are saved. Reminders now go to them.",
}


def _session_cookie(request: Request[Any, Any, Any], token: str, max_age: int) -> Cookie:
    return Cookie(
        key=groups.SESSION_COOKIE,
        value=token,
        httponly=True,
        secure=settings_of(request).secure_cookies,
        samesite="lax",
        max_age=max_age,
        path="/groups",
    )


async def _contact(request: Request[Any, Any, Any]) -> str | None:
    return await groups.contact_for(request.cookies.get(groups.SESSION_COOKIE))


class GroupController(Controller):
    path = "/groups"
    include_in_schema = False
    cache_control = NO_STORE
    response_headers = NO_REFERRER

    @get("/sign-in", name="group_sign_in")
    async def sign_in_form(self) -> Template:
        return render("programme/groups/sign_in.html", values={}, errors={})

    @post("/sign-in")
    async def request_link(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        try:
            await groups.request_link(
                settings_of(request),
                email=str(data.get("email") or ""),
                client_ip=client_address(request),
            )
        except DomainError as exc:
            return render_form_error(
                "programme/groups/sign_in.html", exc, {"email": data.get("email", "")}
            )
        return Redirect("/groups/sign-in/sent")

    @get("/sign-in/sent")
    async def link_sent(self) -> Template:
        return render("programme/groups/link_sent.html")

    @get("/sign-in/{token:str}")
    async def continue_form(self, token: FromPath[str]) -> Template:
        # Mail scanners open links: this page changes nothing; its button does.
        usable = await groups.link_is_usable(token)
        return render(
            "programme/groups/continue.html",
            token=token,
            usable=usable,
            status_code=200 if usable else 404,
        )

    @post("/sign-in/{token:str}")
    async def take_link(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Any:
        try:
            session = await groups.take_link(token, client_ip=client_address(request))
        except DomainError as exc:
            return render(
                "programme/groups/continue.html",
                token=token,
                usable=False,
                problem=exc.detail,
                status_code=exc.status_code,
            )
        max_age = int(groups.SESSION_LIFETIME.total_seconds())
        return Redirect("/groups/bids", cookies=[_session_cookie(request, session, max_age)])

    @post("/sign-out")
    async def sign_out(self, request: Request[Any, Any, Any]) -> Redirect:
        token = request.cookies.get(groups.SESSION_COOKIE)
        if token:
            await groups.sign_out(token)
        return Redirect("/groups/sign-in", cookies=[_session_cookie(request, "", 0)])

    @get("/bids")
    async def my_bids(self, request: Request[Any, Any, Any]) -> Any:
        email = await _contact(request)
        if email is None:
            return Redirect("/groups/sign-in")
        found = await groups.bids_for(email, durations=durations_from(settings_of(request)))
        return render("programme/groups/bids.html", email=email, bids=found, today=today())

    async def _bid_page(
        self, request: Request[Any, Any, Any], key: str, bid_id: int, **extra: Any
    ) -> Any:
        email = await _contact(request)
        if email is None:
            return Redirect("/groups/sign-in")
        kind = groups.kind_for(key)
        found = await groups.bid_for(
            email, kind, bid_id, durations=durations_from(settings_of(request))
        )
        return render(
            "programme/groups/bid.html",
            status_code=extra.pop("status_code", 200),
            email=email,
            item=found,
            bid=found.bid,
            reminders=await reminders.reminders_for(kind.key, bid_id),
            timeline=(asset_timeline if kind.key == "asset" else service_timeline)(
                found.bid, today()
            ),
            can_request=kind.key == "asset" and groups.can_request_to_bid(found.bid),
            building=await building_page(bid_id) if kind.key == "asset" else None,
            today=today(),
            notice=NOTICES.get(request.query_params.get("done") or ""),
            values=extra.pop("values", {"contact_emails": "\n".join(found.bid["emails"])}),
            errors=extra.pop("errors", {}),
            **extra,
        )

    @get("/bids/{kind:str}/{bid_id:int}")
    async def bid(self, request: Request[Any, Any, Any], kind: FromPath[str], bid_id: RowId) -> Any:
        return await self._bid_page(request, kind, bid_id)

    @post("/bids/{kind:str}/{bid_id:int}/request-to-bid")
    async def request_to_bid(
        self, request: Request[Any, Any, Any], kind: FromPath[str], bid_id: RowId
    ) -> Any:
        # One path shape for both kinds: a static "asset" segment would hide the {kind} pages.
        email = await _contact(request)
        if email is None:
            return Redirect("/groups/sign-in")
        if kind != "asset":
            raise groups.NotYourBid()
        try:
            await groups.request_to_bid(
                email, bid_id, durations=durations_from(settings_of(request))
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._bid_page(
                request,
                "asset",
                bid_id,
                status_code=422 if exc.status_code == 400 else exc.status_code,
                form_error=exc.detail,
                errors=exc.field_errors,
            )
        return Redirect(f"/groups/bids/asset/{bid_id}?done=requested")

    @post("/bids/{kind:str}/{bid_id:int}/contacts")
    async def update_contacts(
        self, request: Request[Any, Any, Any], kind: FromPath[str], bid_id: RowId
    ) -> Any:
        email = await _contact(request)
        if email is None:
            return Redirect("/groups/sign-in")
        data = await read_form(request)
        bid_kind = groups.kind_for(kind)
        try:
            await groups.update_contacts(
                email, bid_kind, bid_id, dict(data), durations=durations_from(settings_of(request))
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._bid_page(
                request,
                kind,
                bid_id,
                status_code=422 if exc.status_code == 400 else exc.status_code,
                form_error=exc.detail,
                errors=exc.field_errors,
                values={"contact_emails": data.get("contact_emails", "")},
            )
        if await groups.contact_for(request.cookies.get(groups.SESSION_COOKIE)) is None:
            return Redirect("/groups/sign-in")  # they took their own address off every bid
        return Redirect(f"/groups/bids/{kind}/{bid_id}?done=contacts")
