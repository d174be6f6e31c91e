"""A grant proposal sent twice (double click, retry, two tabs) is proposed once."""

from __future__ import annotations

import asyncio

from groundswell.core.principal import Role
from groundswell.programme.tables import ProgrammeGrant
from tests.helpers import WebClient, make_asset_bid, make_funder, make_pool, make_user

FORM = {"kind": "capital", "amount": "7", "title": "Roof", "description": "", "regrant_type": ""}


async def test_the_same_proposal_twice_makes_one_grant(client: WebClient) -> None:
    pool, bid = await make_pool(await make_funder(), round_budget=0), await make_asset_bid()
    await client.login(await make_user(Role.ADMIN))
    form = {**FORM, "bid": f"asset-{bid}", "pool_id": str(pool)}
    first = await client.submit("/programme/grants", form)
    assert first.headers["location"] == f"/programme/asset-bids/{bid}#grants"
    again = await client.submit("/programme/grants", form)
    assert again.status_code in (302, 303)
    assert again.headers["location"] == f"/programme/asset-bids/{bid}?repeated=grant#grants"
    assert await ProgrammeGrant.count() == 1
    page = await client.get(again.headers["location"])
    assert "That grant was proposed already" in page.text

    # A different amount or title is another grant.
    await client.submit("/programme/grants", {**form, "amount": "8"})
    await client.submit("/programme/grants", {**form, "title": "Windows"})
    assert await ProgrammeGrant.count() == 3


async def test_concurrent_identical_proposals_make_one_grant(client: WebClient) -> None:
    pool, bid = await make_pool(await make_funder(), round_budget=0), await make_asset_bid()
    await client.login(await make_user(Role.ADMIN))
    form = {**FORM, "bid": f"asset-{bid}", "pool_id": str(pool)}
    responses = await asyncio.gather(*(client.submit("/programme/grants", form) for _ in range(6)))
    assert all(r.status_code in (302, 303) for r in responses), responses
    assert await ProgrammeGrant.count() == 1
