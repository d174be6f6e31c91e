from typing import Any

from piccolo.columns import (
    BigInt,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from groundswell.community.tables import Locality
from groundswell.funders.states import Cadence, DepositMethod, ReviewRule, ScoreMethod


class Funder(Table, tablename="funder"):
    id: Serial
    name = Varchar(length=200)
    org_id = Varchar(length=60, null=True, default=None, unique=True)
    website = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Pool(Table, tablename="pool"):
    """A no-strings pool: money and the policy that shares it, and deliberately no conditions."""

    id: Serial
    funder = ForeignKey(Funder, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=200)
    description = Text(default="")
    currency = Varchar(length=3, default="GBP")
    cadence = Varchar(length=16, choices=Cadence, default=Cadence.QUARTERLY)
    round_budget = BigInt(default=0)
    review_days = Integer(default=7)
    score_method = Varchar(length=16, choices=ScoreMethod, default=ScoreMethod.SQRT)
    window_days = Integer(default=180)
    half_life_days = DoublePrecision(default=90.0)
    min_endorsers = Integer(default=5)
    floor_amount = BigInt(default=0)
    cap_amount = BigInt(null=True, default=None)
    pairwise_m = DoublePrecision(default=1.0)
    # Who of a co-funded pool's funders may pause, resume and cancel its rounds.
    review_rule = Varchar(length=16, choices=ReviewRule, default=ReviewRule.LEAD)
    is_active = Boolean(default=True)
    # Set when an administrator closes the emptied pool (ledger/returns.py): it then takes
    # no deposits, top-ups or rounds, and its page and history stay public, marked closed.
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PoolLocality(Table, tablename="pool_locality"):
    id: Serial
    pool = ForeignKey(Pool, null=False, on_delete=OnDelete.cascade)
    locality = ForeignKey(Locality, null=False, on_delete=OnDelete.restrict)


class Deposit(Table, tablename="deposit"):
    """Money a funder put into a pool; its ledger transaction is "deposit:<id>"."""

    id: Serial
    pool = ForeignKey(Pool, null=False, on_delete=OnDelete.restrict, index=True)
    # Whose money it is: the pool's lead funder or one of its co-funders. Always written;
    # null only in a database no migration has backfilled.
    funder = ForeignKey(Funder, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()  # minor units, in the pool's currency
    currency = Varchar(length=3)
    method = Varchar(length=16, choices=DepositMethod)
    external_reference = Varchar(length=120)  # the bank's reference, or Stripe's id
    # method:pool:reference, so one bank transfer is recorded once however often it is typed.
    dedupe_key = Varchar(length=200, unique=True)
    received_on = Date()
    note = Text(default="")
    recorded_by: ForeignKey[Any] = ForeignKey(
        LazyTableReference("User", module_path="groundswell.accounts.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
    )
    # A bank transfer reached the funder's bank, not the Stripe balance that pays hosts: the
    # reference of the platform top-up (or statement line) that moved it there, and when an
    # administrator recorded it (payments/deposit_reconciliation.py). Card deposits: unused.
    platform_reference = Varchar(length=120, default="")
    reconciled_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PoolCofunder(Table, tablename="pool_cofunder"):
    """A funder other than the lead (Pool.funder) that puts money into the pool. (pool,
    funder) is unique: a hand-written index in the "co-funded pools" migration."""

    id: Serial
    pool = ForeignKey(Pool, null=False, on_delete=OnDelete.restrict, index=True)
    funder = ForeignKey(Funder, null=False, on_delete=OnDelete.restrict, index=True)
    added_by: ForeignKey[Any] = ForeignKey(
        LazyTableReference("User", module_path="groundswell.accounts.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
    )
    added_at = Timestamptz(default=TimestamptzNow())
