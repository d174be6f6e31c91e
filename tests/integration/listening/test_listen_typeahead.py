"""/listen's place and host boxes: typed with suggestions (htmx), or typed and sent (no
JavaScript), never a list of every place and host."""

from __future__ import annotations

import re
from html import unescape

from groundswell.core.principal import Role
from tests.helpers import (
    WebClient,
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_pool,
    make_user,
    make_voice,
)
from tests.integration.listening.test_listen import quotes


async def _setup(client: WebClient) -> dict[str, int]:
    pallister = await make_locality("Pallister", local_authority="Middlesbrough")
    hulme = await make_locality("Hulme", local_authority="Manchester")
    north_end = await make_locality("North End")
    north_ward = await make_locality("North Ward")
    park = await make_host("Pallister Park CA")
    trust_a = await make_host("Community Trust")
    trust_b = await make_host("Community Trust")
    await make_organiser(park, pallister, name="Amina Hussein", code="AMINA-7K")
    await make_organiser(trust_a, hulme, name="Dele Okafor", code="DELE-3M")
    await make_organiser(trust_b, north_end, name="Siân Jones", code="SIAN-4P")
    funder = await make_funder()
    await make_pool(funder, "Teesside Fund", locality_ids=(pallister,))
    await make_voice("AMINA-7K", "Amina fixed the lifts")
    await make_voice("DELE-3M", "Dele ran the food club")
    await make_voice("SIAN-4P", "Siân opened the hall")
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    return {
        "pallister": pallister,
        "hulme": hulme,
        "north_end": north_end,
        "north_ward": north_ward,
        "park": park,
        "trust_a": trust_a,
        "trust_b": trust_b,
    }


def options(body: str) -> list[str]:
    return [unescape(v) for v in re.findall(r'<option value="([^"]*)"', body)]


def box(page: str, field: str) -> str:
    match = re.search(rf'<input type="text" id="f-{field}"[^>]*>', page)
    assert match is not None, page[-2000:]
    return match.group(0)


async def test_the_form_lists_no_places_or_hosts_and_the_boxes_ask_as_you_type(
    client: WebClient,
) -> None:
    ids = await _setup(client)
    page = (await client.get("/listen")).text
    # The form carries the pools (a handful), not every place and host.
    start = page.index('<form id="listen-filters"')
    form = page[start : page.index("</form>", start)]
    assert "Teesside Fund" in form
    for name in ("Pallister", "Hulme", "North End", "Community Trust"):
        assert f">{name}<" not in form and f'value="{name}"' not in form
    place = box(page, "locality")
    assert 'name="locality"' in place and 'list="f-locality-choices"' in place
    assert 'hx-get="/listen/places"' in place and 'hx-target="#f-locality-choices"' in place
    assert 'hx-get="/listen/hosts"' in box(page, "host")
    # A chosen place or host shows by name in its box.
    chosen = (await client.get(f"/listen?locality={ids['hulme']}&host={ids['park']}")).text
    assert 'value="Hulme"' in box(chosen, "locality")
    assert 'value="Pallister Park CA"' in box(chosen, "host")


async def test_suggestions_are_a_few_matches_best_first(client: WebClient) -> None:
    await _setup(client)
    for n in range(12):
        await make_locality(f"Northfield {n:02d}")
    response = await client.get("/listen/places", params={"locality": "north"})
    assert response.status_code == 200
    found = options(response.text)
    assert len(found) == 10  # never the whole list
    assert found[:2] == ["North End", "North Ward"]  # names that start with the words first
    assert "<html" not in response.text
    exact = options((await client.get("/listen/places?locality=HULME")).text)
    assert exact == ["Hulme"]
    assert "Manchester" in (await client.get("/listen/places?q=hul")).text
    assert options((await client.get("/listen/places?locality=")).text) == []
    # Wildcards are letters like any other.
    assert options((await client.get("/listen/places", params={"q": "%"})).text) == []
    assert options((await client.get("/listen/places", params={"q": "_"})).text) == []
    hosts = options((await client.get("/listen/hosts?host=trust")).text)
    assert sorted(hosts) == sorted(
        [f"Community Trust (#{i})" for i in await _trust_ids()]
    )  # namesakes carry their ids


