"""Money back: the funder asks on /pools/<id>/returns/new; administrators see open
requests on /admin/returns and record each after a check-your-answers page
(payments/returns.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template

from groundswell.core.errors import Conflict, Forbidden, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.money import format_money
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, settings_of, signed_in
from groundswell.funders.services import get_pool
from groundswell.ledger import services as ledger
from groundswell.ledger.states import ReturnMethod, ReturnStatus
from groundswell.payments import returns
from groundswell.payments.provider import gateway_for

REQUEST_FORM = "payments/return_request.html"
RECORD_FORM = "payments/return.html"
CHECK = "payments/return_check.html"


async def _request_context(pool_id: int) -> dict[str, Any]:
    pool = await get_pool(pool_id)
    return {"pool": pool, "balances": await ledger.pool_balances(pool_id)}


class ReturnRequestController(Controller):
    path = "/pools/{pool_id:int}/returns"
    guards = [requires_role(Role.FUNDER)]  # noqa: RUF012 - Litestar's API

    @get("/new")
    async def new(self, request: Request[Any, Any, Any], pool_id: RowId) -> Template:
        context = await _request_context(pool_id)
        returns.check_can_ask(signed_in(request), context["pool"])
        return render(REQUEST_FORM, values={}, errors={}, **context)

    @post("/")
    async def create(self, request: Request[Any, Any, Any], pool_id: RowId) -> Any:
        context = await _request_context(pool_id)
        # Who asks is checked before what they typed: another funder learns nothing here.
        returns.check_can_ask(signed_in(request), context["pool"])
        data = await read_form(request)
        try:
            parsed = returns.read_request(data)
            await returns.request_return(signed_in(request), pool_id, parsed)
        except (ValidationFailed, Conflict) as exc:
            return render_form_error(REQUEST_FORM, exc, data, **context)
        return flash_redirect(
            request,
            f"/pools/{pool_id}",
            "Request sent",
            "An administrator will record the money going back"
            + (" and close the pool." if parsed.close_pool else "."),
        )


async def _record_context(return_id: int) -> dict[str, Any]:
    item = await returns.get_return(return_id)
    return {
        "item": item,
        "balances": await ledger.pool_balances(int(item["pool"])),
        "deposits": [
            (
                d["id"],
                f"Deposit {d['id']}: {format_money(d['amount'], d['currency'])} on "
                f"{d['received_on']:%-d %b %Y}, {format_money(d['refundable'], d['currency'])} "
                "left to refund",
            )
            for d in await returns.refundable_deposits(int(item["pool"]))
        ],
        "methods": list(ReturnMethod),
    }


class ReturnAdminController(Controller):
    path = "/admin/returns"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar's API

    @get("/", name="admin_returns")
    async def index(self) -> Template:
        return render(
            "payments/returns.html",
            open_requests=await returns.list_returns(status=ReturnStatus.REQUESTED),
            recorded=await returns.list_returns(status=ReturnStatus.RECORDED),
            declined=await returns.list_returns(status=ReturnStatus.DECLINED),
        )

    @get("/{return_id:int}")
    async def detail(self, return_id: RowId) -> Template:
        return render(RECORD_FORM, values={}, errors={}, **await _record_context(return_id))

    @post("/{return_id:int}/check")
    async def check(self, return_id: RowId, request: Request[Any, Any, Any]) -> Template:
        """Check your answers: renders only, so nothing changes until the next POST."""
        data = await read_form(request)
        context = await _record_context(return_id)
        try:
            parsed = returns.read_record(data, int(context["item"]["amount"]))
            summary = await returns.preview(return_id, parsed)
        except ValidationFailed as exc:
            return render_form_error(RECORD_FORM, exc, data, **context)
        return render(CHECK, values=data, parsed=parsed, **summary)

    @post("/{return_id:int}/record")
    async def record(self, return_id: RowId, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        context = await _record_context(return_id)
        try:
            parsed = returns.read_record(data, int(context["item"]["amount"]))
            settings = settings_of(request)
            result = await returns.record_return(
                signed_in(request), gateway_for(settings), return_id, parsed
            )
        except (ValidationFailed, Conflict, Forbidden) as exc:
            return render_form_error(RECORD_FORM, exc, data, **context)
        item = context["item"]
        heading = "Return recorded" if result.created else "Already recorded"
        text = (
            f"{format_money(item['amount'], item['currency'])} back to {item['funder_name']}."
            + (" The pool is closed." if result.closed else "")
        )
        return flash_redirect(request, "/admin/returns", heading, text)

    @post("/{return_id:int}/decline")
    async def decline(self, return_id: RowId, request: Request[Any, Any, Any]) -> Any:
        """Decline with a reason the funder reads; nothing moves."""
        data = await read_form(request)
        context = await _record_context(return_id)
        try:
            reason = returns.read_decline(data)
            declined = await returns.decline_return(
                signed_in(request),
                return_id,
                reason,
                public_url=settings_of(request).public_url,
            )
        except (ValidationFailed, Conflict, Forbidden) as exc:
            return render_form_error(RECORD_FORM, exc, data, **context)
        item = context["item"]
        return flash_redirect(
            request,
            "/admin/returns",
            "Request declined" if declined else "Already declined",
            f"{item['funder_name']} is told why by e-mail; nothing moved.",
        )
