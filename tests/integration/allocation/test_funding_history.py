"""The organiser page's funding history and "why this amount", through the ASGI app."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest

from groundswell.allocation.history import Stage, organiser_funding
from groundswell.allocation.tables import Allocation
from groundswell.ledger import services as ledger
from groundswell.payments import payouts
from groundswell.payments.offline import OfflineGateway
from groundswell.settings import Settings
from tests.factories import (
    approve_after_review,
    computed_round,
    make_people,
    onboard_host,
    pool_in_a_place,
    vouched_organiser,
)
from tests.helpers import WebClient, deposit, make_host, make_locality, make_organiser, organiser_id


@dataclass
class World:
    settings: Settings
    pool: int
    round_id: int
    paid_code: str  # hosted by an onboarded host
    held_code: str  # hosted by a host that has not set up payments
    quiet_code: str  # too few voices


@pytest.fixture
async def world(settings: Settings) -> World:
    place = await pool_in_a_place(
        pool="Teesside Listening Fund", host="Ready CA", min_endorsers=2, round_budget=900_00
    )
    here, ready = place.locality, place.host
    waiting = await make_host("Waiting CA")
    paid_code = await vouched_organiser(ready, here, "Amina Hussein", 5, code="AMINA-2A")
    held_code = await vouched_organiser(waiting, here, "Dele Okafor", 3, code="DELE-3B")
    quiet_code = await vouched_organiser(ready, here, "Ruth Kelly", 1, code="RUTH-4C")
    await deposit(place.pool, "2000.00")
    await make_people(place.funder, ready)
    round_id = await computed_round(place.pool)
    await onboard_host(settings, OfflineGateway(settings), ready)
    return World(settings, place.pool, round_id, paid_code, held_code, quiet_code)


async def approve_and_pay(world: World) -> None:
    await approve_after_review(world.round_id)
    await payouts.pay_approved(world.settings, OfflineGateway(world.settings))


def text(page: str) -> str:
    """The page's words, without tags, on one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def funding_section(page: str) -> str:
    start = page.index('aria-labelledby="funding"')
    return text(page[start : page.index("</section>\n", page.index('class="funding-table'))])


async def amount(code: str) -> int:
    row = (
        await Allocation.select(Allocation.amount)
        .where(Allocation.organiser == await organiser_id(code))
        .first()
    )
    assert row is not None
    return int(row["amount"])


async def test_a_round_in_review_is_shown_only_to_its_funder(
    client: WebClient, world: World
) -> None:
    public = (await client.get(f"/organisers/{world.paid_code}")).text
    assert "is in review; its amounts appear here once it is approved" in text(public)
    assert "Why £" not in public and "funding-table" not in public

    await client.login("other@example.org")
    other = (await client.get(f"/organisers/{world.paid_code}")).text
    assert "funding-table" not in other

    await client.login("funder@example.org")
    own = await client.get(f"/organisers/{world.paid_code}")
    assert own.status_code == 200
    words = funding_section(own.text)
    money = f"£{await amount(world.paid_code) / 100:,.2f}"
    assert f"Why {money} in the" in words
    assert "This round is still in review" in words
    assert "Committed" in words and "In review until" in words
    assert f'href="/rounds/{world.round_id}"' in own.text


async def test_paid_held_and_not_funded_lines_follow_the_ledger(
    client: WebClient, world: World
) -> None:
    await approve_and_pay(world)
    balances = await ledger.pool_balances(world.pool)
    paid = await amount(world.paid_code)
    held = await amount(world.held_code)
    assert balances["paid"] == paid + await amount(world.quiet_code)  # 0: not funded
    assert balances["committed"] == held

    page = (await client.get(f"/organisers/{world.paid_code}")).text
    words = funding_section(page)
    money = f"£{paid / 100:,.2f}"
    assert f"{money} paid so far" in words
    assert "Paid Received by Ready CA." in words
    assert re.search(r"Committed \d+ \w+ \d{4} · sent \d+ \w+ \d{4} · paid \d+ \w+ \d{4}", words)
    assert f"Why {money} in the" in words
    # Anonymous readers get no round link and no resident-level detail.
    assert f"/rounds/{world.round_id}" not in page

    held_page = text((await client.get(f"/organisers/{world.held_code}")).text)
    assert "Held Kept safe until Waiting CA finishes setting up payments." in held_page
    assert f"£{held / 100:,.2f} held until Waiting CA finishes setting up payments" in held_page
    assert "on its way" not in held_page  # held money is not on its way until the host is ready
    assert "£0.00 paid so far" in held_page

    quiet_page = text((await client.get(f"/organisers/{world.quiet_code}")).text)
    assert "Why nothing in the" in quiet_page
    assert "Not funded" in quiet_page and "fewer than the 2 needed" in quiet_page

    history = await organiser_funding(await organiser_id(world.paid_code))
    assert [line.stage for line in history.lines] == [Stage.PAID]
    assert history.totals[0].paid == balances["paid"]


