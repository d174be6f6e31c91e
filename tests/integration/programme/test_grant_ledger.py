"""Programme grants in the ledger: an award sets the money aside once, paying it and
cancelling an award move it on, refusals write nothing, and `ledger check` ties each
grant to exactly its postings."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

import pytest

from groundswell.accounts.tables import User
from groundswell.accounts.tokens import create_api_token
from groundswell.core.clock import today
from groundswell.core.errors import Conflict, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.tables import AuditEntry
from groundswell.exports.services import build_package
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind
from groundswell.ledger.tables import LedgerPosting, LedgerTransaction
from groundswell.ledger_check import check_ledger
from groundswell.programme.grants import award_grant, cancel_grant, mark_grant_paid
from groundswell.programme.tables import ProgrammeGrant
from groundswell.settings import Settings
from tests.helpers import (
    WebClient,
    deposit,
    make_asset_bid,
    make_funder,
    make_pool,
    make_programme_grant,
    make_service_bid,
    make_user,
)
from tests.integration.ledger.test_ledger_check import ledger_check


async def admin_principal() -> Principal:
    email = await make_user(Role.ADMIN)
    user = await User.select(User.id).where(User.email == email).first()
    assert user is not None
    return Principal(user_id=user["id"], email=email, name="Admin", role=Role.ADMIN)


async def funded_pool(pounds: str = "10000.00") -> int:
    pool = await make_pool(await make_funder(), name="Community Rights Programme")
    await deposit(pool, pounds)
    return pool


async def grant_transactions(grant_id: int) -> dict[str, dict[str, int]]:
    """{reference: {account kind: amount}} for the grant's ledger transactions."""
    rows = await LedgerPosting.select(
        LedgerPosting.txn.reference.as_alias("reference"),
        LedgerPosting.account.kind.as_alias("kind"),
        LedgerPosting.amount,
    ).where(LedgerPosting.txn.reference.like(f"grant:{grant_id}:%"))
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["reference"], {})[row["kind"]] = row["amount"]
    return found


async def balances(pool: int) -> dict[str, int]:
    return {**await ledger.pool_balances(pool), **await ledger.pool_grant_balances(pool)}


async def status_of(grant_id: int) -> dict[str, Any]:
    row = await ProgrammeGrant.select().where(ProgrammeGrant.id == grant_id).first()
    assert row is not None
    return row


async def test_an_award_posts_its_money_exactly_once() -> None:
    pool = await funded_pool("10000.00")
    grant = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=4_000_00)
    admin = await admin_principal()
    first = await award_grant(admin, grant)
    second = await award_grant(admin, grant)
    assert first.awarded_now and not second.awarded_now
    assert await grant_transactions(grant) == {
        f"grant:{grant}:award": {"available": -4_000_00, "grant_awarded": 4_000_00}
    }
    txn = (
        await LedgerTransaction.select()
        .where(LedgerTransaction.reference == f"grant:{grant}:award")
        .first()
    )
    assert txn is not None and txn["kind"] == "grant_award" and txn["pool"] == pool
    assert "Feasibility grant: The Red Lion" in txn["memo"]
    got = await balances(pool)
    assert got["available"] == 6_000_00 and got["grant_awarded"] == 4_000_00
    assert got["committed"] == 0 and got["grant_paid"] == 0
    (audit,) = await AuditEntry.select().where(AuditEntry.action == "programme.grant.awarded")
    assert audit["subject_id"] == str(grant)
    report = await check_ledger()
    assert report.ok, report.violations


async def test_racing_awards_of_the_same_grant_post_once() -> None:
    pool = await funded_pool()
    grant = await make_programme_grant(pool, service_bid=await make_service_bid())
    admin = await admin_principal()
    results = await asyncio.gather(*(award_grant(admin, grant) for _ in range(4)))
    assert sorted(r.awarded_now for r in results) == [False, False, False, True]
    assert len(await grant_transactions(grant)) == 1
    assert (await check_ledger()).ok


async def test_racing_awards_that_together_exceed_the_pool_one_wins_one_is_refused() -> None:
    pool = await funded_pool("8000.00")
    bid = await make_asset_bid()
    grants = [await make_programme_grant(pool, asset_bid=bid, amount=5_000_00) for _ in range(2)]
    admin = await admin_principal()
    results = await asyncio.gather(*(award_grant(admin, g) for g in grants), return_exceptions=True)
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict), results
    assert "£3,000.00 available" in refused[0].detail
    statuses = sorted([(await status_of(g))["status"] for g in grants])
    assert statuses == ["awarded", "proposed"]
    loser = grants[results.index(refused[0])]
    assert await grant_transactions(loser) == {}
    assert (await status_of(loser))["awarded_on"] is None
    assert await AuditEntry.count().where(AuditEntry.action == "programme.grant.awarded") == 1
    got = await balances(pool)
    assert got["available"] == 3_000_00 and got["grant_awarded"] == 5_000_00
    assert (await check_ledger()).ok


