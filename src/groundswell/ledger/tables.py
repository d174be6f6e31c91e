"""Double-entry ledger: accounts, transactions and their postings.

Postings and transactions are append-only (database triggers refuse UPDATE and DELETE, see
the "ledger and rounds constraints" migration); a mistake is corrected by a new transaction.
"""

from piccolo.columns import (
    JSONB,
    BigInt,
    Boolean,
    ForeignKey,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from groundswell.accounts.tables import User
from groundswell.funders.tables import Deposit, Funder, Pool
from groundswell.ledger.states import (
    AccountKind,
    CorrectionStatus,
    ReturnMethod,
    ReturnStatus,
    TransactionKind,
)


class LedgerAccount(Table, tablename="ledger_account"):
    id: Serial
    # "pool:3:available", "funder:2:deposits:GBP", "platform:stripe:GBP": one row per account,
    # however many processes ask for it at once.
    key = Varchar(length=80, unique=True)
    kind = Varchar(length=20, choices=AccountKind)
    pool = ForeignKey(Pool, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    funder = ForeignKey(Funder, null=True, default=None, on_delete=OnDelete.restrict)
    currency = Varchar(length=3)
    # Running total of this account's postings, written in the same transaction as each
    # posting: it is the row writers lock to keep a balance from going negative, and
    # `groundswell ledger check` proves it equals the sum of the postings.
    balance = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class LedgerTransaction(Table, tablename="ledger_transaction"):
    id: Serial
    kind = Varchar(length=24, choices=TransactionKind)
    # What caused it, e.g. "deposit:12" or "round:7:commit": posting the same reference
    # twice is a no-op, so a retried job or webhook cannot move money twice.
    reference = Varchar(length=160, unique=True)
    memo = Text(default="")
    pool = ForeignKey(Pool, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class LedgerPosting(Table, tablename="ledger_posting"):
    id: Serial
    txn = ForeignKey(LedgerTransaction, null=False, on_delete=OnDelete.restrict, index=True)
    account = ForeignKey(LedgerAccount, null=False, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()  # minor units, added to the account's balance; never zero
    currency = Varchar(length=3)


class LedgerCorrection(Table, tablename="ledger_correction"):
    """A correcting transaction one administrator proposes and a different one approves
    (then it is posted as "correction:<id>") or rejects, with a reason."""

    id: Serial
    status = Varchar(length=16, choices=CorrectionStatus, default="proposed", index=True)
    reason = Text()
    # [{"account": <LedgerAccount id>, "amount": <minor units>}, ...]: balanced per currency.
    postings = JSONB()
    currency = Varchar(length=3)
    proposed_by = ForeignKey(User, null=False, on_delete=OnDelete.restrict)
    proposed_at = Timestamptz(default=TimestamptzNow())
    decided_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")  # why it was rejected
    txn = ForeignKey(LedgerTransaction, null=True, default=None, on_delete=OnDelete.restrict)


class PoolReturn(Table, tablename="pool_return"):
    """A funder's request for money back from a pool (and perhaps to close it), and the
    administrator's record of the return: posted as "return:<id>" when recorded."""

    id: Serial
    pool = ForeignKey(Pool, null=False, on_delete=OnDelete.restrict, index=True)
    funder = ForeignKey(Funder, null=False, on_delete=OnDelete.restrict)
    status = Varchar(length=16, choices=ReturnStatus, default="requested", index=True)
    amount = BigInt(default=0)  # minor units; 0 when the funder only asks to close
    currency = Varchar(length=3)
    close_pool = Boolean(default=False)
    reason = Text(default="")
    requested_by = ForeignKey(User, null=False, on_delete=OnDelete.restrict)
    requested_at = Timestamptz(default=TimestamptzNow())
    method = Varchar(length=16, choices=ReturnMethod, null=True, default=None)
    deposit = ForeignKey(Deposit, null=True, default=None, on_delete=OnDelete.restrict)
    reference = Varchar(length=120, default="")  # the bank's reference or Stripe's refund id
    # The administrator who recorded the return, or declined the request, and when.
    recorded_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    recorded_at = Timestamptz(null=True, default=None)
    txn = ForeignKey(LedgerTransaction, null=True, default=None, on_delete=OnDelete.restrict)
    decline_reason = Text(default="")  # why an administrator declined it; the funder reads it


TABLES = [LedgerAccount, LedgerTransaction, LedgerPosting, LedgerCorrection, PoolReturn]
