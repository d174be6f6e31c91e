"""The ledger: the only code that writes accounts, transactions and postings.

Sign convention: a posting's amount is added to its account's balance. A pool's four
accounts (available, committed, in transit, paid) hold what the pool has at each stage and
never go negative; the outside world's accounts (a funder's deposits, the Stripe balance)
are the other side, so a deposit of £100 is -£100 on the funder's deposits account and
+£100 on the pool's available account, and every transaction sums to zero.

Callers post inside their own `write_transaction()`, in the same transaction as the state
change that moves the money, so both happen or neither does. Before moving a pool's money
they call `lock_pool()`, which serialises every writer of that pool.

References (unique; posting one again is a no-op): "deposit:<deposit id>",
"round:<round id>:commit", and for payments "allocation:<allocation id>:transfer"
(committed → in transit), "allocation:<allocation id>:paid" (→ paid) and
"allocation:<allocation id>:reversal:<amount reversed so far>" (one per part of a reversal);
for programme grants "grant:<grant id>:award" (available → grant awarded),
"grant:<grant id>:paid" (→ grant paid) and "grant:<grant id>:cancel" (grant awarded →
available).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from groundswell import db
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, NotFound
from groundswell.core.money import format_money
from groundswell.db import write_transaction
from groundswell.funders.tables import Pool
from groundswell.ledger.states import (
    GRANT_ACCOUNT_KINDS,
    NON_NEGATIVE_KINDS,
    POOL_ACCOUNT_KINDS,
    AccountKind,
    TransactionKind,
)
from groundswell.ledger.tables import LedgerAccount, LedgerPosting, LedgerTransaction

MAX_REFERENCE_LENGTH = 160


@dataclass(frozen=True, slots=True)
class Posting:
    account: int  # LedgerAccount id
    amount: int  # minor units added to the account's balance; never zero


class InsufficientFunds(Conflict):
    """A posting would take a pool account below zero; nothing was written."""


def deposit_reference(deposit_id: int) -> str:
    return f"deposit:{deposit_id}"


def round_commit_reference(round_id: int) -> str:
    return f"round:{round_id}:commit"


def allocation_reference(allocation_id: int, step: str) -> str:
    """step: "transfer" (committed → in transit) or "paid" (→ paid)."""
    return f"allocation:{allocation_id}:{step}"


def reversal_reference(allocation_id: int, reversed_total: int) -> str:
    """A reversal's part, named by the running total it brings the line to: a part delivered
    twice has the same reference, so it is posted once."""
    return f"allocation:{allocation_id}:reversal:{reversed_total}"


GRANT_STEPS = ("award", "paid", "cancel")


def grant_reference(grant_id: int, step: str) -> str:
    """step: "award" (available → grant awarded), "paid" (→ grant paid) or "cancel"."""
    if step not in GRANT_STEPS:
        raise ValueError(f"A programme grant's ledger step is one of {GRANT_STEPS}.")
    return f"grant:{grant_id}:{step}"


# --------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------


async def _account(
    key: str,
    kind: AccountKind,
    currency: str,
    *,
    pool_id: int | None = None,
    funder_id: int | None = None,
) -> int:
    row = await LedgerAccount.select(LedgerAccount.id).where(LedgerAccount.key == key).first()
    if row is not None:
        return int(row["id"])
    # Two writers may create the same account at once: the unique key keeps one row.
    await LedgerAccount.insert(
        LedgerAccount(
            key=key,
            kind=kind.value,
            currency=currency,
            pool=pool_id,
            funder=funder_id,
            created_at=now(),
        )
    ).on_conflict(target=LedgerAccount.key, action="DO NOTHING")
    row = await LedgerAccount.select(LedgerAccount.id).where(LedgerAccount.key == key).first()
    assert row is not None
    return int(row["id"])


async def pool_accounts(pool_id: int) -> dict[AccountKind, int]:
    """The pool's four account ids, created on first use."""
    pool = await Pool.select(Pool.currency).where(Pool.id == pool_id).first()
    if pool is None:
        raise NotFound(f"There is no pool {pool_id}.")
    keys = {f"pool:{pool_id}:{kind.value}": kind for kind in POOL_ACCOUNT_KINDS}
    rows = await LedgerAccount.select(LedgerAccount.id, LedgerAccount.key).where(
        LedgerAccount.key.is_in(list(keys))
    )
    found = {keys[row["key"]]: int(row["id"]) for row in rows}
    for key, kind in keys.items():
        if kind not in found:
            found[kind] = await _account(key, kind, pool["currency"], pool_id=pool_id)
    return found


async def pool_account(pool_id: int, kind: AccountKind) -> int:
    if kind not in POOL_ACCOUNT_KINDS:
        raise ValueError(f"{kind} is not a pool account")
    return (await pool_accounts(pool_id))[kind]


