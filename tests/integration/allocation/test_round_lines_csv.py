"""A round's lines as CSV, for the round's funder and staff only, and what hosts expect."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from groundswell.allocation.tables import Allocation
from groundswell.core.principal import Role
from tests.factories import computed_round, pool_in_a_place, vouched_organiser
from tests.helpers import WebClient, deposit, make_funder, make_user


async def test_the_lines_csv_says_what_the_round_page_says(client: WebClient) -> None:
    place = await pool_in_a_place(min_endorsers=2, round_budget=900_00)
    await vouched_organiser(place.host, place.locality, "Amina Hussein", 5, code="AMINA-7K")
    await vouched_organiser(place.host, place.locality, "Dele Okafor", 3, code="DELE-3M")
    await deposit(place.pool, "2000.00")
    round_id = await computed_round(place.pool)

    await client.login(
        await make_user(Role.FUNDER, "other@example.org", funder_ids=(await make_funder("Other"),))
    )
    assert (await client.get(f"/rounds/{round_id}/lines.csv")).status_code == 403
    await client.login(await make_user(Role.FUNDER, funder_ids=(place.funder,)))
    page = (await client.get(f"/rounds/{round_id}")).text
    assert f'href="/rounds/{round_id}/lines.csv" download' in page
    response = await client.get(f"/rounds/{round_id}/lines.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Organiser's code"] for r in rows] == ["AMINA-7K", "DELE-3M"]
    amounts = {a["amount"] for a in await Allocation.select(Allocation.amount)}
    assert {int(Decimal(r["Amount"]) * 100) for r in rows} == amounts
    assert [r["Residents counted"] for r in rows] == ["5", "3"]
    assert all(r["State"] == "Proposed" and r["Why"] for r in rows), rows
    assert round(sum(float(r["Share of the round's score (%)"]) for r in rows)) == 100


async def test_hosts_see_amounts_in_review_and_when_they_are_approved(
    client: WebClient,
) -> None:
    place = await pool_in_a_place(min_endorsers=2, round_budget=900_00)
    await vouched_organiser(place.host, place.locality, "Amina Hussein", 5, code="AMINA-7K")
    await deposit(place.pool, "2000.00")
    host = await make_user(Role.HOST, host_ids=(place.host,))
    await client.login(host)
    before = (await client.get(f"/hosts/{place.host}")).text
    assert "Nothing is in review for your organisers just now." in before
    round_id = await computed_round(place.pool)
    page = " ".join((await client.get(f"/hosts/{place.host}")).text.split())
    assert "Expected: in review" in page and "£900.00" in page
    assert "Northern Roots, Listening Fund," in page
    assert 'data-label="Approved">' in page and "Paused by the funder" not in page
    await client.login(await make_user(Role.FUNDER, funder_ids=(place.funder,)))
    paused_now = await client.submit(f"/rounds/{round_id}/pause", {"reason": "checking a burst"})
    assert paused_now.status_code == 303
    await client.login(host)
    paused = (await client.get(f"/hosts/{place.host}")).text
    assert "Paused by the funder: no date until they resume it" in paused