async def _trust_ids() -> list[int]:
    from groundswell.community.tables import HostOrganisation

    rows = await HostOrganisation.select(HostOrganisation.id).where(
        HostOrganisation.name == "Community Trust"
    )
    return [row["id"] for row in rows]


async def test_suggestions_need_a_signed_in_reader(client: WebClient) -> None:
    await make_locality("Hulme")
    for path in ("/listen/places?q=hul", "/listen/hosts?q=park"):
        response = await client.get(path)
        assert response.status_code in (302, 303) and "Hulme" not in response.text


async def test_a_typed_name_sent_without_javascript_filters_by_it(client: WebClient) -> None:
    ids = await _setup(client)
    by_id = await client.get(f"/listen?locality={ids['hulme']}")
    by_name = await client.get("/listen?locality=hulme")
    assert by_name.status_code == 200
    assert quotes(by_name.text) == quotes(by_id.text) == ["Dele ran the food club"]
    assert "place Hulme" in by_name.text and 'value="Hulme"' in box(by_name.text, "locality")
    # Part of a name is enough when only one place has it.
    assert quotes((await client.get("/listen?locality=pallis")).text) == ["Amina fixed the lifts"]
    host = await client.get("/listen?host=pallister park")
    assert quotes(host.text) == ["Amina fixed the lifts"]
    # With htmx, the address shown is the canonical one, by id.
    partial = await client.get("/listen?locality=Hulme&theme=", headers={"HX-Request": "true"})
    assert partial.headers["hx-push-url"] == f"/listen?locality={ids['hulme']}"


async def test_several_matches_ask_which_with_links_that_keep_the_other_filters(
    client: WebClient,
) -> None:
    ids = await _setup(client)
    response = await client.get("/listen?locality=north&theme=value")
    assert response.status_code == 422
    assert "Please check the search and filters" in response.text
    assert 'href="#f-locality"' in response.text and "Did you mean" in response.text
    links = [unescape(u) for u in re.findall(r'<li><a href="(/listen\?[^"]+)">', response.text)]
    assert f"/listen?locality={ids['north_end']}&theme=value" in links
    assert f"/listen?locality={ids['north_ward']}&theme=value" in links
    assert 'value="north"' in box(response.text, "locality")  # what was typed stays
    assert quotes(response.text) == []
    followed = await client.get(f"/listen?locality={ids['north_end']}&theme=value")
    assert quotes(followed.text) == ["Siân opened the hall"]


async def test_hosts_of_the_same_name_are_told_apart(client: WebClient) -> None:
    ids = await _setup(client)
    response = await client.get("/listen?host=Community+Trust")
    assert response.status_code == 422 and "Did you mean" in response.text
    label = f"Community Trust (#{ids['trust_a']})"
    assert label in unescape(response.text)
    chosen = await client.get(f"/listen?host={ids['trust_a']}")
    assert unescape(box(chosen.text, "host")).count(f'value="{label}"') == 1
    # The box sends its label back (changing another filter): the same host, no question.
    again = await client.get("/listen", params={"host": label, "theme": "value"})
    assert again.status_code == 200 and quotes(again.text) == ["Dele ran the food club"]
    # A label whose id belongs to another name is only words, and matches nothing.
    forged = await client.get("/listen", params={"host": f"Community Trust (#{ids['park']})"})
    assert forged.status_code == 422


async def test_a_name_that_matches_nothing_says_so(client: WebClient) -> None:
    await _setup(client)
    response = await client.get("/listen?locality=Atlantis&host=Nobody+Here")
    assert response.status_code == 422
    text = unescape(response.text)
    assert "No place has “Atlantis” in its name" in text
    assert "No host organisation has “Nobody Here” in its name" in text
    assert 'value="Atlantis"' in box(response.text, "locality")
    assert 'aria-invalid="true"' in box(response.text, "host")