async def pool_grant_accounts(pool_id: int) -> dict[AccountKind, int]:
    """The pool's available account and its two programme-grant accounts."""
    pool = await Pool.select(Pool.currency).where(Pool.id == pool_id).first()
    if pool is None:
        raise NotFound(f"There is no pool {pool_id}.")
    found = {AccountKind.AVAILABLE: await pool_account(pool_id, AccountKind.AVAILABLE)}
    for kind in GRANT_ACCOUNT_KINDS:
        found[kind] = await _account(
            f"pool:{pool_id}:{kind.value}", kind, pool["currency"], pool_id=pool_id
        )
    return found


async def funder_deposits_account(funder_id: int, currency: str) -> int:
    return await _account(
        f"funder:{funder_id}:deposits:{currency}",
        AccountKind.FUNDER_DEPOSITS,
        currency,
        funder_id=funder_id,
    )


async def stripe_balance_account(currency: str) -> int:
    return await _account(f"platform:stripe:{currency}", AccountKind.STRIPE_BALANCE, currency)


# --------------------------------------------------------------------------------------------
# Locks and posting
# --------------------------------------------------------------------------------------------


def _in_transaction() -> bool:
    return db.engine().current_transaction.get() is not None


async def lock_pool(pool_id: int) -> None:
    """Serialise the writers of one pool's money until the current transaction ends.

    PostgreSQL: a row lock on the pool. SQLite: the caller's `write_transaction()` (BEGIN
    IMMEDIATE) already holds the only write lock there is.
    """
    if not _in_transaction():
        raise RuntimeError("lock_pool() must be called inside write_transaction()")
    if not await db.locked(Pool.select(Pool.id).where(Pool.id == pool_id)):
        raise NotFound(f"There is no pool {pool_id}.")


async def _reference_exists(reference: str) -> bool:
    return bool(await LedgerTransaction.exists().where(LedgerTransaction.reference == reference))


def _check_shape(reference: str, postings: Sequence[Posting]) -> None:
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise ValueError(f"A ledger reference needs 1 to {MAX_REFERENCE_LENGTH} characters.")
    if len(postings) < 2:
        raise ValueError("A ledger transaction needs at least two postings.")
    for posting in postings:
        amount = posting.amount
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError("Posting amounts are integers of minor units.")
        if amount == 0:
            raise ValueError("A posting of zero moves nothing; leave it out.")


async def post(
    kind: TransactionKind | str,
    reference: str,
    postings: Sequence[Posting],
    memo: str = "",
) -> int | None:
    """Record one transaction; its id, or None when `reference` was posted before.

    Runs in the caller's transaction (or its own). Checks before writing anything, so a
    refusal leaves nothing behind: at least two non-zero integer postings, each currency
    summing to zero, and no pool account going below zero (InsufficientFunds).
    """
    kind = TransactionKind(kind)
    _check_shape(reference, postings)
    deltas: dict[int, int] = defaultdict(int)
    for posting in postings:
        deltas[posting.account] += posting.amount
    ids = sorted(deltas)
    async with write_transaction():
        if await _reference_exists(reference):
            return None
        # Lock the accounts in id order, so two transactions never wait on each other.
        query = (
            LedgerAccount.select(
                LedgerAccount.id,
                LedgerAccount.key,
                LedgerAccount.kind,
                LedgerAccount.pool,
                LedgerAccount.currency,
                LedgerAccount.balance,
            )
            .where(LedgerAccount.id.is_in(ids))
            .order_by(LedgerAccount.id)
        )
        accounts = {row["id"]: row for row in await db.locked(query)}
        missing = [i for i in ids if i not in accounts]
        if missing:
            raise ValueError(f"No ledger account {missing[0]}.")
        per_currency: dict[str, int] = defaultdict(int)
        for posting in postings:
            per_currency[accounts[posting.account]["currency"]] += posting.amount
        unbalanced = {c: total for c, total in per_currency.items() if total}
        if unbalanced:
            raise ValueError(f"Postings must sum to zero per currency, not {unbalanced}.")
        short = [
            accounts[i]
            for i in ids
            if accounts[i]["kind"] in NON_NEGATIVE_KINDS and accounts[i]["balance"] + deltas[i] < 0
        ]
        if short:
            # A racing duplicate may have committed while we waited for the lock and
            # spent the money itself: then this is the no-op it looks like.
            if await _reference_exists(reference):
                return None
            account = short[0]
            raise InsufficientFunds(
                f"Not enough money: {account['key']} holds "
                f"{format_money(account['balance'], account['currency'])} and this needs "
                f"{format_money(-deltas[account['id']], account['currency'])}."
            )
        pools = {row["pool"] for row in accounts.values() if row["pool"] is not None}
        inserted = (
            await LedgerTransaction.insert(
                LedgerTransaction(
                    kind=kind.value,
                    reference=reference,
                    memo=memo,
                    pool=pools.pop() if len(pools) == 1 else None,
                    created_at=now(),
                )
            )
            .on_conflict(target=LedgerTransaction.reference, action="DO NOTHING")
            .returning(LedgerTransaction.id)
        )
        if not inserted:
            return None
        txn_id = int(inserted[0]["id"])
        await LedgerPosting.insert(
            *[
                LedgerPosting(
                    txn=txn_id,
                    account=p.account,
                    amount=p.amount,
                    currency=accounts[p.account]["currency"],
                )
                for p in postings
            ]
        )
        for account_id in ids:
            if deltas[account_id]:
                await LedgerAccount.update(
                    {LedgerAccount.balance: LedgerAccount.balance + deltas[account_id]}
                ).where(LedgerAccount.id == account_id)
    return txn_id


