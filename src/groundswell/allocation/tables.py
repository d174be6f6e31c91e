"""Rounds and their allocations.

`(pool, period_start)` is unique (a hand-written index in the "ledger and rounds constraints"
migration), so a period's round happens once however many schedulers run; so is
`(round, organiser)`. A line's amount, organiser, host and round cannot change once written
(a trigger in the same migration): the funder may pause a whole round, never edit a line.
"""

from piccolo.columns import (
    JSONB,
    BigInt,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.community.tables import HostOrganisation, Organiser
from groundswell.funders.tables import Funder, Pool


class Round(Table, tablename="funding_round"):
    id: Serial
    pool = ForeignKey(Pool, null=False, on_delete=OnDelete.restrict)
    period_start = Date()
    period_end = Date()
    status = Varchar(length=16, choices=RoundStatus, default=RoundStatus.COMPUTED, index=True)
    currency = Varchar(length=3)
    budget = BigInt()  # min(the pool's round budget, its available balance) when computed
    allocated = BigInt()  # sum of the lines; moved available → committed when computed
    unallocated = BigInt()
    candidates = Integer()  # organisers eligible by bursary, status and place
    funded = Integer()  # of those, organisers given money
    policy = JSONB()  # the policy settings used, so the round can be replayed and explained
    as_of = Timestamptz()  # the moment the voices were read
    computed_at = Timestamptz(default=TimestamptzNow())
    review_until = Timestamptz(index=True)
    paused_at = Timestamptz(null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    # Ended while paused (who and why: the audit log, "round.cancel"); its money went back.
    cancelled_at = Timestamptz(null=True, default=None)
    # Organisers the round would have considered but left out (paused, left): each
    # {"code", "name", "status", "reason"}, a sentence for the round page.
    skipped = JSONB(default=[])


class Allocation(Table, tablename="allocation"):
    id: Serial
    round = ForeignKey(Round, null=False, on_delete=OnDelete.restrict, index=True)
    organiser = ForeignKey(Organiser, null=False, on_delete=OnDelete.restrict, index=True)
    host = ForeignKey(HostOrganisation, null=False, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()  # minor units, in the round's currency
    endorsers = Integer()  # distinct residents counted
    score = DoublePrecision()
    state = Varchar(length=16, choices=AllocationState, index=True)
    explanation = JSONB()  # the policy's explanation: every number behind the amount
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Payments: the transfer to the host (its idempotency key is built from our id).
    stripe_transfer_id = Varchar(length=80, null=True, default=None, index=True)
    attempts = Integer(default=0)  # transfers refused by the provider so far
    next_attempt_at = Timestamptz(null=True, default=None)  # a failed line's next retry
    transfer_started_at = Timestamptz(null=True, default=None)  # moved to in_transit
    paid_at = Timestamptz(null=True, default=None)
    # Returned by the provider so far (Stripe reverses a transfer in one or several parts);
    # equal to amount once the line is reversed.
    amount_reversed = BigInt(default=0)


class AllocationShare(Table, tablename="allocation_share"):
    """One funder's part of one line of a co-funded pool's round (allocation/attribution.py),
    written with the round's ledger commit. A line without parts is all the lead funder's:
    single-funder pools, and rounds from before the pool was co-funded."""

    id: Serial
    round = ForeignKey(Round, null=False, on_delete=OnDelete.restrict, index=True)
    allocation = ForeignKey(Allocation, null=False, on_delete=OnDelete.restrict, index=True)
    funder = ForeignKey(Funder, null=False, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()  # minor units; the line's parts sum to its amount


TABLES = [Round, Allocation, AllocationShare]
