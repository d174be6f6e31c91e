"""Text longer than its Varchar(n) column is a 422 at the field, never a 500.

PostgreSQL refuses the row (StringDataRightTruncationError); SQLite would store it. Lengths
come from the tables, so a column made shorter without its form following fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from piccolo.columns import Varchar

from groundswell.accounts.tables import User
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.core.principal import Role
from groundswell.core.tables import varchar_length
from groundswell.funders.tables import Deposit, Pool
from groundswell.programme.tables import AssetBid, ProgrammeGrant, ServiceBid
from tests import helpers
from tests.helpers import WebClient, field_error
from tests.integration.core.test_form_ids import NEW_USER, SERVICE_BID_FORM
from tests.integration.funders.test_pools import GOOD_FORM as POOL_FORM
from tests.integration.programme.test_programme_pages import GOOD as ASSET_BID_FORM

ORGANISER_FORM = {"name": "Amina", "bursary_start": "2025-09-01", "bursary_end": "2026-08-31"}
GRANT_FORM = {"kind": "capital", "amount": "7", "description": "", "regrant_type": ""}

# (url, a good form, the field, the column it is stored in)
CASES: list[tuple[str, dict[str, Any], str, Varchar]] = [
    ("/admin/users", {**NEW_USER, "role": "admin"}, "name", User.name),
    ("/localities", {"name": "Pallister"}, "name", Locality.name),
    ("/localities", {"name": "Pallister"}, "local_authority", Locality.local_authority),
    ("/hosts", {"name": "Pallister Park CA"}, "name", HostOrganisation.name),
    ("/hosts", {"name": "Pallister Park CA"}, "contact_name", HostOrganisation.contact_name),
    ("/hosts/{host}/organisers", ORGANISER_FORM, "name", Organiser.name),
    ("/funders/{funder}/pools", POOL_FORM, "name", Pool.name),
    ("/pools/{pool}/edit", POOL_FORM, "name", Pool.name),
    (
        "/pools/{pool}/deposits",
        {"amount": "10", "confirmed": "yes"},
        "reference",
        Deposit.external_reference,
    ),
    ("/programme/asset-bids", ASSET_BID_FORM, "asset_name", AssetBid.asset_name),
    ("/programme/asset-bids", ASSET_BID_FORM, "owner", AssetBid.owner),
    ("/programme/asset-bids", ASSET_BID_FORM, "local_authority", AssetBid.local_authority),
    ("/programme/asset-bids", ASSET_BID_FORM, "nominating_group", AssetBid.group_name),
    ("/programme/service-bids", SERVICE_BID_FORM, "service_name", ServiceBid.service_name),
    ("/programme/service-bids", SERVICE_BID_FORM, "nominating_group", ServiceBid.group_name),
    ("/programme/grants", {**GRANT_FORM, "bid": "asset-{bid}"}, "title", ProgrammeGrant.title),
]


async def _world() -> dict[str, int]:
    funder = await helpers.make_funder()
    locality = await helpers.make_locality("Hulme")
    return {
        "funder": funder,
        "host": await helpers.make_host("Hulme CA"),
        "pool": await helpers.make_pool(funder, round_budget=0),  # grants may come from it
        "bid": await helpers.make_asset_bid(),
        "locality": locality,
    }


@pytest.mark.parametrize(
    ("url", "form", "field", "column"),
    CASES,
    ids=[f"{url}:{field}" for url, _, field, _ in CASES],
)
async def test_one_character_too_many(
    client: WebClient, url: str, form: dict[str, Any], field: str, column: Varchar
) -> None:
    world = await _world()
    await client.login(await helpers.make_user(Role.ADMIN))
    values = {k: (v.format(**world) if isinstance(v, str) else v) for k, v in form.items()} | {
        "locality_id": str(world["locality"]),
        "pool_id": str(world["pool"]),
    }
    if url == "/programme/asset-bids" or url == "/programme/service-bids":
        values["locality_id"] = ""
    limit = varchar_length(column)
    response = await client.submit(url.format(**world), {**values, field: "x" * (limit + 1)})
    assert response.status_code == 422, response.text[-1500:]
    assert field_error(response.text, field) == f"Keep this to {limit} characters or fewer."
    # Exactly the column's length fits (PostgreSQL stores it).
    response = await client.submit(url.format(**world), {**values, field: "y" * limit})
    assert response.status_code in (302, 303), response.text[-1500:]
    stored = await column._meta.table.select(column).where(column == "y" * limit).first()
    assert stored is not None


async def test_default_grant_title_fits_a_long_bid_name(client: WebClient) -> None:
    pool = await helpers.make_pool(await helpers.make_funder(), round_budget=0)
    bid = await helpers.make_asset_bid(asset_name="R" * varchar_length(AssetBid.asset_name))
    await client.login(await helpers.make_user(Role.ADMIN))
    response = await client.submit(
        "/programme/grants",
        {**GRANT_FORM, "bid": f"asset-{bid}", "pool_id": str(pool), "title": ""},
    )
    assert response.status_code in (302, 303), response.text[-1500:]
    grant = await ProgrammeGrant.select(ProgrammeGrant.title).first()
    assert grant is not None
    assert grant["title"].startswith("Capital grant: RRR") and grant["title"].endswith("…")
    assert len(grant["title"]) == varchar_length(ProgrammeGrant.title)


async def test_text_that_grows_when_case_folded_still_fits(client: WebClient) -> None:
    """'ß'.upper() is 'SS', 'ﬃ'.casefold() is 'ffi', 'İ'.lower() is two characters."""
    pool = await helpers.make_pool(await helpers.make_funder())
    await client.login(await helpers.make_user(Role.ADMIN))
    reference = "ﬃ" * varchar_length(Deposit.external_reference)
    recorded = await client.submit(
        f"/pools/{pool}/deposits", {"amount": "10", "reference": reference, "confirmed": "yes"}
    )
    assert recorded.status_code in (302, 303), recorded.text[-1500:]
    again = await client.submit(
        f"/pools/{pool}/deposits", {"amount": "10", "reference": reference, "confirmed": "yes"}
    )
    assert again.status_code in (302, 303) and await Deposit.count() == 1

    ward = await client.submit("/localities", {"name": "Hulme", "ons_ward_code": "E05ßßßßßß"})
    assert ward.status_code == 422
    assert "9 characters" in (field_error(ward.text, "ons_ward_code") or "")
    authority = await client.submit("/localities", {"name": "Hulme", "ons_la_code": "E06ßßßßßß"})
    assert authority.status_code == 422
    assert "9 characters" in (field_error(authority.text, "ons_la_code") or "")
    assert await Locality.count() == 0

    email = "İ" * 250 + "@x.org"
    host = await client.submit("/hosts", {"name": "Hulme CA", "contact_email": email[:254]})
    assert host.status_code == 422
    assert field_error(host.text, "contact_email") == "Keep this to 254 characters or fewer."
    assert await HostOrganisation.count() == 0


@pytest.mark.parametrize("length", [190, 254, 10_000])
async def test_sign_in_with_a_very_long_email(client: WebClient, length: int) -> None:
    email = "x" * (length - len("@example.org")) + "@example.org"
    response = await client.submit("/login", {"email": email, "password": "wrong"})
    assert response.status_code == 422, response.text[-1500:]
    assert "do not match" in response.text