async def test_the_explanation_is_plain_and_keeps_residents_anonymous(
    client: WebClient, world: World
) -> None:
    await approve_and_pay(world)
    page = (await client.get(f"/organisers/{world.paid_code}")).text
    words = funding_section(page)
    assert "5 residents counted" in words
    assert "5 testimonies given; 5 residents counted, one voice each." in words
    assert "Not counted None." in words
    assert "2 residents needed: met." in words
    assert "Score" in words and "Share of the rest" in words and "Cap No cap." in words
    # Weights as a count, a total and an average: never one number per resident.
    weights = re.search(r"Weights (.*?)\. The 5 voices counted weigh ([\d.]+) together", words)
    assert weights, words
    assert not re.search(r"\d\.\d\d, \d\.\d\d", words)
    # The round page (funders) still lists each weight.
    await client.login("funder@example.org")
    round_page = text((await client.get(f"/rounds/{world.round_id}")).text)
    assert re.search(r"\d\.\d\d, \d\.\d\d", round_page)


async def test_a_reversed_payment_is_shown_as_reversed(client: WebClient, world: World) -> None:
    await approve_and_pay(world)
    gateway = OfflineGateway(world.settings)
    line = (
        await Allocation.select(Allocation.id, Allocation.stripe_transfer_id, Allocation.amount)
        .where(Allocation.organiser == await organiser_id(world.paid_code))
        .first()
    )
    assert line is not None
    transfer = await gateway.retrieve_transfer(line["stripe_transfer_id"])
    await gateway.save(transfer.id, {**transfer.__dict__, "amount_reversed": transfer.amount})
    await payouts.apply_reversal(await gateway.retrieve_transfer(transfer.id))
    words = funding_section((await client.get(f"/organisers/{world.paid_code}")).text)
    assert "Reversed The payment was reversed" in words
    assert "£0.00 paid so far" in words
    assert f"£{line['amount'] / 100:,.2f} reversed" in words
    assert re.search(r"· reversed \d+ \w+ \d{4}", words)


async def test_an_organiser_without_rounds_says_so(client: WebClient) -> None:
    here = await make_locality("Hulme")
    code = await make_organiser(await make_host(), here, "Grace Obi")
    words = text((await client.get(f"/organisers/{code}")).text)
    assert "No rounds have included Grace Obi yet." in words


async def test_a_payment_reversed_in_part_stays_paid_for_the_rest(
    client: WebClient, world: World
) -> None:
    await approve_and_pay(world)
    gateway = OfflineGateway(world.settings)
    line = (
        await Allocation.select(Allocation.stripe_transfer_id, Allocation.amount)
        .where(Allocation.organiser == await organiser_id(world.paid_code))
        .first()
    )
    assert line is not None
    part = line["amount"] // 4
    transfer = await gateway.retrieve_transfer(line["stripe_transfer_id"])
    await gateway.save(transfer.id, {**transfer.__dict__, "amount_reversed": part})
    await payouts.apply_reversal(await gateway.retrieve_transfer(transfer.id))
    words = funding_section((await client.get(f"/organisers/{world.paid_code}")).text)
    assert "Paid Received by Ready CA." in words
    assert f"£{part / 100:,.2f} of it was reversed" in words
    assert f"£{(line['amount'] - part) / 100:,.2f} paid so far" in words
    assert f"£{part / 100:,.2f} reversed." in words
    assert re.search(r"· reversed \d+ \w+ \d{4}", words)
    history = await organiser_funding(await organiser_id(world.paid_code))
    balances = await ledger.pool_balances(world.pool)
    assert history.totals[0].paid == balances["paid"]


async def test_the_place_page_shows_what_approved_rounds_gave_organisers_here(
    client: WebClient, world: World
) -> None:
    locality = await Allocation.select(Allocation.organiser.locality.as_alias("locality")).first()
    assert locality is not None
    place = f"/localities/{locality['locality']}"

    def place_funding(page: str) -> str:
        start = page.index('aria-labelledby="place-funding"')
        return text(page[start : page.index("</section>", start)])

    # In review: the public page shows no amounts yet.
    assert "No approved round has funded an organiser here yet." in place_funding(
        (await client.get(place)).text
    )

    await approve_and_pay(world)
    paid = await amount(world.paid_code)
    held = await amount(world.held_code)
    words = place_funding((await client.get(place)).text)
    assert f"Amina Hussein Ready CA 1 £{paid / 100:,.2f} £0.00" in words
    assert (
        f"Dele Okafor Waiting CA 1 £0.00 £{held / 100:,.2f} held until the host sets up payments"
        in words
    )
    assert "Ruth Kelly" not in words  # not funded
    # The organiser with more money comes first.
    assert words.index("Amina Hussein") < words.index("Dele Okafor")
