"""Kinds of ledger accounts and transactions."""

from enum import StrEnum


class AccountKind(StrEnum):
    # A pool's money, by stage. Each holds a non-negative balance.
    AVAILABLE = "available"  # deposited, not yet allocated
    COMMITTED = "committed"  # allocated by a round, not yet transferred
    IN_TRANSIT = "in_transit"  # transfer to the host started, not yet confirmed
    PAID = "paid"  # confirmed as received by the host
    # A pool's programme grants (programme/), kept apart from rounds' money so that
    # `committed` and `paid` stay exactly the allocations in those states.
    GRANT_AWARDED = "grant_awarded"  # awarded to a group, not yet paid
    GRANT_PAID = "grant_paid"  # paid to the group (programme staff recorded the payment)
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

# Created the first time a pool awards a programme grant.
GRANT_ACCOUNT_KINDS: tuple[AccountKind, ...] = (AccountKind.GRANT_AWARDED, AccountKind.GRANT_PAID)

# Every account that belongs to a pool; none of them may go below zero.
NON_NEGATIVE_KINDS: tuple[AccountKind, ...] = POOL_ACCOUNT_KINDS + GRANT_ACCOUNT_KINDS


class CorrectionStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a second administrator
    APPROVED = "approved"  # posted as a CORRECTION transaction
    REJECTED = "rejected"  # never posted


# Accounts a correction may touch. The others mirror rounds' lines and programme grants
# state by state (`groundswell ledger check` ties them together), so their money moves only
# through those: cancel the round or the grant instead.
CORRECTABLE_KINDS: tuple[AccountKind, ...] = (
    AccountKind.AVAILABLE,
    AccountKind.FUNDER_DEPOSITS,
    AccountKind.STRIPE_BALANCE,
)


class TransactionKind(StrEnum):
    DEPOSIT = "deposit"  # funder deposits → pool available
    ROUND_COMMIT = "round_commit"  # pool available → committed, when a round is computed
    TRANSFER = "transfer"  # committed → in_transit (payments)
    PAYOUT = "payout"  # in_transit → paid (payments)
    SIMULATED_PAYMENT = "simulated_payment"  # committed → paid without Stripe (demo only)
    REVERSAL = "reversal"  # money coming back (payments)
    GRANT_AWARD = "grant_award"  # pool available → grant awarded (programme grants)
    GRANT_PAYMENT = "grant_payment"  # grant awarded → grant paid (paid outside Stripe)
    GRANT_CANCELLATION = "grant_cancellation"  # grant awarded → available (award undone)
    CORRECTION = "correction"  # an operator's correcting entry; postings are never edited
    ROUND_CANCELLATION = "round_cancellation"  # committed → available: a paused round ended
    # available → the funder's deposits (bank transfer back) or the Stripe balance (card
    # refund): money given back to the funder, "return:<pool return id>" (ledger/returns.py)
    RETURN = "return"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # the funder asked; waiting for an administrator
    RECORDED = "recorded"  # an administrator recorded the money going back (and any closing)
    DECLINED = "declined"  # an administrator declined it, saying why; nothing moved


class ReturnMethod(StrEnum):
    CARD_REFUND = "card_refund"  # a Stripe refund of one card deposit
    BANK_TRANSFER = "bank_transfer"  # paid back by bank transfer, with its reference


# What an administrator reads for each kind (the ledger pages); the stored value stays the
# audit trail's word, shown beside references.
TRANSACTION_KIND_LABELS: dict[str, str] = {
    TransactionKind.DEPOSIT.value: "Deposit from the funder",
    TransactionKind.ROUND_COMMIT.value: "Round allocated (money set aside)",
    TransactionKind.TRANSFER.value: "Transfer to a host started",
    TransactionKind.PAYOUT.value: "Transfer to a host confirmed",
    TransactionKind.SIMULATED_PAYMENT.value: "Paid, simulated (no money moved)",
    TransactionKind.REVERSAL.value: "Money returned to the pool",
    TransactionKind.GRANT_AWARD.value: "Programme grant awarded",
    TransactionKind.GRANT_PAYMENT.value: "Programme grant paid",
    TransactionKind.GRANT_CANCELLATION.value: "Programme grant cancelled",
    TransactionKind.CORRECTION.value: "Correction",
    TransactionKind.ROUND_CANCELLATION.value: "Round cancelled (money set free)",
    TransactionKind.RETURN.value: "Money given back to the funder",
}

ACCOUNT_KIND_LABELS: dict[str, str] = {
    AccountKind.AVAILABLE.value: "Available",
    AccountKind.COMMITTED.value: "Committed",
    AccountKind.IN_TRANSIT.value: "In transit",
    AccountKind.PAID.value: "Paid",
    AccountKind.GRANT_AWARDED.value: "Grants awarded",
    AccountKind.GRANT_PAID.value: "Grants paid",
    AccountKind.FUNDER_DEPOSITS.value: "Funder deposits",
    AccountKind.STRIPE_BALANCE.value: "Stripe balance",
}


def transaction_kind_label(kind: str) -> str:
    return TRANSACTION_KIND_LABELS.get(str(kind), str(kind).replace("_", " ").capitalize())


def account_kind_label(kind: str) -> str:
    return ACCOUNT_KIND_LABELS.get(str(kind), str(kind).replace("_", " ").capitalize())
