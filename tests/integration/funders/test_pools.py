import re

from groundswell.accounts.tokens import create_api_token
from groundswell.core.principal import Role
from groundswell.funders.tables import Pool, PoolLocality
from tests.helpers import (
    WebClient,
    field_error,
    make_funder,
    make_locality,
    make_pool,
    make_programme_grant,
    make_user,
)

GOOD_FORM = {
    "name": "Teesside Listening Fund",
    "description": "No strings.",
    "currency": "GBP",
    "cadence": "quarterly",
    "round_budget": "25,000.50",
    "floor_amount": "500",
    "cap_amount": "",
    "score_method": "pairwise",
    "min_endorsers": "5",
    "window_days": "180",
    "half_life_days": "90",
    "pairwise_m": "1",
    "review_days": "7",
}


async def test_funder_member_creates_and_edits_a_pool(client: WebClient) -> None:
    funder = await make_funder()
    north, south = await make_locality("Pallister"), await make_locality("Hulme")
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    form = [*GOOD_FORM.items(), ("locality_ids", str(north)), ("locality_ids", str(south))]
    response = await client.submit(f"/funders/{funder}/pools", form)
    assert response.status_code in (302, 303), response.text
    pool = await Pool.select().first()
    assert pool is not None
    assert (
        pool["round_budget"] == 2_500_050
        and pool["floor_amount"] == 50_000
        and pool["cap_amount"] is None
    )
    assert pool["score_method"] == "pairwise"
    assert sorted(r["locality"] for r in await PoolLocality.select()) == sorted([north, south])
    assert response.headers["location"] == f"/pools/{pool['id']}"

    page = await client.get(f"/pools/{pool['id']}")
    assert "£25,000.50" in page.text and "Pallister" in page.text and "Change settings" in page.text

    edit = await client.get(f"/pools/{pool['id']}/edit")
    assert 'value="25000.50"' in edit.text
    changed = await client.submit(
        f"/pools/{pool['id']}/edit",
        [*{**GOOD_FORM, "round_budget": "30000"}.items(), ("locality_ids", str(north))],
    )
    assert changed.status_code in (302, 303)
    assert (await Pool.select(Pool.round_budget).first())["round_budget"] == 3_000_000  # type: ignore[index]
    assert [r["locality"] for r in await PoolLocality.select()] == [north]


async def test_invalid_pool_form_keeps_what_was_typed_and_writes_nothing(client: WebClient) -> None:
    funder = await make_funder()
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    bad = {
        **GOOD_FORM,
        "name": "",
        "round_budget": "lots",
        "min_endorsers": "0",
        "score_method": "lottery",
        "description": "Kept <b>as typed</b>",
    }
    response = await client.submit(f"/funders/{funder}/pools", bad)
    assert response.status_code == 422
    assert field_error(response.text, "name") == "This is required."
    assert "amount in pounds and pence" in (field_error(response.text, "round_budget") or "")
    assert field_error(response.text, "min_endorsers") == "Enter 1 or more."
    assert "Kept &lt;b&gt;as typed&lt;/b&gt;" in response.text
    # The summary names each field and links to it.
    summary = re.search(r'<div class="error-summary".*?</div>', response.text, re.S)
    assert summary is not None
    assert '<a href="#f-name">Name: This is required.</a>' in summary.group(0)
    assert '<a href="#f-min_endorsers">Residents needed: Enter 1 or more.</a>' in summary.group(0)
    assert await Pool.count() == 0


async def test_funder_cannot_touch_another_funders_pools(client: WebClient) -> None:
    mine, theirs = await make_funder("Mine"), await make_funder("Theirs")
    their_pool = await make_pool(theirs)
    await client.login(await make_user(Role.FUNDER, funder_ids=(mine,)))
    assert (await client.get(f"/funders/{theirs}")).status_code == 403
    assert (await client.get(f"/pools/{their_pool}/edit")).status_code == 403
    assert (await client.submit(f"/pools/{their_pool}/edit", GOOD_FORM)).status_code == 403
    assert (await client.submit(f"/funders/{theirs}/pools", GOOD_FORM)).status_code == 403
    assert await Pool.count() == 1


async def test_unknown_ids_give_404_pages_and_problem_json(client: WebClient) -> None:
    page = await client.get("/pools/999999")
    assert (
        page.status_code == 404 and "There is no pool 999999" in page.text and "<h1>" in page.text
    )
    api = await client.get("/api/v1/pools/999999")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["status"] == 404
    assert (await client.get("/no/such/page")).status_code == 404


