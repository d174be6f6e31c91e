"""Host onboarding to Stripe Connect and the Stripe webhook trigger.

Webhooks are triggers, not truth: verify the signature, record the event id once, re-fetch
the object from Stripe, and apply a change that is a no-op when already applied, whatever
order the events arrive in.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from groundswell.community.tables import HostOrganisation
from groundswell.core.clock import now
from groundswell.core.errors import Forbidden, NotFound
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.payments.gateway import PaymentGateway, WebhookEvent
from groundswell.payments.tables import StripeEvent
from groundswell.settings import Settings

log = logging.getLogger("groundswell.payments")

EventHandler = Callable[[Settings, PaymentGateway, WebhookEvent], Awaitable[str]]
_handlers: dict[str, EventHandler] = {}


def handles(event_type: str) -> Callable[[EventHandler], EventHandler]:
    def register(handler: EventHandler) -> EventHandler:
        _handlers[event_type] = handler
        return handler

    return register


async def start_onboarding(
    settings: Settings, gateway: PaymentGateway, principal: Principal, host_id: int
) -> str:
    """The Stripe-hosted onboarding URL for this host, creating its Express account once."""
    if not principal.can_manage_host(host_id):
        raise Forbidden("You can only set up payments for your own host organisation.")
    host = await HostOrganisation.select().where(HostOrganisation.id == host_id).first()
    if host is None:
        raise NotFound(f"There is no host organisation {host_id}.")
    account_id = host["stripe_account_id"]
    if account_id is None:
        # The key is our host id: a crash and a second click reuse the same account.
        account = await gateway.create_connected_account(
            email=host["contact_email"],
            metadata={"host_id": str(host_id)},
            idempotency_key=f"groundswell-host-{host_id}-account",
        )
        async with write_transaction():
            await HostOrganisation.update({HostOrganisation.stripe_account_id: account.id}).where(
                (HostOrganisation.id == host_id) & HostOrganisation.stripe_account_id.is_null()
            )
        refreshed = (
            await HostOrganisation.select(HostOrganisation.stripe_account_id)
            .where(HostOrganisation.id == host_id)
            .first()
        )
        account_id = refreshed["stripe_account_id"] if refreshed else account.id
    base = settings.public_url.rstrip("/")
    return await gateway.create_account_link(
        account_id=account_id,
        refresh_url=f"{base}/hosts/{host_id}/payments/onboard",
        return_url=f"{base}/hosts/{host_id}/payments/return",
    )


async def refresh_account(settings: Settings, gateway: PaymentGateway, account_id: str) -> str:
    """Copy the account's onboarding state from Stripe; then pay anything held for the host."""
    account = await gateway.retrieve_account(account_id)
    host = (
        await HostOrganisation.select(HostOrganisation.id, HostOrganisation.stripe_payouts_enabled)
        .where(HostOrganisation.stripe_account_id == account_id)
        .first()
    )
    if host is None:
        return f"no host has account {account_id}"
    await HostOrganisation.update(
        {
            HostOrganisation.stripe_details_submitted: account.details_submitted,
            HostOrganisation.stripe_payouts_enabled: account.payouts_enabled,
        }
    ).where(HostOrganisation.id == host["id"])
    for listener in _onboarding_listeners:
        if account.payouts_enabled and not host["stripe_payouts_enabled"]:
            await listener(settings, host["id"])
    return f"host {host['id']}: details submitted {account.details_submitted}, payouts enabled {account.payouts_enabled}"


OnboardingListener = Callable[[Settings, int], Awaitable[None]]
_onboarding_listeners: list[OnboardingListener] = []


def on_payouts_enabled(listener: OnboardingListener) -> OnboardingListener:
    """Payouts registers here to release money held for a host the moment it can be paid."""
    _onboarding_listeners.append(listener)
    return listener


@handles("account.updated")
async def _account_updated(settings: Settings, gateway: PaymentGateway, event: WebhookEvent) -> str:
    return await refresh_account(settings, gateway, event.object_id)


async def receive_event(settings: Settings, gateway: PaymentGateway, event: WebhookEvent) -> str:
    """Apply one verified event at most once; unknown types are recorded and ignored."""
    rows = (
        await StripeEvent.insert(
            StripeEvent(event_id=event.id, event_type=event.type, object_id=event.object_id)
        )
        .on_conflict(action="DO NOTHING")
        .returning(StripeEvent.id)
    )
    if not rows:
        existing = (
            await StripeEvent.select(StripeEvent.processed_at)
            .where(StripeEvent.event_id == event.id)
            .first()
        )
        if existing is not None and existing["processed_at"] is not None:
            return "duplicate"
    handler = _handlers.get(event.type)
    outcome = "ignored" if handler is None else await handler(settings, gateway, event)
    await StripeEvent.update(
        {StripeEvent.processed_at: now(), StripeEvent.outcome: outcome[:200]}
    ).where(StripeEvent.event_id == event.id)
    return outcome