async def test_not_enough_money_refuses_the_award_and_writes_nothing() -> None:
    pool = await funded_pool("1000.00")
    grant = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=2_500_00)
    admin = await admin_principal()
    transactions = await LedgerTransaction.count()
    with pytest.raises(Conflict) as refused:
        await award_grant(admin, grant)
    message = refused.value.detail
    assert "Community Rights Programme has £1,000.00 available" in message
    assert "this grant is for £2,500.00, so it was not awarded" in message
    row = await status_of(grant)
    assert row["status"] == "proposed" and row["awarded_on"] is None
    assert await LedgerTransaction.count() == transactions
    assert not await AuditEntry.exists().where(AuditEntry.action == "programme.grant.awarded")
    assert (await balances(pool))["available"] == 1_000_00


async def test_marking_paid_moves_the_award_on_once_and_checks_its_input() -> None:
    pool = await funded_pool()
    grant = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=3_000_00)
    admin = await admin_principal()
    with pytest.raises(Conflict):  # not awarded yet
        await mark_grant_paid(admin, grant, {"payment_reference": "BACS 1"})
    await award_grant(admin, grant)
    with pytest.raises(ValidationFailed) as missing:
        await mark_grant_paid(admin, grant, {"payment_reference": " "})
    assert "payment_reference" in missing.value.field_errors
    future = (today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed) as ahead:
        await mark_grant_paid(admin, grant, {"payment_reference": "X", "paid_on": future})
    assert "paid_on" in ahead.value.field_errors
    before = (today() - timedelta(days=3)).isoformat()
    with pytest.raises(ValidationFailed) as early:
        await mark_grant_paid(admin, grant, {"payment_reference": "X", "paid_on": before})
    assert "awarded on" in early.value.field_errors["paid_on"]
    assert (await status_of(grant))["status"] == "awarded"

    paid = {"payment_reference": "BACS 4471", "paid_on": today().isoformat()}
    results = await asyncio.gather(*(mark_grant_paid(admin, grant, paid) for _ in range(3)))
    assert sorted(results) == [False, False, True]
    assert await grant_transactions(grant) == {
        f"grant:{grant}:award": {"available": -3_000_00, "grant_awarded": 3_000_00},
        f"grant:{grant}:paid": {"grant_awarded": -3_000_00, "grant_paid": 3_000_00},
    }
    row = await status_of(grant)
    assert row["status"] == "paid" and row["paid_on"] == today()
    assert row["payment_reference"] == "BACS 4471" and row["paid_by"] == admin.user_id
    audits = await AuditEntry.select().where(AuditEntry.action == "programme.grant.paid")
    assert len(audits) == 1
    got = await balances(pool)
    assert got["grant_awarded"] == 0 and got["grant_paid"] == 3_000_00
    assert got["available"] == 7_000_00
    with pytest.raises(Conflict) as no_undo:
        await cancel_grant(admin, grant, "The group closed")
    assert "has been paid" in no_undo.value.detail
    assert (await check_ledger()).ok


async def test_cancelling_an_award_returns_the_money_once() -> None:
    pool = await funded_pool("5000.00")
    grant = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=5_000_00)
    admin = await admin_principal()
    await award_grant(admin, grant)
    assert (await balances(pool))["available"] == 0
    with pytest.raises(ValidationFailed):
        await cancel_grant(admin, grant, "")
    results = await asyncio.gather(
        *(cancel_grant(admin, grant, "The owner withdrew the sale") for _ in range(3))
    )
    assert sorted(results) == [False, False, True]
    assert await grant_transactions(grant) == {
        f"grant:{grant}:award": {"available": -5_000_00, "grant_awarded": 5_000_00},
        f"grant:{grant}:cancel": {"grant_awarded": -5_000_00, "available": 5_000_00},
    }
    row = await status_of(grant)
    assert row["status"] == "cancelled" and row["cancelled_reason"] == "The owner withdrew the sale"
    (audit,) = await AuditEntry.select().where(AuditEntry.action == "programme.grant.cancelled")
    assert audit["subject_id"] == str(grant)
    detail = audit["detail"] if isinstance(audit["detail"], dict) else json.loads(audit["detail"])
    assert detail == {
        "reason": "The owner withdrew the sale",
        "was": "awarded",
        "ledger_reference": f"grant:{grant}:cancel",
        "amount": 5_000_00,
        "currency": "GBP",
        "pool": pool,
    }
    got = await balances(pool)
    assert got["available"] == 5_000_00 and got["grant_awarded"] == 0
    with pytest.raises(Conflict):
        await award_grant(admin, grant)
    with pytest.raises(Conflict):
        await mark_grant_paid(admin, grant, {"payment_reference": "BACS 1"})
    # The money is back: another grant can have it.
    other = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=5_000_00)
    assert (await award_grant(admin, other)).awarded_now
    assert (await check_ledger()).ok


