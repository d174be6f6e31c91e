from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from groundswell.community.services import get_host
from groundswell.community.tables import HostOrganisation
from groundswell.core.csv import csv_download, write_csv
from groundswell.core.errors import Forbidden, NotFound, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.pages import render
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, settings_of, signed_in
from groundswell.funders.cofunders import can_see_pool_money
from groundswell.funders.services import get_pool
from groundswell.payments import (  # noqa: F401 - checkout and payouts register handlers
    checkout,
    findings,
    payouts,
    services,
    statements,
)
from groundswell.payments.gateway import GatewayError, WebhookRejected
from groundswell.payments.offline import OfflineGateway
from groundswell.payments.provider import gateway_for


class OnboardingController(Controller):
    include_in_schema = False
    path = "/hosts/{host_id:int}/payments"
    guards = (requires_role(Role.ADMIN, Role.HOST),)

    @post("/onboard", name="host_onboard")
    async def onboard(self, request: Request[Any, Any, Any], host_id: RowId) -> Any:
        return await self._redirect_to_onboarding(request, host_id)

    @get("/onboard", name="host_onboard_refresh")
    async def refresh_link(self, request: Request[Any, Any, Any], host_id: RowId) -> Template:
        """Stripe sends the host here when an onboarding link expired. A GET changes nothing
        (a link on another site could send a host's browser here): a button asks for the
        new link, by POST."""
        await self._own_host(request, host_id)
        return render(
            "payments/continue.html",
            host_id=host_id,
            action=f"/hosts/{host_id}/payments/onboard",
            heading="Continue setting up payments",
            detail="Your link to Stripe expired. Ask for a new one to carry on where you left off.",
            button="Continue with Stripe",
        )

    async def _redirect_to_onboarding(self, request: Request[Any, Any, Any], host_id: int) -> Any:
        settings = settings_of(request)
        try:
            url = await services.start_onboarding(
                settings, gateway_for(settings), signed_in(request), host_id
            )
        except GatewayError as exc:
            return render(
                "payments/problem.html", status_code=502, host_id=host_id, detail=str(exc)
            )
        return Redirect(url)

    async def _own_host(self, request: Request[Any, Any, Any], host_id: int) -> dict[str, Any]:
        if not signed_in(request).can_manage_host(host_id):
            raise Forbidden("You can only see your own host organisation.")
        return await get_host(host_id)

    @get("/return", name="host_onboard_return")
    async def returned(self, request: Request[Any, Any, Any], host_id: RowId) -> Template:
        """Stripe sends the host back here. Read-only (no GET changes state): Stripe's
        account.updated webhook brings the new state anyway; the button checks now."""
        await self._own_host(request, host_id)
        return render(
            "payments/continue.html",
            host_id=host_id,
            action=f"/hosts/{host_id}/payments/return",
            heading="Welcome back from Stripe",
            detail="Check your payment details now to see whether Stripe has everything it needs.",
            button="Check my payment details",
        )

    @post("/return", name="host_onboard_check")
    async def check_after_return(self, request: Request[Any, Any, Any], host_id: RowId) -> Redirect:
        host = await self._own_host(request, host_id)
        if host["stripe_account_id"]:
            settings = settings_of(request)
            # If Stripe is unreachable now, its account.updated webhook brings the state later.
            with contextlib.suppress(GatewayError):
                await services.refresh_account(
                    settings, gateway_for(settings), host["stripe_account_id"]
                )
        return flash_redirect(
            request,
            f"/hosts/{host_id}",
            "Payment details checked",
            "What Stripe says about your account is below.",
        )


class HostStatementController(Controller):
    include_in_schema = False
    path = "/hosts/{host_id:int}/statement.csv"
    guards = (requires_role(Role.ADMIN, Role.HOST),)

    @get("/", name="host_statement")
    async def statement(
        self,
        request: Request[Any, Any, Any],
        host_id: RowId,
    ) -> Response[bytes] | Redirect:
        """Payments received between two dates (inclusive), for the host's accounts."""
        if not signed_in(request).can_manage_host(host_id):
            raise Forbidden("You can only see your own host organisation's statement.")
        await get_host(host_id)
        raw_from, raw_to = request.query_params.get("from"), request.query_params.get("to")
        try:
            first, last = statements.read_statement_range(raw_from, raw_to)
        except ValidationFailed:
            # Back to the form, where the host page shows what is wrong beside the dates.
            query = urlencode({"from": raw_from or "", "to": raw_to or ""})
            return Redirect(f"/hosts/{host_id}?{query}#statement", status_code=303)
        rows = await statements.statement(host_id, first, last)
        filename = f"groundswell-host-{host_id}-{first.isoformat()}-{last.isoformat()}.csv"
        text = write_csv(
            list(statements.STATEMENT_COLUMNS), rows, headings=statements.STATEMENT_COLUMNS
        )
        return csv_download(text, filename)


