"""The funder's dashboard: balances from the ledger, rounds to review, the next round of each
pool and the latest published words from their pools' places, through the ASGI app."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from groundswell.allocation.periods import next_period
from groundswell.allocation.reports import current_period
from groundswell.community.tables import HostOrganisation
from groundswell.core.clock import now
from groundswell.core.money import format_money
from groundswell.core.principal import Role
from groundswell.funders.services import get_pool
from groundswell.ledger import services as ledger
from groundswell.payments import payouts
from groundswell.payments.offline import OfflineGateway
from groundswell.settings import Settings
from tests.factories import (
    approve_after_review,
    computed_round,
    onboard_host,
    pool_in_a_place,
    vouched_organiser,
)
from tests.helpers import (
    WebClient,
    deposit,
    make_funder,
    make_locality,
    make_organiser,
    make_pool,
    make_user,
    make_voice,
)


@dataclass
class World:
    listening: int  # a pool with money and a round in review
    waiting: int  # a pool with no money yet
    others: int  # another funder's pool
    round_id: int


@pytest.fixture
async def world() -> World:
    place = await pool_in_a_place(pool="Teesside Listening Fund", min_endorsers=2)
    here, funder, listening, host = place.locality, place.funder, place.pool, place.host
    quiet = await make_locality("Hulme")
    elsewhere = await make_locality("Splott")
    other = await make_funder("Common Ground")
    waiting = await make_pool(
        funder, "Hulme Fund", locality_ids=(quiet,), cadence="monthly", round_budget=500_00
    )
    others = await make_pool(other, "Cardiff Voices", locality_ids=(elsewhere,))
    amina = await vouched_organiser(host, here, "Amina Hussein", 3, code="AMINA-2A")
    siobhan = await make_organiser(host, elsewhere, "Siobhan Lee", code="SIOBHAN-3B")
    moment = now()
    await make_voice(amina, "She fixed the lights.", at=moment - timedelta(hours=3))
    await make_voice(
        amina,
        "Mail me at maureen@example.org about the food bank, she set it up.",
        at=moment - timedelta(hours=2),
        display_name="Maureen",
        neighbourhood="Grove Hill",
    )
    await make_voice(amina, "Private words, not for funders.", consent=False)
    await make_voice(siobhan, "Words from another funder's place.", at=moment)
    await deposit(listening, "20000.00")
    await make_user(Role.FUNDER, funder_ids=(funder,))
    await make_user(Role.FUNDER, "other@example.org", funder_ids=(other,))
    round_id = await computed_round(listening)
    return World(listening, waiting, others, round_id)


def pool_card(page: str, pool_id: int) -> dict[str, str]:
    start = page.index(f'id="pool-{pool_id}"')
    card = page[start : page.index("</section>", start)]
    return dict(re.findall(r'data-balance="(\w+)">([^<]+)<', card))


def expected(balances: dict[str, int]) -> dict[str, str]:
    return {kind: format_money(amount, "GBP") for kind, amount in balances.items()}


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def test_balances_match_the_ledger_at_every_stage(
    client: WebClient, world: World, settings: Settings
) -> None:
    await client.login("funder@example.org")
    page = (await client.get("/dashboard")).text
    computed = await ledger.pool_balances(world.listening)
    assert computed["committed"] > 0 and computed["available"] > 0
    assert pool_card(page, world.listening) == expected(computed)
    assert pool_card(page, world.waiting) == expected(await ledger.pool_balances(world.waiting))
    assert f'id="pool-{world.others}"' not in page and "Cardiff Voices" not in page

    # Approved and paid to an onboarded host: the money moves to paid, and so does the page.
    gateway = OfflineGateway(settings)
    host = await HostOrganisation.select(HostOrganisation.id).first()
    assert host is not None
    await onboard_host(settings, gateway, host["id"])
    await approve_after_review(world.round_id)
    await payouts.pay_approved(settings, gateway)
    paid = await ledger.pool_balances(world.listening)
    assert paid["paid"] == computed["committed"] and paid["committed"] == 0
    page = (await client.get("/dashboard")).text
    assert pool_card(page, world.listening) == expected(paid)
    assert "Rounds waiting for your review" not in page


async def test_rounds_to_review_pause_and_resume_from_the_dashboard(
    client: WebClient, world: World
) -> None:
    await client.login("funder@example.org")
    page = (await client.get("/dashboard")).text
    review = page[page.index('id="to-review"') : page.index("</section>", page.index("to-review"))]
    assert f'href="/rounds/{world.round_id}"' in review
    assert f'href="/rounds/{world.round_id}#f-pause-reason"' in review  # the form asks why
    assert "Approved automatically" in text(review)
    # The recent rounds table names the status as people say it, not the stored value.
    recent = page[page.rindex(f'<a href="/rounds/{world.round_id}">') :]
    assert "<td>In review<span" in recent.split("</tr>", 1)[0]
    reason = {"reason": "Checking the figures"}
    assert (await client.submit(f"/rounds/{world.round_id}/pause", reason)).status_code == 303
    review = (await client.get("/dashboard")).text
    assert f'href="/rounds/{world.round_id}#f-resume-reason"' in review
    assert "Paused." in text(review)
    assert (await client.submit(f"/rounds/{world.round_id}/resume", reason)).status_code == 303
    assert (
        f'href="/rounds/{world.round_id}#f-pause-reason"' in (await client.get("/dashboard")).text
    )
    # Another funder can neither see nor pause it.
    await client.login("other@example.org")
    assert f"/rounds/{world.round_id}" not in (await client.get("/dashboard")).text
    assert (await client.submit(f"/rounds/{world.round_id}/pause", reason)).status_code == 403


async def test_the_next_round_of_each_pool(client: WebClient, world: World) -> None:
    await client.login("funder@example.org")
    page = (await client.get("/dashboard")).text
    upcoming = text(page[page.index('id="upcoming"') : page.index('id="rounds"')])
    listening = await get_pool(world.listening)
    after = next_period(current_period(listening), listening["cadence"])
    budget = format_money(listening["round_budget"], "GBP")
    assert (
        f"Teesside Listening Fund {after.label()} Computed on {after.start:%-d %b %Y} "
        f"{budget} the round budget" in upcoming
    )
    hulme = await get_pool(world.waiting)
    current = current_period(hulme)
    assert (
        f"Hulme Fund {current.label()} Waiting for money: top up to start it "
        "£0.00 of £500.00: only this is available" in upcoming
    )


async def test_recent_voices_are_published_redacted_and_from_their_places(
    client: WebClient, world: World
) -> None:
    await client.login("funder@example.org")
    page = (await client.get("/dashboard")).text
    voices = page[page.index('id="recent-voices"') :]
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", voices)
    assert quotes[0] == "Mail me at [e-mail removed] about the food bank, she set it up."
    assert quotes[1] == "She fixed the lights."
    assert len(quotes) == 2  # the other voices were not consented for funders
    assert "maureen@example.org" not in page
    assert "Private words" not in page and "another funder" not in page
    assert "Maureen, Grove Hill" in voices
    assert 'href="/listen"' in voices  # two pools: the whole feed, from the pools' filters

    await client.login("other@example.org")
    other = (await client.get("/dashboard")).text
    assert "Words from another funder" in other and "food bank" not in other
    assert f'href="/listen?pool={world.others}"' in other
