"""The Stripe adapter: the official SDK (async), pointed at STRIPE_API_BASE when set."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, cast

import stripe

from groundswell.payments.gateway import (
    CheckoutSession,
    ConnectedAccount,
    GatewayError,
    Refund,
    Transfer,
    WebhookEvent,
    WebhookRejected,
)
from groundswell.settings import Settings

WEBHOOK_TOLERANCE_SECONDS = 300


def _refuse_future_timestamp(signature_header: str, *, now: float | None = None) -> None:
    """The SDK refuses a timestamp older than the tolerance but not one in the future, so a
    signature made for tomorrow would verify all day. Refuse both directions; the SDK still
    checks the signature itself (and the past)."""
    for item in signature_header.split(","):
        key, _, value = item.strip().partition("=")
        if key != "t":
            continue
        try:
            timestamp = int(value)
        except ValueError:
            raise WebhookRejected("Unable to extract timestamp from the header.") from None
        current = time.time() if now is None else now
        if timestamp - current > WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected("Timestamp is in the future, outside the tolerance zone.")


def _metadata(obj: Any) -> dict[str, str]:
    raw = obj["metadata"] if "metadata" in obj and obj["metadata"] is not None else {}
    # stripe 16 objects are not dicts: `.to_dict()` gives a plain one.
    plain = raw.to_dict() if hasattr(raw, "to_dict") else dict(raw)
    return {str(k): str(v) for k, v in plain.items()}


def _transfer(obj: Any) -> Transfer:
    return Transfer(
        id=obj["id"],
        amount=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
        destination=str(obj["destination"]),
        transfer_group=str(obj["transfer_group"] or ""),
        amount_reversed=int(obj["amount_reversed"] or 0),
        metadata=_metadata(obj),
    )


def _session(obj: Any) -> CheckoutSession:
    return CheckoutSession(
        id=obj["id"],
        url=str(obj["url"] or ""),
        status=str(obj["status"]),
        payment_status=str(obj["payment_status"]),
        amount_total=int(obj["amount_total"] or 0),
        currency=str(obj["currency"]).upper(),
        metadata=_metadata(obj),
        payment_intent=_id_of(_optional(obj, "payment_intent")),
    )


def _optional(obj: Any, name: str) -> Any:
    # stripe 16 objects are not dicts (no .get); a field a response leaves out is absent.
    try:
        return obj[name]
    except KeyError:
        return None


def _id_of(value: Any) -> str:
    """An id whether Stripe gave the id or the expanded object."""
    if value is None:
        return ""
    return str(value if isinstance(value, str) else value["id"])


def _account(obj: Any) -> ConnectedAccount:
    return ConnectedAccount(
        id=obj["id"],
        details_submitted=bool(obj["details_submitted"]),
        payouts_enabled=bool(obj["payouts_enabled"]),
    )


def _error(exc: stripe.StripeError) -> GatewayError:
    # Stripe says what can be retried: connection problems, rate limits, 5xx and 409 conflicts.
    retryable = (
        isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError))
        or (exc.http_status or 0) >= 500
        or exc.http_status == 409
    )
    return GatewayError(
        f"Stripe: {exc.user_message or type(exc).__name__}",
        retryable=retryable,
        code=str(exc.code or ""),
    )


class StripeGateway:
    name = "stripe"
    simulated = False

    def __init__(self, settings: Settings) -> None:
        options: dict[str, Any] = {
            "http_client": stripe.HTTPXClient(allow_sync_methods=True),
            "max_network_retries": 2,
        }
        if settings.stripe_api_base:
            options["base_addresses"] = {
                "api": settings.stripe_api_base,
                "connect": settings.stripe_api_base,
            }
        self.client = stripe.StripeClient(settings.stripe_api_key, **options)
        self.webhook_secret = settings.stripe_webhook_secret
        self.connect_webhook_secret = settings.stripe_connect_webhook_secret

    async def create_checkout_session(
        self,
        *,
        amount: int,
        currency: str,
        description: str,
        metadata: dict[str, str],
        success_url: str,
        cancel_url: str,
        customer_email: str,
        idempotency_key: str,
    ) -> CheckoutSession:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": description},
                    },
                    "quantity": 1,
                }
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer_email:
            params["customer_email"] = customer_email
        try:
            session = await self.client.v1.checkout.sessions.create_async(
                cast(Any, params), {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return _session(session)

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        try:
            return _session(await self.client.v1.checkout.sessions.retrieve_async(session_id))
        except stripe.StripeError as exc:
            raise _error(exc) from None

    async def create_connected_account(
        self, *, email: str, metadata: dict[str, str], idempotency_key: str
    ) -> ConnectedAccount:
        params: dict[str, Any] = {
            "type": "express",
            "country": "GB",
            "capabilities": {"transfers": {"requested": True}},
            "business_type": "non_profit",
            "metadata": metadata,
        }
        if email:
            params["email"] = email
        try:
            return _account(
                await self.client.v1.accounts.create_async(
                    cast(Any, params), {"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None

    async def create_account_link(
        self, *, account_id: str, refresh_url: str, return_url: str
    ) -> str:
        try:
            link = await self.client.v1.account_links.create_async(
                {
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return str(link["url"])

    async def retrieve_account(self, account_id: str) -> ConnectedAccount:
        try:
            return _account(await self.client.v1.accounts.retrieve_async(account_id))
        except stripe.StripeError as exc:
            raise _error(exc) from None

    async def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        transfer_group: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
    ) -> Transfer:
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": metadata,
            "description": description,
        }
        try:
            return _transfer(
                await self.client.v1.transfers.create_async(
                    cast(Any, params), {"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None

    async def retrieve_transfer(self, transfer_id: str) -> Transfer:
        try:
            return _transfer(await self.client.v1.transfers.retrieve_async(transfer_id))
        except stripe.StripeError as exc:
            raise _error(exc) from None

    async def list_transfers(self, *, transfer_group: str | None = None) -> AsyncIterator[Transfer]:
        params: dict[str, Any] = {"limit": 100}
        if transfer_group:
            params["transfer_group"] = transfer_group
        try:
            page = await self.client.v1.transfers.list_async(cast(Any, params))
            async for item in page.auto_paging_iter():
                yield _transfer(item)
        except stripe.StripeError as exc:
            raise _error(exc) from None

    async def list_checkout_sessions(self) -> AsyncIterator[CheckoutSession]:
        try:
            page = await self.client.v1.checkout.sessions.list_async({"limit": 100})
            async for item in page.auto_paging_iter():
                yield _session(item)
        except stripe.StripeError as exc:
            raise _error(exc) from None

    async def list_refunds(self) -> AsyncIterator[Refund]:
        try:
            page = await self.client.v1.refunds.list_async({"limit": 100})
            async for item in page.auto_paging_iter():
                yield Refund(
                    id=str(item["id"]),
                    amount=int(item["amount"]),
                    currency=str(item["currency"]).upper(),
                    payment_intent=_id_of(item["payment_intent"]),
                    status=str(item["status"]),
                )
        except stripe.StripeError as exc:
            raise _error(exc) from None

    async def create_refund(
        self,
        *,
        checkout_session_id: str,
        amount: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> Refund:
        session = await self.retrieve_checkout_session(checkout_session_id)
        if not session.payment_intent:
            raise GatewayError(
                f"Checkout Session {checkout_session_id} made no payment to refund.",
                retryable=False,
                code="no_payment_intent",
            )
        params = {"payment_intent": session.payment_intent, "amount": amount, "metadata": metadata}
        try:
            item = await self.client.v1.refunds.create_async(
                cast(Any, params), {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _error(exc) from None
        return Refund(
            id=str(item["id"]),
            amount=int(item["amount"]),
            currency=str(item["currency"]).upper(),
            payment_intent=_id_of(item["payment_intent"]),
            status=str(item["status"]),
        )

    async def platform_balance(self) -> dict[str, int] | None:
        try:
            balance = await self.client.v1.balance.retrieve_async()
        except stripe.StripeError as exc:
            raise _error(exc) from None
        totals: dict[str, int] = {}
        for part in ("available", "pending"):
            for entry in balance[part] or []:
                currency = str(entry["currency"]).upper()
                totals[currency] = totals.get(currency, 0) + int(entry["amount"])
        return totals

    def verify_webhook(
        self, payload: bytes, signature_header: str, *, connect: bool = False
    ) -> WebhookEvent:
        secret, name = (
            (self.connect_webhook_secret, "STRIPE_CONNECT_WEBHOOK_SECRET")
            if connect
            else (self.webhook_secret, "STRIPE_WEBHOOK_SECRET")
        )
        if not secret:
            raise WebhookRejected(f"{name} is not set; webhooks cannot be verified.")
        _refuse_future_timestamp(signature_header)
        try:
            event = stripe.Webhook.construct_event(
                payload, signature_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookRejected(str(exc)) from None
        try:
            obj = event["data"]["object"]
            return WebhookEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                object_id=str(obj["id"]),
                object_type=str(obj["object"]),
                account=str(event["account"]) if "account" in event else "",
            )
        except (KeyError, TypeError, AttributeError) as exc:
            # Signed, yet not shaped like an event: refuse it rather than fail.
            raise WebhookRejected(f"The event is missing {exc}.") from None