class SimulatedStripeController(Controller):
    """Stand-ins for Stripe's hosted pages when payments are simulated (no STRIPE_API_KEY)."""

    include_in_schema = False
    path = "/payments/simulated"

    def _offline(self, request: Request[Any, Any, Any]) -> OfflineGateway:
        gateway = gateway_for(settings_of(request))
        if not isinstance(gateway, OfflineGateway):
            raise NotFound("Payments are not simulated here.")
        return gateway

    @get(
        "/onboarding/{account_id:str}",
        name="simulated_onboarding",
        guards=[requires_role(Role.ADMIN, Role.HOST)],
    )
    async def onboarding_page(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> Template:
        try:
            account = await self._offline(request).retrieve_account(account_id)
        except GatewayError:
            raise NotFound("There is no such simulated account.") from None
        return render("payments/simulated_onboarding.html", account=account)

    async def _session_for_funder(
        self, request: Request[Any, Any, Any], session_id: str
    ) -> tuple[OfflineGateway, Any, dict[str, Any]]:
        gateway = self._offline(request)
        intent = await checkout.intent_for_session(session_id)
        if intent is None:
            raise NotFound("There is no such simulated checkout.")
        pool = await get_pool(intent["pool"])
        if not await can_see_pool_money(signed_in(request), pool):
            raise NotFound("There is no such checkout for your pools.")
        return gateway, await gateway.retrieve_checkout_session(session_id), pool

    @get(
        "/checkout/{session_id:str}",
        name="simulated_checkout",
        guards=[requires_role(Role.ADMIN, Role.FUNDER)],
    )
    async def checkout_page(
        self, request: Request[Any, Any, Any], session_id: FromPath[str]
    ) -> Template:
        _, session, pool = await self._session_for_funder(request, session_id)
        return render("payments/simulated_checkout.html", session=session, pool=pool)

    @post("/checkout/{session_id:str}", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def complete_checkout(
        self, request: Request[Any, Any, Any], session_id: FromPath[str]
    ) -> Redirect:
        gateway, session, pool = await self._session_for_funder(request, session_id)
        await gateway.complete_checkout_session(session_id)
        # What Stripe's checkout.session.completed webhook does, done directly.
        await checkout.apply_checkout_session(gateway, session_id)
        intent_id = session.metadata.get("intent_id", "")
        return Redirect(f"/pools/{pool['id']}?topped_up={intent_id}", status_code=303)

    @post("/onboarding/{account_id:str}", guards=[requires_role(Role.ADMIN, Role.HOST)])
    async def complete_onboarding(
        self, request: Request[Any, Any, Any], account_id: FromPath[str]
    ) -> Redirect:
        gateway = self._offline(request)
        host = (
            await HostOrganisation.select(HostOrganisation.id)
            .where(HostOrganisation.stripe_account_id == account_id)
            .first()
        )
        if host is None or not signed_in(request).can_manage_host(host["id"]):
            raise NotFound("There is no such account for your host organisation.")
        await gateway.complete_onboarding(account_id)
        # What Stripe's account.updated webhook does, done directly: there is no webhook here.
        await services.refresh_account(settings_of(request), gateway, account_id)
        return Redirect(f"/hosts/{host['id']}")


@post(
    "/webhooks/stripe",
    name="stripe_webhook",
    include_in_schema=False,
    request_max_body_size=512 * 1024,
)
async def stripe_webhook(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """The platform's own events (Checkout, transfers), signed with STRIPE_WEBHOOK_SECRET."""
    return await _receive_webhook(request, connect=False)


@post(
    "/webhooks/stripe/connect",
    name="stripe_connect_webhook",
    include_in_schema=False,
    request_max_body_size=512 * 1024,
)
async def stripe_connect_webhook(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Connected accounts' events (account.updated moves a host's onboarding): Stripe sends
    them to a Connect endpoint of their own, signed with STRIPE_CONNECT_WEBHOOK_SECRET."""
    return await _receive_webhook(request, connect=True)


async def _receive_webhook(
    request: Request[Any, Any, Any], *, connect: bool
) -> Response[dict[str, str]]:
    settings = settings_of(request)
    secret, secret_name = (
        (settings.stripe_connect_webhook_secret, "STRIPE_CONNECT_WEBHOOK_SECRET")
        if connect
        else (settings.stripe_webhook_secret, "STRIPE_WEBHOOK_SECRET")
    )
    if not settings.stripe_api_key or not secret:
        return Response(
            {"error": f"Stripe is not configured here (STRIPE_API_KEY and {secret_name})."},
            status_code=503,
        )
    gateway = gateway_for(settings)
    payload = await request.body()
    try:
        event = gateway.verify_webhook(
            payload, request.headers.get("stripe-signature", ""), connect=connect
        )
    except WebhookRejected as exc:
        return Response({"error": f"Signature check failed: {exc}"}, status_code=400)
    if connect and not event.account:
        # Signed with the Connect secret yet about no connected account: not for this endpoint.
        return Response(
            {"error": "A Connect event names its connected account; this one names none."},
            status_code=400,
        )
    try:
        outcome = await services.receive_event(settings, gateway, event)
    except GatewayError as exc:
        # Not applied: a 5xx makes Stripe deliver it again later.
        return Response({"error": str(exc)}, status_code=503 if exc.retryable else 200)
    return Response({"received": event.id, "outcome": outcome}, status_code=200)


@get(
    "/admin/reconciliation",
    name="admin_reconciliation",
    guards=[requires_role(Role.ADMIN)],
    include_in_schema=False,
)
async def admin_reconciliation(request: Request[Any, Any, Any]) -> Template:
    settings = settings_of(request)
    return render(
        "payments/reconciliation.html",
        open_differences=await findings.open_differences(),
        resolved=await findings.recently_resolved(),
        provider=gateway_for(settings).name,
    )