async def test_ledger_check_ties_each_grant_to_its_postings() -> None:
    pool = await funded_pool("10000.00")
    bid = await make_asset_bid()
    admin = await admin_principal()
    healthy = await make_programme_grant(pool, asset_bid=bid, amount=1_000_00)
    await award_grant(admin, healthy)
    await mark_grant_paid(admin, healthy, {"payment_reference": "BACS 9"})
    assert (await check_ledger()).ok

    # A posting for a grant that was never awarded (written around award_grant).
    proposed = await make_programme_grant(pool, asset_bid=bid, amount=2_000_00)
    accounts = await ledger.pool_grant_accounts(pool)
    await ledger.post(
        "grant_award",
        f"grant:{proposed}:award",
        [
            ledger.Posting(accounts[AccountKind.AVAILABLE], -2_000_00),
            ledger.Posting(accounts[AccountKind.GRANT_AWARDED], 2_000_00),
        ],
    )
    # A grant marked awarded by hand, with no posting.
    by_hand = await make_programme_grant(
        pool, asset_bid=bid, amount=500_00, status="awarded", awarded_on=today()
    )
    # A posting for a grant that does not exist.
    await ledger.post(
        "grant_award",
        "grant:999999:award",
        [
            ledger.Posting(accounts[AccountKind.AVAILABLE], -1_00),
            ledger.Posting(accounts[AccountKind.GRANT_AWARDED], 1_00),
        ],
    )
    # An awarded grant whose amount was changed after its posting.
    changed = await make_programme_grant(pool, asset_bid=bid, amount=700_00)
    await award_grant(admin, changed)
    await ProgrammeGrant.update({ProgrammeGrant.amount: 750_00}).where(ProgrammeGrant.id == changed)

    violations = (await check_ledger()).violations
    text = "\n".join(violations)
    assert (
        f"ledger transaction grant:{proposed}:award does not fit grant {proposed}, which is proposed"
        in text
    )
    assert f"grant {by_hand} is awarded but has no ledger transaction grant:{by_hand}:award" in text
    assert "ledger transaction grant:999999:award belongs to no programme grant" in text
    assert (
        f"ledger transaction grant:{changed}:award should move £750.00 from pool {pool}'s "
        "available account to its grant_awarded account" in text
    )
    # Awarded and not paid: changed (£750) and by_hand (£500); the ledger holds £2,000 +
    # £1 + £700 in the grant_awarded account.
    assert (
        f"pool {pool}'s grant_awarded account holds £2,701.00 but its grants awarded add up "
        "to £1,250.00" in text
    )
    assert not any(f"grant:{healthy}:" in v for v in violations)
    result = ledger_check()
    assert result.returncode == 1
    assert f"VIOLATION: grant {by_hand} is awarded but has no ledger transaction" in result.stdout


async def test_a_cancelled_award_without_its_reversal_is_named() -> None:
    pool = await funded_pool()
    admin = await admin_principal()
    grant = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=1_000_00)
    await award_grant(admin, grant)
    await ProgrammeGrant.update({ProgrammeGrant.status: "cancelled"}).where(
        ProgrammeGrant.id == grant
    )
    text = "\n".join((await check_ledger()).violations)
    assert f"grant {grant} is cancelled but has no ledger transaction grant:{grant}:cancel" in text


# --------------------------------------------------------------------------------------------
# Pages and API
# --------------------------------------------------------------------------------------------