async def move(
    pool_id: int,
    kind: TransactionKind | str,
    reference: str,
    source: AccountKind,
    target: AccountKind,
    amount: int,
    memo: str = "",
) -> int | None:
    """Move `amount` between two of a pool's accounts (e.g. committed → in transit)."""
    accounts = await pool_accounts(pool_id)
    return await post(
        kind,
        reference,
        [Posting(accounts[source], -amount), Posting(accounts[target], amount)],
        memo,
    )


# --------------------------------------------------------------------------------------------
# Balances (derived from postings)
# --------------------------------------------------------------------------------------------


async def balance(account_id: int) -> int:
    rows = await LedgerPosting.raw(
        "SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_posting WHERE account = {}",
        account_id,
    )
    return int(rows[0]["total"])


async def _pool_totals(pool_id: int, kinds: Sequence[AccountKind]) -> dict[str, int]:
    rows = await LedgerPosting.raw(
        "SELECT a.kind AS kind, COALESCE(SUM(p.amount), 0) AS total "
        "FROM ledger_account a LEFT JOIN ledger_posting p ON p.account = a.id "
        "WHERE a.pool = {} GROUP BY a.kind",
        pool_id,
    )
    found = {row["kind"]: int(row["total"]) for row in rows}
    return {kind.value: found.get(kind.value, 0) for kind in kinds}


async def pool_balances(pool_id: int) -> dict[str, int]:
    """{"available": …, "committed": …, "in_transit": …, "paid": …} in minor units."""
    return await _pool_totals(pool_id, POOL_ACCOUNT_KINDS)


async def pool_grant_balances(pool_id: int) -> dict[str, int]:
    """{"grant_awarded": …, "grant_paid": …}: the pool's programme grants, in minor units."""
    return await _pool_totals(pool_id, GRANT_ACCOUNT_KINDS)


async def locked_available(pool_id: int) -> int:
    """The pool's available balance, for a writer that holds `lock_pool(pool_id)`."""
    accounts = await pool_accounts(pool_id)
    row = (
        await LedgerAccount.select(LedgerAccount.balance)
        .where(LedgerAccount.id == accounts[AccountKind.AVAILABLE])
        .first()
    )
    assert row is not None
    return int(row["balance"])


async def all_pool_balances() -> dict[int, dict[str, int]]:
    rows = await LedgerPosting.raw(
        "SELECT a.pool AS pool, a.kind AS kind, COALESCE(SUM(p.amount), 0) AS total "
        "FROM ledger_account a LEFT JOIN ledger_posting p ON p.account = a.id "
        "WHERE a.pool IS NOT NULL GROUP BY a.pool, a.kind"
    )
    balances: dict[int, dict[str, int]] = {}
    for row in rows:
        per_pool = balances.setdefault(row["pool"], {kind.value: 0 for kind in POOL_ACCOUNT_KINDS})
        per_pool[row["kind"]] = int(row["total"])
    return balances


async def recent_transactions(pool_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The pool's newest transactions, each with its postings (account key and amount)."""
    transactions = (
        await LedgerTransaction.select()
        .where(LedgerTransaction.pool == pool_id)
        .order_by(LedgerTransaction.id, ascending=False)
        .limit(limit)
    )
    if not transactions:
        return []
    postings = (
        await LedgerPosting.select(
            LedgerPosting.txn,
            LedgerPosting.amount,
            LedgerPosting.currency,
            LedgerPosting.account.key.as_alias("account_key"),
            LedgerPosting.account.kind.as_alias("account_kind"),
        )
        .where(LedgerPosting.txn.is_in([t["id"] for t in transactions]))
        .order_by(LedgerPosting.id)
    )
    by_txn: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for posting in postings:
        by_txn[posting["txn"]].append(posting)
    for txn in transactions:
        txn["postings"] = by_txn[txn["id"]]
    return transactions
