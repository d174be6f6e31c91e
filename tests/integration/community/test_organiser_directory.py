"""/organisers: search by name or code, filter by place, keyset pages with no duplicates and
nothing missing, with and without htmx."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from groundswell.community.directory import PAGE_SIZE
from groundswell.community.tables import Organiser
from groundswell.core.clock import today
from tests.helpers import WebClient, make_host, make_locality, make_organiser

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
FIRST = ["Amina", "Dele", "Siobhan", "Tariq", "Grace", "Óscar", "Zoë"]


def code_for(n: int) -> str:
    return f"ORG-{ALPHABET[n // len(ALPHABET)]}{ALPHABET[n % len(ALPHABET)]}"


async def make_many(count: int, locality: int, host: int, start: int = 0) -> list[str]:
    """`count` organisers whose names repeat, so the id breaks ties in the order."""
    end = today() - timedelta(days=10)
    rows = [
        Organiser(
            name=f"{FIRST[n % len(FIRST)]} {'Smith' if n % 3 else 'Jones'}",
            code=code_for(n),
            host=host,
            locality=locality,
            bursary_start=end - timedelta(days=365),
            bursary_end=end,
        )
        for n in range(start, start + count)
    ]
    await Organiser.insert(*rows)
    return [row.code for row in rows]


def codes(page: str) -> list[str]:
    return re.findall(r'<td><a href="/organisers/([A-Z0-9-]+)">', page)


def link(page: str, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


async def expected_order(**where: int) -> list[str]:
    query = Organiser.select(Organiser.code, Organiser.name, Organiser.id)
    if "locality" in where:
        query = query.where(Organiser.locality == where["locality"])
    rows = await query.order_by(Organiser.name).order_by(Organiser.id)
    return [row["code"] for row in rows]


async def walk(client: WebClient, url: str, rel: str = "next") -> list[list[str]]:
    pages = []
    next_url: str | None = url
    while next_url:
        response = await client.get(next_url)
        assert response.status_code == 200, response.text[-500:]
        pages.append(codes(response.text))
        next_url = link(response.text, rel)
        assert len(pages) < 20
    return pages


async def test_paging_forward_and_back_shows_each_organiser_once(client: WebClient) -> None:
    place, host = await make_locality("Pallister"), await make_host()
    await make_many(2 * PAGE_SIZE + 17, place, host)
    forward = await walk(client, "/organisers")
    assert [len(p) for p in forward] == [PAGE_SIZE, PAGE_SIZE, 17]
    flat = [code for page in forward for code in page]
    assert flat == await expected_order()  # the database's own name order, ids breaking ties
    assert len(set(flat)) == len(flat)

    first = (await client.get("/organisers")).text
    assert f"{2 * PAGE_SIZE + 17} organisers; {PAGE_SIZE} on this page" in first
    assert link(first, "prev") is None and "Back to the start" not in first
    # Back from the last page, page by page, to the first.
    last_url = "/organisers"
    for _ in range(2):
        found = link((await client.get(last_url)).text, "next")
        assert found is not None
        last_url = found
    # The third page links back to the second and to the start; the second's "previous" is
    # the plain first page.
    third = (await client.get(last_url)).text
    assert "Back to the start" in third and "before=" in (link(third, "prev") or "")
    second_url = link(third, "prev")
    assert second_url is not None
    second = (await client.get(second_url)).text
    assert link(second, "prev") == "/organisers" and "Back to the start" not in second
    backward = await walk(client, last_url, rel="prev")
    assert backward == list(reversed(forward))
    assert link((await client.get(last_url)).text, "next") is None


async def test_organisers_added_while_paging_shift_nothing(client: WebClient) -> None:
    place, host = await make_locality("Pallister"), await make_host()
    before = await make_many(PAGE_SIZE + 10, place, host)
    page_one = (await client.get("/organisers")).text
    # Someone whose name sorts first, and someone among the second page, arrive meanwhile.
    await make_many(1, place, host, start=500)
    await Organiser.update({Organiser.name: "Aaron Able"}).where(Organiser.code == code_for(500))
    next_url = link(page_one, "next")
    assert next_url is not None
    page_two = codes((await client.get(next_url)).text)
    seen = codes(page_one) + page_two
    assert sorted(seen) == sorted(before)  # none twice, none missing, the newcomer sorts first


async def test_search_by_name_or_code_and_filter_by_place(client: WebClient) -> None:
    here, there = await make_locality("Pallister"), await make_locality("Hulme")
    host = await make_host()
    await make_many(40, here, host)
    await make_many(30, there, host, start=100)
    words = (await client.get("/organisers", params={"q": "amina smith"})).text
    found = codes(words)
    names = re.findall(r'<td><a href="/organisers/[^"]+">([^<]+)</a>', words)
    assert found and set(names) == {"Amina Smith"}
    assert f"{len(found)} organisers match" in words

    placed = await walk(client, f"/organisers?locality={there}")
    assert [c for p in placed for c in p] == await expected_order(locality=there)
    both = codes((await client.get(f"/organisers?q=GRACE&locality={there}")).text)
    there_codes = await expected_order(locality=there)
    assert both and all(c in there_codes for c in both)

    by_code = codes((await client.get("/organisers", params={"q": code_for(3).lower()})).text)
    assert by_code == [code_for(3)]
    # Typed wildcards are plain characters.
    none = (await client.get("/organisers", params={"q": "%"})).text
    assert codes(none) == [] and "No organiser matches this search." in none
    # The next page keeps the search.
    many = (await client.get("/organisers", params={"q": "org-"})).text
    assert "70 organisers match" in many
    next_url = link(many, "next")
    assert next_url is not None and "q=org-" in next_url
    assert len(codes((await client.get(next_url)).text)) == min(PAGE_SIZE, 70 - PAGE_SIZE)


async def test_bad_input_gets_the_page_with_a_message(client: WebClient) -> None:
    await make_locality("Pallister")
    bad_cursor = await client.get("/organisers?after=not-a-cursor")
    assert bad_cursor.status_code == 422
    # ["organisers", "\ud800", 1]: a lone surrogate, which no database can compare (was a 500)
    for edge in ("after", "before"):
        forged = await client.get(f"/organisers?{edge}=WyJvcmdhbmlzZXJzIiwgIlx1ZDgwMCIsIDFd")
        assert forged.status_code == 422
    assert "Go to the first page" in bad_cursor.text and 'id="f-q"' in bad_cursor.text
    bad_place = await client.get("/organisers?locality=999999")
    assert bad_place.status_code == 422 and "There is no such place" in bad_place.text
    assert (await client.get("/organisers?locality=abc")).status_code == 422


async def test_htmx_gets_only_the_results_with_the_address_to_show(client: WebClient) -> None:
    place, host = await make_locality("Pallister"), await make_host()
    await make_many(PAGE_SIZE + 5, place, host)
    whole = await client.get("/organisers", params={"q": "smith"})
    partial = await client.get(
        "/organisers", params={"q": "smith", "locality": ""}, headers={"hx-request": "true"}
    )
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert 'id="results"' in partial.text and codes(partial.text) == codes(whole.text)
    assert partial.headers["hx-push-url"] == "/organisers?q=smith"
    assert "HX-Request" in partial.headers["vary"]
    assert "<html" in whole.text and 'hx-get="/organisers"' in whole.text


async def test_search_ignores_accents_and_case(client: WebClient) -> None:
    place, host = await make_locality("Pallister"), await make_host()
    for name, code in (
        ("Siân Gwenllïan", "SIAN-2B"),
        ("Łucja Nowak", "LUCJA-3C"),
        ("Zoë Smith", "ZOE-4D"),
    ):
        await make_organiser(host, place, name=name, code=code)

    async def found(q: str) -> list[str]:
        response = await client.get("/organisers", params={"q": q})
        assert response.status_code == 200
        return codes(response.text)

    assert await found("sian gwenllian") == ["SIAN-2B"]
    assert await found("SIÂN") == ["SIAN-2B"]
    assert await found("lucja") == ["LUCJA-3C"]
    assert await found("ŁUCJA") == ["LUCJA-3C"]
    assert await found("zoe") == ["ZOE-4D"]
    assert await found("zoë smith") == ["ZOE-4D"]
    assert await found("lucja-3c") == ["LUCJA-3C"]


async def test_search_matches_a_place_and_forgives_small_typos(client: WebClient) -> None:
    host = await make_host()
    hulme, mon = await make_locality("Hulme"), await make_locality("Ynys Môn")
    await make_organiser(host, hulme, name="Siobhan Kelly", code="SIOBHAN-2B")
    await make_organiser(host, mon, name="Amina Hussein", code="AMINA-7K")

    async def search(q: str, **extra: str) -> tuple[list[str], str]:
        response = await client.get("/organisers", params={"q": q, **extra})
        assert response.status_code == 200, q
        return codes(response.text), " ".join(response.text.split())

    assert (await search("hulme"))[0] == ["SIOBHAN-2B"]  # a place
    assert (await search("ynys mon"))[0] == ["AMINA-7K"]  # a place, without its accent
    assert (await search("amina mon"))[0] == ["AMINA-7K"]  # a name and a place
    found, page = await search("siobahn")  # two letters swapped
    assert found == ["SIOBHAN-2B"]
    assert "No organiser matches “siobahn”." in page
    assert "Showing results for “siobhan”" in page
    assert 'value="siobahn"' in page  # the box keeps what was typed
    assert (await search("husein hulm"))[0] == []  # a right name, a wrong place: no one
    assert (await search("amnia-7k"))[0] == ["AMINA-7K"]  # a code's name part one slip out
    assert (await search("hlume"))[0] == ["SIOBHAN-2B"]  # a place one slip out
    found, page = await search("xq")  # too short to guess at
    assert found == [] and "Showing results for" not in page
    assert "Showing results for “Siobhan Kelly”" in (await search("Siobahn Kely"))[1]
    # Exact matches never show a correction.
    assert "Showing results for" not in (await search("siobhan"))[1]


async def test_a_corrected_search_keeps_what_was_typed_in_the_address(client: WebClient) -> None:
    host, place = await make_host(), await make_locality("Hulme")
    await make_organiser(host, place, name="Siobhan Kelly", code="SIOBHAN-2B")
    partial = await client.get(
        "/organisers", params={"q": "siobahn"}, headers={"hx-request": "true"}
    )
    assert partial.headers["hx-push-url"] == "/organisers?q=siobahn"
    assert "Showing results for" in partial.text


async def test_hostile_searches_get_a_page_never_a_500(client: WebClient) -> None:
    host, place = await make_host(), await make_locality("Hulme")
    await make_organiser(host, place, name="Siobhan Kelly", code="SIOBHAN-2B")
    for q in [
        "x" * 5000,
        "a" * 99,
        "' OR 1=1 --",
        "'); DROP TABLE organiser; --",
        "%_\\",
        "\x00\x01",
        "𝕊𝕚𝕠𝕓𝕙𝕒𝕟",
        "سيوبهان",
        "ǅ" * 60,
        " ".join(["sioban"] * 30),
        "\u200bsiobhan",
        "sio´bhan k´ely",  # folding makes "´" a space
        "Siobahn ´",
    ]:
        response = await client.get("/organisers", params={"q": q})
        assert response.status_code in (200, 422), q
        partial = await client.get("/organisers", params={"q": q}, headers={"hx-request": "true"})
        assert partial.status_code in (200, 422), q
    # Bytes no browser should send: a lone surrogate in UTF-8, and broken UTF-8.
    for raw in ("%ED%A0%80", "%FF%FE", "%C0%AF" * 40):
        assert (await client.get(f"/organisers?q={raw}")).status_code in (200, 400, 422), raw
    assert await Organiser.count() == 1