async def test_pool_api_reads_and_writes_with_tokens(client: WebClient) -> None:
    funder = await make_funder("Common Ground")
    locality = await make_locality()
    token = await create_api_token(await make_user(Role.FUNDER, funder_ids=(funder,)))
    auth = {"authorization": f"Bearer {token}"}
    created = await client.post(
        "/api/v1/pools",
        json={
            "funder_id": funder,
            "name": "Voices",
            "round_budget": 1_000_000,
            "score_method": "quadratic",
            "locality_ids": [locality],
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (
        body["round_budget"] == 1_000_000
        and body["funder"] == "Common Ground"
        and body["localities"][0]["id"] == locality
    )
    listed = (await client.get("/api/v1/pools")).json()
    assert listed == [
        {
            "id": body["id"],
            "name": "Voices",
            "funder": "Common Ground",
            "funder_id": funder,
            "currency": "GBP",
        }
    ]

    updated = await client.put(
        f"/api/v1/pools/{body['id']}",
        json={"funder_id": funder, "name": "Voices II", "round_budget": 5},
        headers=auth,
    )
    assert updated.status_code == 200 and updated.json()["name"] == "Voices II"


async def test_pool_api_validation_is_422_problem_json(client: WebClient) -> None:
    funder = await make_funder()
    token = await create_api_token(await make_user(Role.FUNDER, funder_ids=(funder,)))
    auth = {"authorization": f"Bearer {token}"}
    cases = [
        {"funder_id": funder, "name": "x", "round_budget": -1},
        {"funder_id": funder, "name": "x", "round_budget": 10, "score_method": "lottery"},
        {
            "funder_id": funder,
            "name": "x",
            "round_budget": 10,
            "outcomes": "must reduce loneliness",
        },
        {"funder_id": funder, "name": "x", "round_budget": "ten"},
        {"funder_id": funder, "name": "x", "round_budget": 10, "currency": "XYZ"},
    ]
    for case in cases:
        response = await client.post("/api/v1/pools", json=case, headers=auth)
        assert response.status_code == 422, (case, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    broken = await client.post(
        "/api/v1/pools", content=b"{not json", headers={**auth, "content-type": "application/json"}
    )
    assert broken.status_code in (400, 422)
    assert await Pool.count() == 0


async def test_api_without_token_is_401_and_session_cookies_do_not_count(client: WebClient) -> None:
    email = await make_user(Role.ADMIN)
    await client.login(email)
    response = await client.post(
        "/api/v1/pools", json={"funder_id": 1, "name": "x", "round_budget": 1}
    )
    assert response.status_code == 401
    assert response.json()["title"] == "Sign in needed"
    revoked = await client.get("/api/v1/pools", headers={"authorization": "Bearer gs_not-a-token"})
    assert revoked.status_code == 200  # public read stays public


async def test_pool_settings_read_in_plain_words(client: WebClient) -> None:
    funder = await make_funder()
    pool = await make_pool(funder, score_method="pairwise", half_life_days=90.0, pairwise_m=1.0)
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    page = (await client.get(f"/pools/{pool}")).text
    assert "<dt>Scoring</dt><dd>Pairwise-bounded quadratic (M = 1)</dd>" in page
    assert "counts half as much after 90 days" in page and "90.0" not in page
    edit = (await client.get(f"/pools/{pool}/edit")).text
    assert 'name="half_life_days" type="number" value="90"' in edit
    assert 'id="f-pairwise_m-hint"' in edit and "like quadratic funding" in edit
    assert '<option value="pairwise" selected>Pairwise-bounded quadratic</option>' in " ".join(
        edit.split()
    )


async def test_the_pool_form_guides_the_choice_of_scoring_and_offers_cocm(
    client: WebClient,
) -> None:
    funder = await make_funder()
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    form = " ".join((await client.get(f"/funders/{funder}/pools/new")).text.split())
    assert '<option value="cocm" >Cluster matching (COCM)</option>' in form
    assert "<summary>Which scoring to choose</summary>" in form
    assert "At M = 1 it never counts a pair for less than half" in form
    assert '<th scope="row">Cluster matching (COCM)</th>' in form
    response = await client.submit(
        f"/funders/{funder}/pools", {**GOOD_FORM, "score_method": "cocm"}
    )
    assert response.status_code in (302, 303), response.text
    pool = await Pool.select().first()
    assert pool is not None and pool["score_method"] == "cocm"
    page = (await client.get(f"/pools/{pool['id']}")).text
    assert "<dt>Scoring</dt><dd>Cluster matching (COCM)</dd>" in page


async def test_the_programme_pool_lists_no_amount_each_round(client: WebClient) -> None:
    funder = await make_funder()
    await make_pool(funder, "Teesside Fund", round_budget=60_000_00)
    programme = await make_pool(
        funder, "Community Rights Programme", round_budget=0, is_active=False
    )
    await make_programme_grant(programme)
    listing = " ".join((await client.get("/pools")).text.split())
    assert "£60,000.00" in listing and "£0.00" not in listing
    assert "Programme grants (Community Right to Bid and Right to Challenge)" in listing
    page = (await client.get(f"/pools/{programme}")).text
    assert "Each round" not in page and "funds Community Rights programme grants" in page
