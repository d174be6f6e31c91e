"""Kinds of ledger accounts and transactions."""

from enum import StrEnum


class AccountKind(StrEnum):
    # A pool's money, by stage. Each holds a non-negative balance.
    AVAILABLE = "available"  # deposited, not yet allocated
    COMMITTED = "committed"  # allocated by a round, not yet transferred
    IN_TRANSIT = "in_transit"  # transfer to the host started, not yet confirmed
    PAID = "paid"  # confirmed as received by the host
    # The outside world: the other side of money coming in and going out. Their balances
    # are the negative of what has flowed through them, so every transaction sums to zero.
    FUNDER_DEPOSITS = "funder_deposits"  # one per funder and currency
    STRIPE_BALANCE = "stripe_balance"  # the platform's Stripe balance, one per currency


POOL_ACCOUNT_KINDS: tuple[AccountKind, ...] = (
    AccountKind.AVAILABLE,
    AccountKind.COMMITTED,
    AccountKind.IN_TRANSIT,
    AccountKind.PAID,
)


class TransactionKind(StrEnum):
    DEPOSIT = "deposit"  # funder deposits → pool available
    ROUND_COMMIT = "round_commit"  # pool available → committed, when a round is computed
    TRANSFER = "transfer"  # committed → in_transit (payments)
    PAYOUT = "payout"  # in_transit → paid (payments)
    SIMULATED_PAYMENT = "simulated_payment"  # committed → paid without Stripe (demo only)
    REVERSAL = "reversal"  # money coming back (payments)
    CORRECTION = "correction"  # an operator's correcting entry; postings are never edited
