"""The pages of rounds, the simulator, deposits and the ledger, through the ASGI app."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from groundswell.allocation import review, rounds
from groundswell.allocation.tables import Allocation, Round
from groundswell.core.clock import frozen_at, now
from groundswell.funders.tables import Deposit
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerTransaction
from groundswell.outbox.tables import OutboxMessage
from tests.factories import computed_round, make_people, pool_in_a_place, vouched_organiser
from tests.helpers import WebClient, deposit, field_error

REASON = {"reason": "Checking the figures with the board"}


@dataclass
class World:
    pool: int
    round_id: int
    funder: int


@pytest.fixture
async def world() -> World:
    place = await pool_in_a_place(
        pool="Teesside Listening Fund", min_endorsers=2, cap_amount=550_00
    )
    host, locality = place.host, place.locality
    await vouched_organiser(host, locality, "Amina Hussein", 5, code="AMINA-2A")
    await vouched_organiser(host, locality, "Dele Okafor", 2, code="DELE-3B")
    await vouched_organiser(host, locality, "Ruth Kelly", 1, code="RUTH-4C")
    await deposit(place.pool, "1000.00")
    await make_people(place.funder, host)
    round_id = await computed_round(place.pool)
    return World(pool=place.pool, round_id=round_id, funder=place.funder)


async def test_the_round_page_explains_each_amount(client: WebClient, world: World) -> None:
    await client.login("funder@example.org")
    page = (await client.get(f"/rounds/{world.round_id}")).text
    assert "In review until" in page and "Pause this round" in page
    assert "<dt>Status</dt><dd>In review</dd>" in page
    assert "AMINA-2A" in page and "Why £550.00" in page  # capped
    assert "Capped at £550.00" in page
    assert "Why £450.00" in page and "£62.57 passed on from capped organisers" in page
    assert "5 residents counted" in page
    assert "fewer than the 2 needed" in page  # Ruth: one voice
    assert "Not counted" in page and "Weights" in page and "Score" in page
    assert "Teesside Listening Fund" in page
    # Each funded line's share of all scores, whatever the scoring rule; Ruth has none.
    table = page.split("Allocations in this round", 1)[1]
    shares = [float(s) for s in re.findall(r"<td class=\"num\"[^>]*>(\d+\.\d)% <span", table)]
    assert len(shares) == 2 and abs(sum(shares) - 100) < 0.2, shares
    assert shares[0] > shares[1]


async def test_pause_and_resume_from_the_page(client: WebClient, world: World) -> None:
    await client.login("funder@example.org")
    paused = await client.submit(f"/rounds/{world.round_id}/pause", REASON)
    assert paused.status_code == 303 and paused.headers["location"] == f"/rounds/{world.round_id}"
    page = (await client.get(f"/rounds/{world.round_id}")).text
    assert "Paused" in page and "Resume this round" in page
    assert 'role="alert"' in page and ">Round paused</p>" in page  # the banner, once
    assert ">Round paused</p>" not in (await client.get(f"/rounds/{world.round_id}")).text
    assert (await rounds.get_round(world.round_id))["status"] == "paused"
    twice = await client.submit(f"/rounds/{world.round_id}/pause", REASON)  # a second press
    assert "This round was already paused" in (await client.get(twice.headers["location"])).text
    resumed = await client.submit(f"/rounds/{world.round_id}/resume", REASON)
    assert resumed.status_code == 303
    assert ">Round resumed</p>" in (await client.get(resumed.headers["location"])).text
    assert (await rounds.get_round(world.round_id))["status"] == "computed"
    with frozen_at(now() + timedelta(days=30)):
        assert await review.approve_round(world.round_id)
    late = await client.submit(f"/rounds/{world.round_id}/pause", REASON)
    assert late.status_code == 409 and "can no longer be paused" in late.text
    # Refused: said at the top of the page, and the focus goes there.
    assert re.search(
        r'<div class="error-summary" role="alert" tabindex="-1" data-focus-on-load>', late.text
    )
    assert (await rounds.get_round(world.round_id))["status"] == "approved"


async def test_only_the_funder_and_admins_see_a_round(client: WebClient, world: World) -> None:
    await client.login("other@example.org")
    assert (await client.get(f"/rounds/{world.round_id}")).status_code == 403
    assert (await client.submit(f"/rounds/{world.round_id}/pause", REASON)).status_code == 403
    assert (await rounds.get_round(world.round_id))["status"] == "computed"
    assert (await client.get(f"/pools/{world.pool}/simulate")).status_code == 403


async def test_there_is_no_way_to_edit_a_line(client: WebClient, world: World) -> None:
    await client.login("admin@example.org")
    line = await Allocation.select().first()
    assert line is not None
    for path in (f"/rounds/{world.round_id}/allocations/{line['id']}", f"/rounds/{world.round_id}"):
        response = await client.submit(path, {"amount": "1"})
        assert response.status_code in (404, 405)
    assert (await Allocation.select().where(Allocation.id == line["id"]).first()) == line


async def test_the_pool_page_shows_money_rounds_and_the_simulator_to_managers(
    client: WebClient, world: World
) -> None:
    public = (await client.get(f"/pools/{world.pool}")).text
    assert "Try other settings" not in public and f"/rounds/{world.round_id}" not in public
    await client.login("funder@example.org")
    page = (await client.get(f"/pools/{world.pool}")).text
    assert f'href="/rounds/{world.round_id}"' in page
    assert "Try other settings" in page and 'hx-get="/pools/' in page
    assert "Record a bank transfer" not in page  # admins only
    assert "£0.00" in page and "£1,000.00" in page  # available, committed
    dashboard = (await client.get("/dashboard")).text
    assert f"/rounds/{world.round_id}" in dashboard


async def test_the_simulator_with_and_without_htmx_writes_nothing(
    client: WebClient, world: World
) -> None:
    await client.login("funder@example.org")
    before = (
        await Round.count(),
        await Allocation.count(),
        await LedgerTransaction.count(),
        await OutboxMessage.count(),
    )
    query = {
        "score_method": "proportional",
        "min_endorsers": "1",
        "cap_amount": "",
        "budget": "300",
    }
    partial = await client.get(
        f"/pools/{world.pool}/simulate", params=query, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="simulation"')
    assert "<html" not in partial.text
    assert "nothing was saved" in partial.text and "RUTH-4C" in partial.text
    full = await client.get(f"/pools/{world.pool}/simulate", params=query)
    assert full.status_code == 200 and "<html" in full.text and "nothing was saved" in full.text
    assert 'value="300"' in full.text  # the form keeps what was asked
    bad = await client.get(
        f"/pools/{world.pool}/simulate", params={"min_endorsers": "none", "budget": "lots"}
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "min_endorsers") == "Enter a whole number."
    assert "The simulation could not run." in bad.text
    bad_partial = await client.get(
        f"/pools/{world.pool}/simulate", params={"budget": "lots"}, headers={"HX-Request": "true"}
    )
    assert bad_partial.status_code == 422 and "<html" not in bad_partial.text
    assert "The simulation could not run." in bad_partial.text
    after = (
        await Round.count(),
        await Allocation.count(),
        await LedgerTransaction.count(),
        await OutboxMessage.count(),
    )
    assert after == before


async def test_admins_record_deposits_on_the_pool_page(client: WebClient, world: World) -> None:
    await client.login("admin@example.org")
    page = (await client.get(f"/pools/{world.pool}")).text
    assert "Record a bank transfer" in page
    check = await client.submit(
        f"/pools/{world.pool}/deposits", {"amount": "2,500.50", "reference": "BACS 42"}
    )
    assert check.status_code == 200 and "goes from £0.00 to £2,500.50" in check.text
    assert (await ledger.pool_balances(world.pool))["available"] == 0  # nothing written yet
    made = await client.submit(
        f"/pools/{world.pool}/deposits",
        {"amount": "2500.50", "reference": "BACS 42", "confirmed": "yes"},
    )
    assert made.status_code == 303
    assert (await ledger.pool_balances(world.pool))["available"] == 2500_50
    shown = (await client.get(made.headers["location"])).text
    assert "recorded" in shown and "£2,500.50" in shown
    bad = await client.submit(
        f"/pools/{world.pool}/deposits",
        {"amount": "-5", "reference": "", "received_on": "2999-01-01"},
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "amount")
    assert field_error(bad.text, "reference") == "This is required."
    assert field_error(bad.text, "received_on") == "The money cannot have arrived in the future."
    assert (await ledger.pool_balances(world.pool))["available"] == 2500_50


async def test_admin_rounds_and_ledger_pages(client: WebClient, world: World) -> None:
    await client.login("admin@example.org")
    rounds = (await client.get("/admin/rounds")).text
    assert f"/rounds/{world.round_id}" in rounds and "Teesside Listening Fund" in rounds
    index = (await client.get("/admin/ledger")).text
    assert f"/admin/ledger/pools/{world.pool}" in index and "£1,000.00" in index
    pool_ledger = (await client.get(f"/admin/ledger/pools/{world.pool}")).text
    (deposit_row,) = await Deposit.select(Deposit.id)
    assert f"round:{world.round_id}:commit" in pool_ledger
    assert f"<code>deposit:{deposit_row['id']}</code>" in pool_ledger
    assert f"pool:{world.pool}:committed" in pool_ledger
    # Kinds in words from the one mapping; references stay, as the audit trail.
    assert '<td data-label="Kind">Round allocated (money set aside)</td>' in pool_ledger
    assert '<td data-label="Kind">Deposit from the funder</td>' in pool_ledger
    assert "round commit" not in pool_ledger
    assert f"account <code>pool:{world.pool}:available</code>" in pool_ledger
    assert "checks that every transaction balances to zero" in index