async def test_award_pay_and_cancel_through_the_bid_page(client: WebClient) -> None:
    pool = await funded_pool("3000.00")
    bid = await make_asset_bid()
    big = await make_programme_grant(pool, asset_bid=bid, amount=5_000_00, title="Capital grant")
    small = await make_programme_grant(pool, asset_bid=bid, amount=2_000_00, title="Small grant")
    await client.login(await make_user(Role.ADMIN))

    form = await client.get(f"/programme/grants/new?bid=asset-{bid}")
    assert "Community Rights Programme (Northern Roots, £3,000.00 available)" in form.text
    refused = await client.submit(f"/programme/grants/{big}/award", {})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("text/html")
    assert "has £3,000.00 available and this grant is for £5,000.00" in refused.text
    # Said at the top of the page too, with the focus, linking down to the grant.
    top = refused.text.split("<h1>", 1)[1].split('id="grants"', 1)[0]
    assert "data-focus-on-load" in top and 'href="#grants-heading"' in top
    assert (await status_of(big))["status"] == "proposed"

    check = await client.submit(f"/programme/grants/{small}/award", {})
    assert check.status_code == 200 and (await status_of(small))["status"] == "proposed"
    confirm = await client.submit(f"/programme/grants/{small}/award", {"confirmed": "yes"})
    assert confirm.status_code in (302, 303)
    page = await client.get(f"/programme/asset-bids/{bid}")
    assert ">Grant awarded</p>" in page.text  # the banner after the action
    assert "not yet paid" in page.text and f"/programme/grants/{small}/paid" in page.text

    no_reference = await client.submit(
        f"/programme/grants/{small}/paid", {"payment_reference": "", "paid_on": ""}
    )
    assert no_reference.status_code == 422
    assert "This is required." in no_reference.text
    assert f'id="payment_reference-{small}"' in no_reference.text
    assert (await status_of(small))["status"] == "awarded"

    paid = await client.submit(
        f"/programme/grants/{small}/paid",
        {"payment_reference": "BACS 2231", "paid_on": today().isoformat(), "confirmed": "yes"},
    )
    assert paid.status_code in (302, 303)
    page = await client.get(f"/programme/asset-bids/{bid}")
    assert "ref. BACS 2231" in page.text
    # The dashboard dates a payment as it dates an award.
    dashboard = (await client.get("/programme")).text
    assert f"<td>Paid {today().day} " in dashboard

    ledger_page = await client.get(f"/admin/ledger/pools/{pool}")
    assert ledger_page.status_code == 200
    assert f"grant:{small}:award" in ledger_page.text and f"grant:{small}:paid" in ledger_page.text
    assert "Grant awarded: set aside from available" in ledger_page.text
    assert "Grant paid to the group (ref. BACS 2231)" in ledger_page.text
    assert "Small grant" in ledger_page.text
    assert "Programme grants paid</dt><dd>£2,000.00" in ledger_page.text
    index = (await client.get("/admin/ledger")).text
    assert '<th scope="col" class="num">Grants paid</th>' in index
    # available, committed, in transit, paid, grants awarded, grants paid
    cells = "".join(
        f'<td class="num" data-label="{label}">{amount}</td>'
        for label, amount in (
            ("Available", "£1,000.00"),
            ("Committed", "£0.00"),
            ("In transit", "£0.00"),
            ("Paid", "£0.00"),
            ("Grants awarded", "£0.00"),
            ("Grants paid", "£2,000.00"),
        )
    )
    assert cells in index

    # Cancelling the big one while proposed moves nothing; the small one is paid: refused.
    assert (
        await client.submit(f"/programme/grants/{big}/cancel", {"reason": "Too big"})
    ).status_code in (302, 303)
    cancel_paid = await client.submit(f"/programme/grants/{small}/cancel", {"reason": "Oops"})
    assert cancel_paid.status_code == 409 and "has been paid" in cancel_paid.text
    assert await grant_transactions(big) == {}
    assert (await check_ledger()).ok


