"""Plain words for funders on the pool form: the pool's currency in its labels, "all places"
said outright, the settings explained with examples, the simulator's settings carried to the
form, and a new pool that says how to put money in."""

from __future__ import annotations

from groundswell.core.principal import Role
from groundswell.funders.tables import Pool, PoolLocality
from tests.helpers import WebClient, field_error, make_funder, make_locality, make_pool, make_user

FORM = {
    "name": "Caerdydd Fund",
    "currency": "EUR",
    "cadence": "quarterly",
    "round_budget": "9000",
    "score_method": "sqrt",
    "min_endorsers": "5",
    "window_days": "180",
    "half_life_days": "90",
    "pairwise_m": "1",
    "review_days": "7",
}


async def test_the_form_explains_each_setting_and_follows_the_currency(client: WebClient) -> None:
    funder = await make_funder()
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    new = " ".join((await client.get(f"/funders/{funder}/pools/new")).text.split())
    assert "Budget for each round (£)" in new
    for words in (
        "What the pairwise setting (M) does, with an example",
        "are both discounted to 0.50 at M = 1",
        "<strong>Verification strength.</strong>",
        "30 voices, of which 4 were left unchecked, count as 26",
        "60% − 15% = +45",
    ):
        assert words in new
    assert 'id="f-places" name="places" value="all" checked' in new
    euro_pool = await make_pool(funder, currency="EUR")
    edit = (await client.get(f"/pools/{euro_pool}/edit")).text
    assert "Budget for each round (€)" in edit and "Cap per organiser (€)" in edit
    assert "(£)" not in edit
    assert "Amount (€)" in (await client.get(f"/pools/{euro_pool}")).text


async def test_all_places_is_a_choice_and_only_these_needs_a_place(client: WebClient) -> None:
    funder = await make_funder()
    north = await make_locality("Pallister")
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    refused = await client.submit(f"/funders/{funder}/pools", {**FORM, "places": "chosen"})
    assert refused.status_code == 422
    assert field_error(refused.text, "places") == "Tick at least one place, or choose All places."
    assert await Pool.count() == 0
    # "All places" wins over a stray tick: the pool names no place.
    made = await client.submit(
        f"/funders/{funder}/pools", [*FORM.items(), ("places", "all"), ("locality_ids", north)]
    )
    assert made.status_code == 303 and await PoolLocality.count() == 0
    pool = await Pool.select(Pool.id).first()
    assert pool is not None
    page = (await client.get(made.headers["location"])).text
    assert "<dd>Any place</dd>" in page
    # A pool with no money says how to put some in, in its own currency.
    assert 'id="no-money-yet"' in page and "This pool holds no money yet" in page
    assert "€0.00" in page
    chosen = await client.submit(
        f"/pools/{pool['id']}/edit", [*FORM.items(), ("places", "chosen"), ("locality_ids", north)]
    )
    assert chosen.status_code == 303 and await PoolLocality.count() == 1
    edit = " ".join((await client.get(f"/pools/{pool['id']}/edit")).text.split())
    assert 'id="places-chosen" name="places" value="chosen" checked' in edit


async def test_the_simulator_offers_its_settings_for_the_next_round(client: WebClient) -> None:
    funder = await make_funder()
    pool = await make_pool(funder, score_method="sqrt", min_endorsers=5)
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    await make_locality("Pallister")
    simulated = await client.get(
        f"/pools/{pool}/simulate?score_method=cocm&min_endorsers=3&budget=7000"
        "&window_days=180&half_life_days=90&floor_amount=&cap_amount=&pairwise_m=1"
    )
    assert simulated.status_code == 200
    edit_link = simulated.text.split('id="use-simulated" href="', 1)[1].split('"', 1)[0]
    form = " ".join((await client.get(edit_link.replace("&amp;", "&"))).text.split())
    assert "Filled in from the simulator" in form
    assert '<option value="cocm" selected>' in form and 'value="7000"' in form
    assert 'name="min_endorsers" type="number" value="3"' in form
    # Nothing changed until the funder saves.
    row = await Pool.select(Pool.score_method).where(Pool.id == pool).first()
    assert row is not None and row["score_method"] == "sqrt"
