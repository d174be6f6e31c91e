"""Programme grants: proposed, then awarded once (with an audit entry), or cancelled.

Their money in the ledger is tested in test_grant_ledger.py."""

from __future__ import annotations

import asyncio

import pytest

from groundswell.accounts.tables import User
from groundswell.core.clock import today
from groundswell.core.errors import Conflict, Forbidden, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.tables import AuditEntry
from groundswell.programme.grants import award_grant, cancel_grant, propose_grant
from groundswell.programme.tables import ProgrammeGrant
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


async def admin_principal() -> Principal:
    email = await make_user(Role.ADMIN)
    user = await User.select(User.id).where(User.email == email).first()
    assert user is not None
    return Principal(user_id=user["id"], email=email, name="Admin", role=Role.ADMIN)


async def test_propose_award_and_cancel_through_the_pages(client: WebClient) -> None:
    pool = await make_pool(await make_funder(), name="Community Rights Programme", round_budget=0)
    await deposit(pool, "20000.00")
    bid = await make_asset_bid()
    await client.login(await make_user(Role.ADMIN))
    form = await client.get(f"/programme/grants/new?bid=asset-{bid}")
    assert form.status_code == 200 and f'value="asset-{bid}" selected' in form.text
    bad = await client.submit(
        "/programme/grants", {"bid": "", "pool_id": str(pool), "kind": "capital", "amount": "ten"}
    )
    assert bad.status_code == 422
    assert "exactly one bid" in bad.text and "amount in pounds" in bad.text
    assert 'value="ten"' in bad.text
    proposed = await client.submit(
        "/programme/grants",
        {
            "bid": f"asset-{bid}",
            "pool_id": str(pool),
            "kind": "feasibility",
            "amount": "9,500",
            "title": "",
            "description": "",
            "regrant_type": "",
        },
    )
    assert proposed.status_code in (302, 303), proposed.text[-1000:]
    grant = await ProgrammeGrant.select().first()
    assert grant is not None
    assert grant["status"] == "proposed" and grant["amount"] == 950_000
    assert grant["title"] == "Feasibility grant: The Red Lion"

    page = await client.get(f"/programme/asset-bids/{bid}")
    assert "£9,500.00" in page.text and "Proposed" in page.text

    check = await client.submit(f"/programme/grants/{grant['id']}/award", {})
    assert check.status_code == 200 and "this publishes to 360Giving" in check.text
    awarded = await client.submit(f"/programme/grants/{grant['id']}/award", {"confirmed": "yes"})
    assert awarded.status_code in (302, 303)
    again = await client.submit(f"/programme/grants/{grant['id']}/award", {"confirmed": "yes"})
    assert again.status_code in (302, 303)
    row = await ProgrammeGrant.select().first()
    assert row is not None and row["status"] == "awarded" and row["awarded_on"] == today()
    awards = await AuditEntry.select().where(AuditEntry.action == "programme.grant.awarded")
    assert len(awards) == 1 and awards[0]["subject_id"] == str(grant["id"])

    paid = await client.submit(
        f"/programme/grants/{grant['id']}/paid",
        {"payment_reference": "BACS 4471", "paid_on": today().isoformat(), "confirmed": "yes"},
    )
    assert paid.status_code in (302, 303), paid.text[-1000:]
    cancel = await client.submit(
        f"/programme/grants/{grant['id']}/cancel", {"reason": "changed our minds"}
    )
    assert cancel.status_code == 409  # the money has left the pool
    assert "has been paid" in cancel.text


async def test_award_is_one_state_change_even_when_raced() -> None:
    pool = await make_pool(await make_funder())
    await deposit(pool, "10000.00")
    grant = await make_programme_grant(pool, service_bid=await make_service_bid())
    admin = await admin_principal()
    results = await asyncio.gather(*(award_grant(admin, grant) for _ in range(3)))
    assert sorted(r.awarded_now for r in results) == [False, False, True]
    assert await AuditEntry.count().where(AuditEntry.action == "programme.grant.awarded") == 1


async def test_grant_rules() -> None:
    pool = await make_pool(await make_funder())
    bid = await make_asset_bid()
    admin = await admin_principal()
    funder = Principal(user_id=admin.user_id, email="f@example.org", name="F", role=Role.FUNDER)
    with pytest.raises(Forbidden):
        await award_grant(funder, 1)
    with pytest.raises(ValidationFailed) as both:
        await propose_grant(
            admin,
            {
                "pool_id": pool,
                "asset_bid_id": bid,
                "service_bid_id": bid,
                "kind": "capital",
                "amount": 100,
            },
            minor_units=True,
        )
    assert "asset_bid_id" in both.value.field_errors
    with pytest.raises(ValidationFailed) as regrant:
        await propose_grant(
            admin,
            {
                "pool_id": pool,
                "asset_bid_id": bid,
                "kind": "capital",
                "amount": 100,
                "regrant_type": "FRG999",
            },
            minor_units=True,
        )
    assert "regrant_type" in regrant.value.field_errors
    grant = await propose_grant(
        admin,
        {
            "pool_id": pool,
            "asset_bid_id": bid,
            "kind": "capital",
            "amount": 100,
            "regrant_type": "frg050",
        },
        minor_units=True,
    )
    with pytest.raises(ValidationFailed):
        await cancel_grant(admin, grant, "  ")
    assert await cancel_grant(admin, grant, "The group found other money")
    assert not await cancel_grant(admin, grant, "again")
    with pytest.raises(Conflict):
        await award_grant(admin, grant)
    row = await ProgrammeGrant.select().where(ProgrammeGrant.id == grant).first()
    assert row is not None and row["status"] == "cancelled" and row["regrant_type"] == "FRG050"
