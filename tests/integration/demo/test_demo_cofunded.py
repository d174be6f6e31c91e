"""The demo's co-funded pool: three funders, each with its own deposit, and a round whose
lines are split among them to the penny (issue #16)."""

from __future__ import annotations

from groundswell.allocation import attribution, rounds
from groundswell.allocation.tables import AllocationShare, Round
from groundswell.demo.cofunded import POOL_NAME, load_cofunded_pool
from groundswell.demo.loader import load_demo
from groundswell.funders import cofunders
from groundswell.funders.tables import Pool
from groundswell.ledger_check import check_ledger
from groundswell.settings import Settings
from groundswell.web.app import create_app
from tests.helpers import asgi_client


async def test_the_demo_has_a_co_funded_pool_with_its_shares(settings: Settings) -> None:
    await load_demo(settings=settings)
    assert not await load_cofunded_pool(settings)  # once
    pool = await Pool.select().where(Pool.name == POOL_NAME).first()
    assert pool is not None
    funders = await cofunders.pool_funders(pool)
    assert [f["name"] for f in funders] == [
        "Common Ground Lottery Fund",
        "Middlesbrough Council",
        "Riverside Community Trust",
    ]
    round_row = await Round.select(Round.id).where(Round.pool == pool["id"]).first()
    assert round_row is not None
    stored = await rounds.get_round(round_row["id"])
    assert stored["allocated"] > 0
    assert await AllocationShare.exists().where(AllocationShare.round == stored["id"])
    shares = await attribution.round_shares(stored)
    assert sum(shares.values()) == stored["allocated"]
    assert len(shares) == 3
    assert (await check_ledger()).ok

    async with asgi_client(create_app(settings)) as client:
        await client.login("council@groundswell.example", "groundswell-demo")
        dashboard = await client.get("/dashboard")
        assert "Your share of co-funded rounds" in dashboard.text
        assert POOL_NAME in dashboard.text
