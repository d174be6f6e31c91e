"""The offline adapter: behaves like Stripe for the embedded default and the demo, keeps its
records in our database, and moves no money. Every page that shows money says so."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

from groundswell.payments.gateway import (
    CheckoutSession,
    ConnectedAccount,
    GatewayError,
    Refund,
    Transfer,
    WebhookEvent,
    WebhookRejected,
)
from groundswell.payments.tables import SimulatedStripeObject
from groundswell.settings import Settings


def _new_id(prefix: str) -> str:
    return f"{prefix}_sim_{secrets.token_hex(8)}"


class OfflineGateway:
    name = "offline"
    simulated = True

    def __init__(self, settings: Settings) -> None:
        self.public_url = settings.public_url.rstrip("/")

    async def _existing(self, idempotency_key: str) -> dict[str, Any] | None:
        row = (
            await SimulatedStripeObject.select(SimulatedStripeObject.data)
            .where(SimulatedStripeObject.idempotency_key == idempotency_key)
            .output(load_json=True)
            .first()
        )
        return row["data"] if row else None

    async def _store(
        self,
        kind: str,
        object_id: str,
        data: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        group_key: str = "",
    ) -> dict[str, Any]:
        rows = (
            await SimulatedStripeObject.insert(
                SimulatedStripeObject(
                    kind=kind,
                    object_id=object_id,
                    data=data,
                    idempotency_key=idempotency_key,
                    group_key=group_key,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(SimulatedStripeObject.id)
        )
        if not rows and idempotency_key:
            existing = await self._existing(idempotency_key)
            if existing is not None:
                return existing
        return data

    async def _load(self, object_id: str, kind: str) -> dict[str, Any]:
        row = (
            await SimulatedStripeObject.select(SimulatedStripeObject.data)
            .where(
                (SimulatedStripeObject.object_id == object_id)
                & (SimulatedStripeObject.kind == kind)
            )
            .output(load_json=True)
            .first()
        )
        if row is None:
            raise GatewayError(
                f"No such {kind}: {object_id}", retryable=False, code="resource_missing"
            )
        data: dict[str, Any] = row["data"]
        return data

    async def save(self, object_id: str, data: dict[str, Any]) -> None:
        await SimulatedStripeObject.update({SimulatedStripeObject.data: json.dumps(data)}).where(
            SimulatedStripeObject.object_id == object_id
        )

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
        if (existing := await self._existing(idempotency_key)) is not None:
            return CheckoutSession(**existing)
        session_id = _new_id("cs")
        data = {
            "id": session_id,
            "url": f"{self.public_url}/payments/simulated/checkout/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "currency": currency.upper(),
            "metadata": metadata,
        }
        return CheckoutSession(
            **await self._store(
                "checkout_session", session_id, data, idempotency_key=idempotency_key
            )
        )

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return CheckoutSession(**await self._load(session_id, "checkout_session"))

    async def complete_checkout_session(self, session_id: str) -> CheckoutSession:
        data = await self._load(session_id, "checkout_session")
        data.update(status="complete", payment_status="paid")
        await self.save(session_id, data)
        return CheckoutSession(**data)

    async def create_connected_account(
        self, *, email: str, metadata: dict[str, str], idempotency_key: str
    ) -> ConnectedAccount:
        if (existing := await self._existing(idempotency_key)) is not None:
            return ConnectedAccount(**existing)
        account_id = _new_id("acct")
        data = {"id": account_id, "details_submitted": False, "payouts_enabled": False}
        return ConnectedAccount(
            **await self._store("account", account_id, data, idempotency_key=idempotency_key)
        )

    async def create_account_link(
        self, *, account_id: str, refresh_url: str, return_url: str
    ) -> str:
        await self._load(account_id, "account")
        return f"{self.public_url}/payments/simulated/onboarding/{account_id}"

    async def retrieve_account(self, account_id: str) -> ConnectedAccount:
        return ConnectedAccount(**await self._load(account_id, "account"))

    async def complete_onboarding(self, account_id: str) -> ConnectedAccount:
        data = await self._load(account_id, "account")
        data.update(details_submitted=True, payouts_enabled=True)
        await self.save(account_id, data)
        return ConnectedAccount(**data)

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
        if (existing := await self._existing(idempotency_key)) is not None:
            return Transfer(**existing)
        account = await self._load(destination, "account")
        if not account["payouts_enabled"]:
            raise GatewayError(
                "The host has not finished onboarding.",
                retryable=False,
                code="insufficient_capabilities_for_transfer",
            )
        transfer_id = _new_id("tr")
        data = {
            "id": transfer_id,
            "amount": amount,
            "currency": currency.upper(),
            "destination": destination,
            "transfer_group": transfer_group,
            "amount_reversed": 0,
            "metadata": metadata,
        }
        return Transfer(
            **await self._store(
                "transfer",
                transfer_id,
                data,
                idempotency_key=idempotency_key,
                group_key=transfer_group,
            )
        )

    async def retrieve_transfer(self, transfer_id: str) -> Transfer:
        return Transfer(**await self._load(transfer_id, "transfer"))

    async def list_transfers(self, *, transfer_group: str | None = None) -> AsyncIterator[Transfer]:
        query = SimulatedStripeObject.select(SimulatedStripeObject.data).where(
            SimulatedStripeObject.kind == "transfer"
        )
        if transfer_group:
            query = query.where(SimulatedStripeObject.group_key == transfer_group)
        for row in await query.order_by(SimulatedStripeObject.id).output(load_json=True):
            yield Transfer(**row["data"])

    async def list_checkout_sessions(self) -> AsyncIterator[CheckoutSession]:
        query = SimulatedStripeObject.select(SimulatedStripeObject.data).where(
            SimulatedStripeObject.kind == "checkout_session"
        )
        for row in await query.order_by(SimulatedStripeObject.id).output(load_json=True):
            yield CheckoutSession(**row["data"])

    async def list_refunds(self) -> AsyncIterator[Refund]:
        query = SimulatedStripeObject.select(SimulatedStripeObject.data).where(
            SimulatedStripeObject.kind == "refund"
        )
        for row in await query.order_by(SimulatedStripeObject.id).output(load_json=True):
            yield Refund(**row["data"])

    async def create_refund(
        self,
        *,
        checkout_session_id: str,
        amount: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> Refund:
        if (existing := await self._existing(idempotency_key)) is not None:
            return Refund(**existing)
        session = await self.retrieve_checkout_session(checkout_session_id)
        if session.payment_status != "paid":
            raise GatewayError(
                "That card payment was never taken, so there is nothing to refund.",
                retryable=False,
                code="charge_not_paid",
            )
        refund_id = _new_id("re")
        data = {
            "id": refund_id,
            "amount": amount,
            "currency": session.currency.upper(),
            # The simulation's sessions name no payment intent: the session stands in for it.
            "payment_intent": session.payment_intent or session.id,
            "status": "succeeded",
        }
        return Refund(
            **await self._store("refund", refund_id, data, idempotency_key=idempotency_key)
        )

    async def platform_balance(self) -> dict[str, int] | None:
        return None

    def verify_webhook(
        self, payload: bytes, signature_header: str, *, connect: bool = False
    ) -> WebhookEvent:
        raise WebhookRejected(
            "Payments are simulated (no STRIPE_API_KEY): there are no Stripe webhooks to accept."
        )
