"""Dates outside 2000–2100 are refused at the field (Python would take 0001 to 9999)."""

from __future__ import annotations

import pytest

from groundswell.community.tables import Organiser
from groundswell.core.principal import Role
from groundswell.funders.tables import Deposit
from groundswell.programme.tables import AssetBid
from tests.helpers import WebClient, field_error, make_funder, make_host, make_locality, make_pool
from tests.helpers import make_user as make_account
from tests.integration.programme.test_programme_pages import GOOD as ASSET_BID_FORM

RANGE = "Enter a date between 2000 and 2100."
FAR = ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", FAR[:2])
async def test_deposit_received_long_ago(client: WebClient, day: str) -> None:
    pool = await make_pool(await make_funder())
    await client.login(await make_account(Role.ADMIN))
    response = await client.submit(
        f"/pools/{pool}/deposits", {"amount": "10", "reference": "BACS 1", "received_on": day}
    )
    assert response.status_code == 422, response.text[-1500:]
    assert field_error(response.text, "received_on") == RANGE
    assert await Deposit.count() == 0


async def test_organiser_bursary_from_year_one_to_9999(client: WebClient) -> None:
    host, locality = await make_host(), await make_locality()
    await client.login(await make_account(Role.ADMIN))
    response = await client.submit(
        f"/hosts/{host}/organisers",
        {
            "name": "Amina",
            "locality_id": str(locality),
            "bursary_start": "0001-01-01",
            "bursary_end": "9999-12-31",
        },
    )
    assert response.status_code == 422, response.text[-1500:]
    assert field_error(response.text, "bursary_start") == RANGE
    assert field_error(response.text, "bursary_end") == RANGE
    assert await Organiser.count() == 0


@pytest.mark.parametrize("day", FAR)
async def test_bid_nominated_out_of_range(client: WebClient, day: str) -> None:
    await client.login(await make_account(Role.ADMIN))
    response = await client.submit("/programme/asset-bids", {**ASSET_BID_FORM, "nominated_on": day})
    assert response.status_code == 422, response.text[-1500:]
    assert field_error(response.text, "nominated_on") == RANGE
    assert await AssetBid.count() == 0
