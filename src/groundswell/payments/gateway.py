"""The payment provider behind one small interface: Stripe, or an offline simulation.

Everything the rest of Groundswell knows about Stripe is here and in the two adapters. Each
call that creates something takes an idempotency key built from our own row ids, so a retry
after a crash can never create it twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol


class GatewayError(Exception):
    """The provider refused. `retryable` errors may succeed later with the same request."""

    def __init__(self, message: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class WebhookRejected(Exception):
    """A webhook whose signature or timestamp did not verify."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    status: str  # open, complete, expired
    payment_status: str  # unpaid, paid
    amount_total: int
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)
    payment_intent: str = ""  # the payment a paid session made (refunds point at it)


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    currency: str
    payment_intent: str
    status: str  # pending, succeeded, failed, canceled


@dataclass(frozen=True)
class ConnectedAccount:
    id: str
    details_submitted: bool
    payouts_enabled: bool


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    currency: str
    destination: str
    transfer_group: str
    amount_reversed: int
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def reversed_fully(self) -> bool:
        return self.amount_reversed >= self.amount


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    object_id: str
    object_type: str
    account: str = ""  # the connected account a Connect event is about ("" for the platform's)


class PaymentGateway(Protocol):
    name: str
    simulated: bool

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
    ) -> CheckoutSession: ...

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession: ...

    async def create_connected_account(
        self, *, email: str, metadata: dict[str, str], idempotency_key: str
    ) -> ConnectedAccount: ...

    async def create_account_link(
        self, *, account_id: str, refresh_url: str, return_url: str
    ) -> str: ...

    async def retrieve_account(self, account_id: str) -> ConnectedAccount: ...

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
    ) -> Transfer: ...

    async def retrieve_transfer(self, transfer_id: str) -> Transfer: ...

    def list_transfers(self, *, transfer_group: str | None = None) -> AsyncIterator[Transfer]: ...

    def list_checkout_sessions(self) -> AsyncIterator[CheckoutSession]: ...

    def list_refunds(self) -> AsyncIterator[Refund]: ...

    async def create_refund(
        self,
        *,
        checkout_session_id: str,
        amount: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> Refund:
        """Refund `amount` of the card payment a paid Checkout Session made (a top-up)."""
        ...

    async def platform_balance(self) -> dict[str, int] | None:
        """Available plus pending per currency (upper case); None where there is none to
        compare (the offline adapter holds no money)."""
        ...

    def verify_webhook(
        self, payload: bytes, signature_header: str, *, connect: bool = False
    ) -> WebhookEvent:
        """Check the signature with the platform endpoint's secret, or with the Connect
        endpoint's (`connect=True`): Stripe signs each endpoint with its own."""
        ...