async def test_grants_api(client: WebClient) -> None:
    pool = await funded_pool("1000.00")
    funder_id = await make_funder(name="Another Trust")
    bid = await make_service_bid()
    admin = {"authorization": f"Bearer {await create_api_token(await make_user(Role.ADMIN))}"}
    funder_email = await make_user(Role.FUNDER, funder_ids=(funder_id,))
    reader = {"authorization": f"Bearer {await create_api_token(funder_email)}"}
    url = "/api/v1/programme/grants"

    created = await client.post(
        url,
        json={"pool_id": pool, "service_bid_id": bid, "kind": "feasibility", "amount": 1_500_00},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    grant = created.json()
    assert grant["status"] == "proposed" and grant["ledger_references"] == []
    bad = await client.post(
        url, json={"pool_id": pool, "kind": "capital", "amount": 100}, headers=admin
    )
    assert bad.status_code == 422 and "asset_bid_id" in bad.json()["errors"]

    short = await client.post(f"{url}/{grant['id']}/award", headers=admin)
    assert short.status_code == 409
    assert short.headers["content-type"].startswith("application/problem+json")
    assert "£1,000.00 available" in short.json()["detail"]
    assert await grant_transactions(grant["id"]) == {}

    await deposit(pool, "1000.00", reference="BANK-2")
    awarded = await client.post(f"{url}/{grant['id']}/award", headers=admin)
    assert awarded.status_code == 200, awarded.text
    assert awarded.json()["status"] == "awarded"
    assert awarded.json()["ledger_references"] == [f"grant:{grant['id']}:award"]
    again = await client.post(f"{url}/{grant['id']}/award", headers=admin)
    assert again.status_code == 200 and len(await grant_transactions(grant["id"])) == 1

    read = await client.get(f"{url}/{grant['id']}", headers=reader)
    assert read.status_code == 200 and read.json()["amount"] == 1_500_00
    assert (await client.post(f"{url}/{grant['id']}/award", headers=reader)).status_code == 403

    missing = await client.post(f"{url}/{grant['id']}/paid", json={}, headers=admin)
    assert missing.status_code in (400, 422)
    paid = await client.post(
        f"{url}/{grant['id']}/paid", json={"payment_reference": "FPS 77"}, headers=admin
    )
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert body["status"] == "paid" and body["paid_on"] == today().isoformat()
    assert body["ledger_references"] == [f"grant:{grant['id']}:award", f"grant:{grant['id']}:paid"]
    cancel = await client.post(
        f"{url}/{grant['id']}/cancel", json={"reason": "changed our minds"}, headers=admin
    )
    assert cancel.status_code == 409 and "has been paid" in cancel.json()["detail"]
    assert (await check_ledger()).ok


async def test_open_data_publishes_awarded_and_paid_grants_not_cancelled_awards(
    settings: Settings,
) -> None:
    pool = await funded_pool()
    bid = await make_asset_bid()
    admin = await admin_principal()
    awarded, paid, undone = [
        await make_programme_grant(pool, asset_bid=bid, amount=1_000_00) for _ in range(3)
    ]
    for grant in (awarded, paid, undone):
        await award_grant(admin, grant)
    await mark_grant_paid(admin, paid, {"payment_reference": "BACS 1"})
    await cancel_grant(admin, undone, "The group found other money")
    package = await build_package(settings)
    ids = {g["id"] for g in package["grants"]}
    prefix = settings.grant_id_prefix
    assert f"{prefix}-programme-{awarded}" in ids and f"{prefix}-programme-{paid}" in ids
    assert f"{prefix}-programme-{undone}" not in ids


def grant_cells(html: str) -> list[str] | None:
    """The amounts in the pool page's programme-grants table, or None when it has none."""
    found = re.search(
        r"<caption>Community Rights programme grants from this pool</caption>(.*?)</table>",
        html,
        re.S,
    )
    return re.findall(r'<td class="num">([^<]*)</td>', found.group(1)) if found else None


async def test_the_funders_pool_page_shows_its_programme_grants(client: WebClient) -> None:
    funder = await make_funder()
    pool = await make_pool(funder, name="Community Rights Programme")
    await deposit(pool, "10000.00")
    listening = await make_pool(funder, name="Listening Fund")
    await deposit(listening, "500.00", reference="BANK-2")
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    before = await client.get(f"/pools/{pool}")
    assert before.status_code == 200 and "£10,000.00" in before.text
    assert grant_cells(before.text) is None  # no grant yet: nothing to show

    admin = await admin_principal()
    paid = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=4_000_00)
    awarded = await make_programme_grant(
        pool, service_bid=await make_service_bid(), amount=1_500_00
    )
    proposed = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=9_00)
    for grant in (paid, awarded):
        await award_grant(admin, grant)
    await mark_grant_paid(admin, paid, {"payment_reference": "BACS 1"})

    page = (await client.get(f"/pools/{pool}")).text
    assert grant_cells(page) == ["£1,500.00", "£4,000.00"]  # awarded not yet paid; paid
    assert "£4,500.00" in page  # what is left available, in the round balances as before
    assert grant_cells((await client.get(f"/pools/{listening}")).text) is None

    # A cancelled award gives its money back: with nothing awarded or paid, nothing shows.
    await cancel_grant(admin, proposed, "Not needed")
    other = await make_pool(funder, name="Small Grants")
    await deposit(other, "100.00", reference="BANK-3")
    cancelled = await make_programme_grant(other, asset_bid=await make_asset_bid(), amount=50_00)
    await award_grant(admin, cancelled)
    await cancel_grant(admin, cancelled, "The group withdrew")
    assert grant_cells((await client.get(f"/pools/{other}")).text) is None
