from piccolo.columns import JSONB, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


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


TABLES = [StripeEvent, SimulatedStripeObject]
