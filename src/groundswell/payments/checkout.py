"""Funders top up a pool by card through Stripe Checkout (or its offline stand-in).

The intent row comes first and its id is the session's idempotency key; the pool is credited
when the session is paid, by the checkout.session.completed webhook (a trigger: we re-fetch
the session) or the simulated payment page, through the same function, exactly once.
"""

from __future__ import annotations

from typing import Any

from groundswell.core.clock import now, today
from groundswell.core.forms import FieldReader
from groundswell.core.ids import parse_row_id
from groundswell.core.money import format_money
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.funders.cofunders import paying_funder, pool_to_fund
from groundswell.funders.services import refuse_if_closed
from groundswell.funders.states import DepositMethod
from groundswell.funders.tables import Deposit, Pool
from groundswell.ledger import services as ledger
from groundswell.ledger.deposits import MAX_DEPOSIT
from groundswell.ledger.states import AccountKind, TransactionKind
from groundswell.payments import services
from groundswell.payments.gateway import PaymentGateway, WebhookEvent
from groundswell.payments.tables import CheckoutIntent
from groundswell.settings import Settings

MIN_TOP_UP = 1_00


def read_top_up(raw: Any) -> int:
    fields = FieldReader(raw)
    amount = fields.money("amount")
    if amount is not None and not MIN_TOP_UP <= amount <= MAX_DEPOSIT:
        fields.errors["amount"] = (
            f"Enter an amount from {format_money(MIN_TOP_UP)} to {format_money(MAX_DEPOSIT)}."
        )
    fields.check("The top-up could not be started.")
    assert amount is not None
    return amount


async def start_top_up(
    settings: Settings,
    gateway: PaymentGateway,
    principal: Principal,
    pool_id: int,
    amount: int,
) -> str:
    """Record the intent, open its Checkout Session; the URL to send the funder to."""
    pool = await pool_to_fund(principal, pool_id)
    await refuse_if_closed(pool_id, "top-ups")
    rows = await CheckoutIntent.insert(
        CheckoutIntent(
            pool=pool_id,
            funder=await paying_funder(principal, pool),
            amount=amount,
            currency=pool["currency"],
            requested_by=principal.user_id,
            created_at=now(),
        )
    ).returning(CheckoutIntent.id)
    intent_id = int(rows[0]["id"])
    base = settings.public_url.rstrip("/")
    session = await gateway.create_checkout_session(
        amount=amount,
        currency=pool["currency"],
        description=f"Top up: {pool['name']}",
        metadata={"pool_id": str(pool_id), "intent_id": str(intent_id)},
        success_url=f"{base}/pools/{pool_id}?topped_up={intent_id}",
        cancel_url=f"{base}/pools/{pool_id}",
        customer_email=principal.email,
        idempotency_key=f"groundswell-checkout-intent-{intent_id}",
    )
    await CheckoutIntent.update({CheckoutIntent.session_id: session.id}).where(
        CheckoutIntent.id == intent_id
    )
    return session.url


async def apply_checkout_session(gateway: PaymentGateway, session_id: str) -> str:
    """Credit the pool for a paid session, once: the Stripe balance → the pool's available."""
    session = await gateway.retrieve_checkout_session(session_id)
    if session.payment_status != "paid":
        return f"session {session.id} is not paid ({session.payment_status})"
    intent_id = parse_row_id(session.metadata.get("intent_id", ""))
    if intent_id is None:
        return f"session {session.id} is not a top-up of ours"
    intent = await CheckoutIntent.select().where(CheckoutIntent.id == intent_id).first()
    if (
        intent is None
        or str(intent["pool"]) != session.metadata.get("pool_id")
        or intent["amount"] != session.amount_total
        or intent["currency"] != session.currency
    ):
        return f"session {session.id} does not match its top-up"
    pool_id = intent["pool"]
    dedupe_key = f"{DepositMethod.STRIPE.value}:{pool_id}:{session.id.casefold()}"
    async with write_transaction():
        await ledger.lock_pool(pool_id)
        existing = await Deposit.select(Deposit.id).where(Deposit.dedupe_key == dedupe_key).first()
        if existing is not None:
            return f"deposit {existing['id']} recorded already"
        rows = await Deposit.insert(
            Deposit(
                pool=pool_id,
                funder=intent["funder"] or await _lead_funder(pool_id),
                amount=session.amount_total,
                currency=session.currency,
                method=DepositMethod.STRIPE.value,
                external_reference=session.id,
                dedupe_key=dedupe_key,
                received_on=today(),
                note="Card payment through Stripe Checkout",
                recorded_by=intent["requested_by"],
                created_at=now(),
            )
        ).returning(Deposit.id)
        deposit_id = int(rows[0]["id"])
        available = await ledger.pool_account(pool_id, AccountKind.AVAILABLE)
        stripe_balance = await ledger.stripe_balance_account(session.currency)
        await ledger.post(
            TransactionKind.DEPOSIT,
            ledger.deposit_reference(deposit_id),
            [
                ledger.Posting(stripe_balance, -session.amount_total),
                ledger.Posting(available, session.amount_total),
            ],
            memo=f"Stripe Checkout {session.id}",
        )
        await CheckoutIntent.update({CheckoutIntent.deposit: deposit_id}).where(
            CheckoutIntent.id == intent["id"]
        )
    return f"deposit {deposit_id} recorded"


async def _lead_funder(pool_id: int) -> int:
    """An intent from before pools had co-funders was the lead funder's."""
    pool = await Pool.select(Pool.funder).where(Pool.id == pool_id).first()
    assert pool is not None
    return int(pool["funder"])


@services.handles("checkout.session.completed")
async def _checkout_completed(
    settings: Settings, gateway: PaymentGateway, event: WebhookEvent
) -> str:
    return await apply_checkout_session(gateway, event.object_id)


async def intent_for_session(session_id: str) -> dict[str, Any] | None:
    return await CheckoutIntent.select().where(CheckoutIntent.session_id == session_id).first()
