"""Corrections with four eyes: one administrator proposes, a different one decides."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from groundswell.accounts.services import principal_for
from groundswell.accounts.tables import User
from groundswell.core.errors import Conflict, Forbidden, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.tables import AuditEntry
from groundswell.ledger import corrections
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind
from groundswell.ledger.tables import LedgerCorrection, LedgerTransaction
from groundswell.ledger_check import check_ledger
from tests.factories import pool_in_a_place
from tests.helpers import WebClient, deposit, make_user
from tests.integration.allocation.test_allocate_cli import groundswell


@pytest.fixture
async def pool() -> int:
    place = await pool_in_a_place()
    await deposit(place.pool, "100.00")
    await make_user(Role.ADMIN, "alice@example.org")
    await make_user(Role.ADMIN, "bola@example.org")
    await make_user(Role.FUNDER, "funder@example.org", funder_ids=(place.funder,))
    await make_user(Role.HOST, "host@example.org", host_ids=(place.host,))
    return place.pool


async def person(email: str) -> Principal:
    row = await User.select(User.id).where(User.email == email).first()
    assert row is not None
    found = await principal_for(int(row["id"]))
    assert found is not None
    return found


async def accounts(pool: int) -> tuple[int, int]:
    return (
        await ledger.pool_account(pool, AccountKind.AVAILABLE),
        await ledger.stripe_balance_account("GBP"),
    )


async def proposed(pool: int, amount: int = 12_50) -> int:
    available, stripe = await accounts(pool)
    data = await corrections.read_correction(
        {
            "account-1": str(available),
            "amount-1": f"-{amount / 100:.2f}",
            "account-2": str(stripe),
            "amount-2": f"{amount / 100:.2f}",
            "reason": "Bank charge taken from the deposit",
        }
    )
    return await corrections.propose(await person("alice@example.org"), data)


# --- attacks first --------------------------------------------------------------------------


async def test_the_proposer_cannot_approve_or_reject_their_own(pool: int) -> None:
    correction_id = await proposed(pool)
    alice = await person("alice@example.org")
    with pytest.raises(Forbidden, match="different administrator"):
        await corrections.approve(alice, correction_id)
    with pytest.raises(Forbidden, match="different administrator"):
        await corrections.reject(alice, correction_id, "Changed my mind")
    assert not await LedgerTransaction.exists().where(LedgerTransaction.kind == "correction")


async def test_an_unbalanced_correction_is_refused_clearly(pool: int) -> None:
    available, stripe = await accounts(pool)
    with pytest.raises(ValidationFailed) as refused:
        await corrections.read_correction(
            {
                "account-1": str(available),
                "amount-1": "-12.50",
                "account-2": str(stripe),
                "amount-2": "10.00",
                "reason": "Oops",
            }
        )
    assert "add up to -£2.50, not zero" in refused.value.field_errors["amount-1"]


async def test_accounts_that_follow_rounds_and_grants_cannot_be_corrected(pool: int) -> None:
    committed = await ledger.pool_account(pool, AccountKind.COMMITTED)
    available, _ = await accounts(pool)
    with pytest.raises(ValidationFailed) as refused:
        await corrections.read_correction(
            {
                "account-1": str(committed),
                "amount-1": "10.00",
                "account-2": str(available),
                "amount-2": "-10.00",
                "reason": "x",
            }
        )
    assert "account-1" in refused.value.field_errors


async def test_non_admins_are_refused(pool: int, client: WebClient) -> None:
    correction_id = await proposed(pool)
    for email in ("funder@example.org", "host@example.org"):
        with pytest.raises(Forbidden):
            await corrections.approve(await person(email), correction_id)
        await client.login(email)
        for path in ("/admin/ledger/corrections", f"/admin/ledger/corrections/{correction_id}"):
            assert (await client.get(path)).status_code == 403
        response = await client.submit(f"/admin/ledger/corrections/{correction_id}/approve")
        assert response.status_code == 403
    assert (await corrections.get_correction(correction_id))["status"] == "proposed"


# --- what happens ---------------------------------------------------------------------------


async def test_a_second_administrator_approves_once(pool: int) -> None:
    correction_id = await proposed(pool)
    before = await ledger.pool_balances(pool)
    bola = await person("bola@example.org")
    assert await corrections.approve(bola, correction_id)
    assert not await corrections.approve(bola, correction_id)  # double-approve: no-op
    after = await ledger.pool_balances(pool)
    assert after["available"] == before["available"] - 12_50
    posted = await LedgerTransaction.select().where(
        LedgerTransaction.reference == f"correction:{correction_id}"
    )
    assert len(posted) == 1 and posted[0]["kind"] == "correction"
    row = await corrections.get_correction(correction_id)
    assert row["status"] == "approved" and row["decided_by"] == bola.user_id
    assert row["txn"] == posted[0]["id"] and row["decided_at"] is not None
    with pytest.raises(Conflict):
        await corrections.reject(bola, correction_id, "Too late")
    actions = [
        r["action"]
        for r in await AuditEntry.select(AuditEntry.action)
        .where(AuditEntry.subject_type == "ledger_correction")
        .order_by(AuditEntry.id)
    ]
    assert actions == ["ledger.correction.propose", "ledger.correction.approve"]
    assert (await check_ledger()).ok


async def test_two_approvals_at_once_post_once(pool: int) -> None:
    correction_id = await proposed(pool)
    bola = await person("bola@example.org")
    results = await asyncio.gather(
        corrections.approve(bola, correction_id), corrections.approve(bola, correction_id)
    )
    assert sorted(results) == [False, True]
    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "correction") == 1
    assert (await check_ledger()).ok


async def test_rejecting_needs_a_reason_and_posts_nothing(pool: int) -> None:
    correction_id = await proposed(pool)
    bola = await person("bola@example.org")
    with pytest.raises(ValidationFailed):
        await corrections.reject(bola, correction_id, "  ")
    assert await corrections.reject(bola, correction_id, "The bank refunded the charge")
    row = await corrections.get_correction(correction_id)
    assert row["status"] == "rejected" and row["decision_reason"] == "The bank refunded the charge"
    with pytest.raises(Conflict):
        await corrections.approve(bola, correction_id)
    assert not await LedgerTransaction.exists().where(LedgerTransaction.kind == "correction")


async def test_a_correction_that_would_overdraw_is_refused_at_approval(pool: int) -> None:
    correction_id = await proposed(pool, amount=500_00)  # the pool holds £100
    with pytest.raises(ledger.InsufficientFunds):
        await corrections.approve(await person("bola@example.org"), correction_id)
    assert (await corrections.get_correction(correction_id))["status"] == "proposed"
    assert (await check_ledger()).ok


async def test_the_pages(pool: int, client: WebClient) -> None:
    available, stripe = await accounts(pool)
    await client.login("alice@example.org")
    form = await client.get("/admin/ledger/corrections/new")
    assert form.status_code == 200 and "pool:" in form.text
    bad = await client.submit(
        "/admin/ledger/corrections",
        {
            "account-1": str(available),
            "amount-1": "-1.00",
            "account-2": str(stripe),
            "amount-2": "2.00",
            "reason": "x",
        },
    )
    assert bad.status_code == 422 and "error-summary" in bad.text and "not zero" in bad.text
    assert await LedgerCorrection.count() == 0
    made = await client.submit(
        "/admin/ledger/corrections",
        {
            "account-1": str(available),
            "amount-1": "-1.00",
            "account-2": str(stripe),
            "amount-2": "1.00",
            "reason": "Fee",
        },
    )
    assert made.status_code == 303
    url = made.headers["location"]
    page = (await client.get(url)).text
    assert "Waiting for a second administrator" in page and "Approve and post it" not in page
    own = await client.submit(f"{url}/approve")
    assert own.status_code == 403 and "different administrator" in own.text
    listing = (await client.get("/admin/ledger/corrections")).text
    assert url in listing and "yours: another administrator decides" in listing
    await client.login("bola@example.org")
    assert "Approve and post it" in (await client.get(url)).text
    assert (await client.submit(f"{url}/approve")).status_code == 303
    assert "Approved and posted" in (await client.get(url)).text
    assert (await client.submit(f"{url}/approve")).status_code == 303  # twice: nothing more
    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "correction") == 1


async def test_the_command(pool: int) -> None:
    await ledger.stripe_balance_account("GBP")
    base = ("ledger", "correction")

    def propose(email: str, stripe: str) -> Any:
        return groundswell(
            *base, "propose", "--as", email, "--posting", f"pool:{pool}:available=-5.00",
            "--posting", f"platform:stripe:GBP={stripe}", "--reason", "Bank fee",
        )  # fmt: skip

    unbalanced = propose("alice@example.org", "4.00")
    assert unbalanced.returncode == 2 and "not zero" in unbalanced.stderr
    not_admin = propose("funder@example.org", "5.00")
    assert not_admin.returncode == 2 and "not an active administrator" in not_admin.stderr
    made = propose("alice@example.org", "5.00")
    assert made.returncode == 0, made.stderr
    correction_id = str((await LedgerCorrection.select(LedgerCorrection.id).first() or {})["id"])
    own = groundswell(*base, "approve", correction_id, "--as", "alice@example.org")
    assert own.returncode == 2 and "different administrator" in own.stderr
    listing = groundswell(*base, "list")
    assert listing.returncode == 0 and "waiting for a second administrator" in listing.stdout
    done = groundswell(*base, "approve", correction_id, "--as", "bola@example.org")
    assert done.returncode == 0 and "posted" in done.stdout, done.stderr
    again = groundswell(*base, "approve", correction_id, "--as", "bola@example.org")
    assert again.returncode == 0 and "approved already" in again.stdout
    assert (await check_ledger()).ok


async def test_ledger_check_names_a_correction_no_second_administrator_approved(
    pool: int,
) -> None:
    available, stripe = await accounts(pool)
    await ledger.post(
        "correction",
        "correction:999",
        [ledger.Posting(available, -1_00), ledger.Posting(stripe, 1_00)],
    )
    report = await check_ledger()
    assert any("has no approved correction" in v for v in report.violations), report.violations
