"""`groundswell ledger check` passes on a healthy ledger and names each corruption."""

import os
import subprocess
import sys

from groundswell.allocation.tables import Allocation
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind
from groundswell.ledger.tables import LedgerAccount, LedgerPosting, LedgerTransaction
from groundswell.ledger_check import check_ledger
from tests.factories import approve_after_review, computed_round, pool_in_a_place, vouched_organiser
from tests.helpers import deposit, ledger_unlocked, make_funder, make_pool


def ledger_check() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundswell", "ledger", "check"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def healthy_ledger() -> tuple[int, int]:
    place = await pool_in_a_place(for_any_locality=True, min_endorsers=1, round_budget=300_00)
    for name in ("Amina Hussein", "Dele Okafor"):
        await vouched_organiser(place.host, place.locality, name, 2)
    await deposit(place.pool, "1000.00")
    round_id = await computed_round(place.pool)
    await approve_after_review(round_id)
    return place.pool, round_id


async def test_a_healthy_ledger_passes() -> None:
    await healthy_ledger()
    report = await check_ledger()
    assert report.ok, report.violations
    assert report.transactions == 2 and report.postings == 4
    result = ledger_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ledger OK: 2 transactions, 4 postings" in result.stdout


async def test_each_corruption_is_named_and_the_exit_status_is_not_zero() -> None:
    pool, round_id = await healthy_ledger()
    accounts = await ledger.pool_accounts(pool)
    commit = (
        await LedgerTransaction.select()
        .where(LedgerTransaction.reference == f"round:{round_id}:commit")
        .first()
    )
    deposit_txn = (
        await LedgerTransaction.select().where(LedgerTransaction.kind == "deposit").first()
    )
    assert commit is not None and deposit_txn is not None
    paid_line = await Allocation.select().where(Allocation.amount > 0).first()
    assert paid_line is not None
    async with ledger_unlocked():
        # A deposit posting altered by hand: the deposit no longer balances.
        await LedgerPosting.update({LedgerPosting.amount: LedgerPosting.amount + 1}).where(
            (LedgerPosting.txn == deposit_txn["id"]) & (LedgerPosting.amount > 0)
        )
        # The round's commitment removed.
        await LedgerPosting.delete().where(LedgerPosting.txn == commit["id"])
        await LedgerTransaction.delete().where(LedgerTransaction.id == commit["id"])
    # A cached balance that disagrees with its postings.
    await LedgerAccount.update({LedgerAccount.balance: 123}).where(
        LedgerAccount.id == accounts[AccountKind.PAID]
    )
    # A line marked paid with no payment in the ledger.
    await Allocation.update({Allocation.state: "paid"}).where(Allocation.id == paid_line["id"])

    report = await check_ledger()
    text = "\n".join(report.violations)
    assert "does not sum to zero in GBP: it is off by £0.01" in text
    assert (
        f"account pool:{pool}:paid records a balance of £1.23 but its postings sum to £0.00" in text
    )
    assert f"ledger transaction round:{round_id}:commit committed £0.00" in text
    assert f"allocation {paid_line['id']} is paid but has no ledger transaction" in text
    assert f"pool {pool}'s committed account holds £0.00" in text
    assert "credited £1,000.01 to its pool" in text

    result = ledger_check()
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [f"VIOLATION: {v}" for v in report.violations]
    assert "violation(s) found" in result.stderr and "Traceback" not in result.stderr


async def test_a_negative_available_balance_is_named() -> None:
    pool = await make_pool(await make_funder())
    accounts = await ledger.pool_accounts(pool)
    rows = await LedgerTransaction.insert(
        LedgerTransaction(kind="correction", reference="bypass", pool=pool)
    ).returning(LedgerTransaction.id)
    # Written around ledger.post(), which would have refused it.
    await LedgerPosting.insert(
        LedgerPosting(
            txn=rows[0]["id"], account=accounts[AccountKind.AVAILABLE], amount=-5, currency="GBP"
        ),
        LedgerPosting(
            txn=rows[0]["id"], account=accounts[AccountKind.COMMITTED], amount=5, currency="GBP"
        ),
    )
    violations = (await check_ledger()).violations
    assert f"account pool:{pool}:available is negative: -£0.05" in violations
