"""Ids inside form fields: a number no row can have is a 422 at the field, never a 500.

PostgreSQL's `serial` stops at 2,147,483,647 (one more fails there as int4), SQLite's
integers at 2**63; '１' (full-width) and ' 1' are not ids even though `int()` takes them.
"""

from __future__ import annotations

import pytest

from groundswell.accounts.tables import User
from groundswell.community.tables import Organiser
from groundswell.core.principal import Role
from groundswell.funders.tables import Pool, PoolLocality
from groundswell.programme.tables import AssetBid, ProgrammeGrant, ServiceBid
from tests.helpers import (
    WebClient,
    field_error,
    make_asset_bid,
    make_funder,
    make_host,
    make_locality,
    make_pool,
    make_user,
)
from tests.integration.funders.test_pools import GOOD_FORM as POOL_FORM
from tests.integration.programme.test_programme_pages import GOOD as ASSET_BID_FORM

BAD_IDS = ["2147483648", "12345678901234567890", "99999999999999999999999", "１", " 1", "-1"]

SERVICE_BID_FORM = {
    "service_name": "North Ormesby youth service",
    "local_authority": "Middlesbrough",
    "locality_id": "",
    "nominating_group": "North Ormesby Youth Collective",
    "group_host_id": "",
    "group_org_id": "",
    "contact_emails": "youth@northormesby.example.org",
    "window_opens_on": "2024-04-01",
    "window_closes_on": "2024-06-30",
    "eoi_on": "2024-05-31",
    "decision_period_amount": "3",
    "decision_period_unit": "months",
    "notes": "",
}

NEW_USER = {"email": "new@example.org", "name": "New Member"}


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_organiser_locality(client: WebClient, bad: str) -> None:
    host, _ = await make_host(), await make_locality()
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit(
        f"/hosts/{host}/organisers",
        {
            "name": "Amina Hussein",
            "locality_id": bad,
            "bursary_start": "2025-09-01",
            "bursary_end": "2026-08-31",
        },
    )
    assert response.status_code == 422, response.text[-1500:]
    assert field_error(response.text, "locality_id") == "Choose a locality from the list."
    assert await Organiser.count() == 0


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_pool_localities(client: WebClient, bad: str) -> None:
    funder = await make_funder()
    locality = await make_locality()
    pool = await make_pool(funder, locality_ids=(locality,))
    await client.login(await make_user(Role.ADMIN))
    form = [*POOL_FORM.items(), ("locality_ids", str(locality)), ("locality_ids", bad)]
    for url in (f"/funders/{funder}/pools", f"/pools/{pool}/edit"):
        response = await client.submit(url, form)
        assert response.status_code == 422, (url, response.text[-1500:])
        assert (
            '<p class="error-message" id="f-locality_ids">Choose localities from the list.</p>'
            in response.text
        )
    assert await Pool.count() == 1
    assert [r["locality"] for r in await PoolLocality.select()] == [locality]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("field", ["locality_id", "group_host_id"])
async def test_bid_place_and_group(client: WebClient, bad: str, field: str) -> None:
    await client.login(await make_user(Role.ADMIN))
    expected = "Choose a place from the list." if field == "locality_id" else None
    for url, form in (
        ("/programme/asset-bids", ASSET_BID_FORM),
        ("/programme/service-bids", SERVICE_BID_FORM),
    ):
        response = await client.submit(url, {**form, field: bad})
        assert response.status_code == 422, (url, response.text[-1500:])
        message = field_error(response.text, field)
        assert message == (expected or "Choose a host organisation from the list."), url
    assert await AssetBid.count() == 0 and await ServiceBid.count() == 0


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("role", [Role.FUNDER, Role.HOST])
async def test_new_user_organisation(client: WebClient, bad: str, role: Role) -> None:
    await make_funder(), await make_host()
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit(
        "/admin/users", {**NEW_USER, "role": role.value, role.value: bad}
    )
    assert response.status_code == 422, response.text[-1500:]
    assert field_error(response.text, "org") == "Choose an organisation from the list."
    assert await User.count() == 1


async def test_new_user_organisation_that_does_not_exist(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit(
        "/admin/users", {**NEW_USER, "role": "funder", "funder": "2147483647"}
    )
    assert response.status_code == 422, response.text[-1500:]
    assert (
        field_error(response.text, "org")
        == "There is no funder 2147483647: choose one from the list."
    )
    assert await User.count() == 1


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_grant_bid_and_pool(client: WebClient, bad: str) -> None:
    pool = await make_pool(await make_funder(), round_budget=0)  # a programme pool
    bid = await make_asset_bid()
    await client.login(await make_user(Role.ADMIN))
    form = {"kind": "capital", "amount": "7", "title": "", "description": "", "regrant_type": ""}
    for values, field, message in (
        ({"bid": f"asset-{bad}", "pool_id": str(pool)}, "bid", "Choose a bid from the list."),
        ({"bid": f"service-{bad}", "pool_id": str(pool)}, "bid", "Choose a bid from the list."),
        ({"bid": f"other-{bid}", "pool_id": str(pool)}, "bid", "Choose a bid from the list."),
        ({"bid": f"asset-{bid}", "pool_id": bad}, "pool_id", "Choose a pool from the list."),
    ):
        response = await client.submit("/programme/grants", {**form, **values})
        assert response.status_code == 422, (values, response.text[-1500:])
        assert field_error(response.text, field) == message, values
    assert await ProgrammeGrant.count() == 0
