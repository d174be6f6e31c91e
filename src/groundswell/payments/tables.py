from typing import Any

from piccolo.columns import (
    JSONB,
    BigInt,
    ForeignKey,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from groundswell.funders.tables import Deposit, Funder, Pool


class StripeEvent(Table, tablename="stripe_event"):
    """Each webhook event id once: Stripe retries for days and in any order."""

    id: Serial
    event_id = Varchar(length=80, unique=True)
    event_type = Varchar(length=80)
    object_id = Varchar(length=80, index=True)
    received_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)
    outcome = Varchar(length=200, default="")


class SimulatedStripeObject(Table, tablename="simulated_stripe_object"):
    """The offline adapter's stand-in for Stripe's records (no money moves)."""

    id: Serial
    kind = Varchar(length=32, index=True)  # checkout_session, account, transfer
    object_id = Varchar(length=80, unique=True)
    idempotency_key = Varchar(length=200, null=True, default=None, unique=True)
    group_key = Varchar(length=120, default="", index=True)  # transfer_group for transfers
    data = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())


class CheckoutIntent(Table, tablename="checkout_intent"):
    """A funder's wish to top up a pool by card: one Checkout Session, at most one deposit.

    Its id is the session's idempotency key, so a double click or a retry cannot open two.
    """

    id: Serial
    pool = ForeignKey(Pool, null=False, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()  # minor units, in the pool's currency
    currency = Varchar(length=3)
    requested_by: ForeignKey[Any] = ForeignKey(
        LazyTableReference("User", module_path="groundswell.accounts.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
    )
    # Whose money it will be (the lead funder, or the co-funder the member belongs to);
    # null for intents from before co-funded pools: the lead's.
    funder = ForeignKey(Funder, null=True, default=None, on_delete=OnDelete.restrict)
    session_id = Varchar(length=200, null=True, default=None, unique=True)
    deposit = ForeignKey(Deposit, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class ReconciliationDifference(Table, tablename="reconciliation_difference"):
    """One difference between the payment provider and the ledger, kept while it lasts.

    `key` names the difference (its kind and the objects involved), so each is stored and
    reported to administrators once however often reconciliation runs; a run that no longer
    finds it marks it resolved.
    """

    id: Serial
    key = Varchar(length=200, unique=True)
    kind = Varchar(length=40)
    description = Text()
    first_seen_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None, index=True)


TABLES = [StripeEvent, SimulatedStripeObject, CheckoutIntent, ReconciliationDifference]
