"""The ledger's promises: balanced, idempotent, append-only, never negative, even under races."""

import asyncio

import pytest

from groundswell.core.errors import ValidationFailed
from groundswell.db import write_transaction
from groundswell.funders import services as funders
from groundswell.ledger import services as ledger
from groundswell.ledger.services import InsufficientFunds, Posting
from groundswell.ledger.states import AccountKind, TransactionKind
from groundswell.ledger.tables import LedgerAccount, LedgerPosting, LedgerTransaction
from tests.helpers import deposit, make_funder, make_pool


@pytest.fixture
async def pool() -> int:
    return await make_pool(await make_funder())


async def test_a_deposit_is_one_balanced_transaction(pool: int) -> None:
    deposit_id = await deposit(pool, "2500.00", "BACS 123")
    txn = await LedgerTransaction.select().where(LedgerTransaction.pool == pool).first()
    assert txn is not None and txn["reference"] == f"deposit:{deposit_id}"
    assert txn["kind"] == "deposit"
    postings = await LedgerPosting.select().where(LedgerPosting.txn == txn["id"])
    assert sorted(p["amount"] for p in postings) == [-250_000, 250_000]
    assert await ledger.pool_balances(pool) == {
        "available": 250_000,
        "committed": 0,
        "in_transit": 0,
        "paid": 0,
    }
    funder_account = await LedgerAccount.select().where(
        LedgerAccount.kind == AccountKind.FUNDER_DEPOSITS.value
    )
    assert len(funder_account) == 1
    assert await ledger.balance(funder_account[0]["id"]) == -250_000


async def test_the_same_reference_twice_is_a_no_op(pool: int) -> None:
    await deposit(pool, "100.00")
    accounts = await ledger.pool_accounts(pool)
    move = [
        Posting(accounts[AccountKind.AVAILABLE], -4000),
        Posting(accounts[AccountKind.COMMITTED], 4000),
    ]
    first = await ledger.post(TransactionKind.CORRECTION, "test:once", move, "first")
    again = await ledger.post(TransactionKind.CORRECTION, "test:once", move, "second")
    assert first is not None and again is None
    assert (await ledger.pool_balances(pool))["available"] == 6000
    assert await LedgerTransaction.count().where(LedgerTransaction.reference == "test:once") == 1


async def test_recording_the_same_bank_transfer_again_changes_nothing(pool: int) -> None:
    first = await deposit(pool, "50.00", "REF-9")
    assert await deposit(pool, "50.00", "ref-9") == first
    with pytest.raises(ValidationFailed) as caught:
        await deposit(pool, "60.00", "REF-9")
    assert "recorded already" in caught.value.field_errors["reference"]
    assert (await ledger.pool_balances(pool))["available"] == 5000


@pytest.mark.parametrize(
    ("postings", "error"),
    [
        ([(AccountKind.AVAILABLE, 100)], ValueError),  # one posting
        ([(AccountKind.AVAILABLE, 100), (AccountKind.COMMITTED, -99)], ValueError),  # unbalanced
        ([(AccountKind.AVAILABLE, 0), (AccountKind.COMMITTED, 0)], ValueError),  # zero
        ([(AccountKind.AVAILABLE, 1.5), (AccountKind.COMMITTED, -1.5)], TypeError),  # not integers
    ],
)
async def test_malformed_transactions_are_refused_and_write_nothing(
    pool: int, postings: list[tuple[AccountKind, object]], error: type[Exception]
) -> None:
    await deposit(pool, "10.00")
    accounts = await ledger.pool_accounts(pool)
    before = await LedgerPosting.count()
    with pytest.raises(error):
        await ledger.post(
            "correction",
            "test:bad",
            [Posting(accounts[kind], amount) for kind, amount in postings],  # type: ignore[arg-type]
        )
    assert await LedgerPosting.count() == before
    assert not await LedgerTransaction.exists().where(LedgerTransaction.reference == "test:bad")


async def test_available_never_goes_negative_and_a_refusal_leaves_nothing(pool: int) -> None:
    await deposit(pool, "10.00")
    with pytest.raises(InsufficientFunds):
        async with write_transaction():
            await ledger.lock_pool(pool)
            await ledger.move(
                pool,
                "correction",
                "test:too-much",
                AccountKind.AVAILABLE,
                AccountKind.COMMITTED,
                1001,
            )
    assert (await ledger.pool_balances(pool))["available"] == 1000
    assert not await LedgerTransaction.exists().where(
        LedgerTransaction.reference == "test:too-much"
    )


async def test_postings_and_transactions_cannot_be_updated_or_deleted(pool: int) -> None:
    await deposit(pool, "10.00")
    posting = await LedgerPosting.select().first()
    assert posting is not None
    attempts = [
        LedgerPosting.update({LedgerPosting.amount: 1}).where(LedgerPosting.id == posting["id"]),
        LedgerPosting.delete().where(LedgerPosting.id == posting["id"]),
        LedgerTransaction.update({LedgerTransaction.memo: "edited"}).where(
            LedgerTransaction.id == posting["txn"]
        ),
        LedgerTransaction.delete().where(LedgerTransaction.id == posting["txn"]),
    ]
    for attempt in attempts:
        with pytest.raises(Exception, match="append-only"):
            await attempt
    assert await LedgerPosting.select().where(LedgerPosting.id == posting["id"]).first() == posting
    # A correction is a new transaction instead.
    accounts = await ledger.pool_accounts(pool)
    outside = await ledger.funder_deposits_account((await funders.get_pool(pool))["funder"], "GBP")
    assert await ledger.post(
        TransactionKind.CORRECTION,
        "correction:1",
        [Posting(accounts[AccountKind.AVAILABLE], -100), Posting(outside, 100)],
        "Deposit recorded £1 too high",
    )
    assert (await ledger.pool_balances(pool))["available"] == 900


async def test_racing_withdrawals_never_overdraw(pool: int) -> None:
    await deposit(pool, "10.00")  # 1000 pence; ten tries at 300 each: three can succeed

    async def take(n: int) -> bool:
        try:
            async with write_transaction():
                await ledger.lock_pool(pool)
                await ledger.move(
                    pool,
                    "correction",
                    f"test:take:{n}",
                    AccountKind.AVAILABLE,
                    AccountKind.COMMITTED,
                    300,
                )
        except InsufficientFunds:
            return False
        return True

    outcomes = await asyncio.gather(*(take(n) for n in range(10)))
    assert sum(outcomes) == 3
    assert await ledger.pool_balances(pool) == {
        "available": 100,
        "committed": 900,
        "in_transit": 0,
        "paid": 0,
    }


async def test_racing_deposits_all_count(pool: int) -> None:
    await asyncio.gather(*(deposit(pool, "1.00", f"R{n}") for n in range(8)))
    assert (await ledger.pool_balances(pool))["available"] == 800
    (account,) = await LedgerAccount.select().where(
        (LedgerAccount.pool == pool) & (LedgerAccount.kind == "available")
    )
    assert account["balance"] == 800
