"""/listen: published testimony for signed-in people, filtered, searched and keyset-paged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from groundswell.core.clock import now, on_uk_clocks
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


def quotes(page: str) -> list[str]:
    return [unescape(q) for q in re.findall(r"<blockquote>(.*?)</blockquote>", page, re.S)]


def next_link(page: str) -> str | None:
    match = re.search(r'<a class="button pager-link" rel="next" href="([^"]+)"', page)
    return unescape(match.group(1)) if match else None


@pytest.fixture
async def places() -> dict[str, int]:
    pallister, hulme = await make_locality("Pallister"), await make_locality("Hulme")
    park, garden = await make_host("Pallister Park CA"), await make_host("Hulme Garden Centre")
    amina = await make_organiser(park, pallister, name="Amina Hussein", code="AMINA-7K")
    dele = await make_organiser(garden, hulme, name="Dele Okafor", code="DELE-3M")
    funder = await make_funder()
    teesside = await make_pool(funder, "Teesside Fund", locality_ids=(pallister,))
    anywhere = await make_pool(funder, "Anywhere Fund")
    return {
        "pallister": pallister,
        "hulme": hulme,
        "park": park,
        "garden": garden,
        "amina": amina,
        "dele": dele,
        "teesside": teesside,
        "anywhere": anywhere,
        "funder": funder,
    }


@pytest.fixture
async def funder_client(client: WebClient, places: dict[str, int]) -> WebClient:
    await client.login(await make_user(Role.FUNDER, funder_ids=(places["funder"],)))
    return client


async def test_anonymous_people_are_asked_to_sign_in(client: WebClient) -> None:
    response = await client.get("/listen")
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", [Role.FUNDER, Role.HOST, Role.ADMIN])
async def test_signed_in_roles_read_it_and_see_it_in_the_navigation(
    client: WebClient, places: dict[str, int], role: Role
) -> None:
    orgs = {
        Role.FUNDER: {"funder_ids": (places["funder"],)},
        Role.HOST: {"host_ids": (places["park"],)},
    }.get(role, {})
    await client.login(await make_user(role, **orgs))
    home = await client.get("/organisers")
    assert '<a href="/listen">Listen</a>' in home.text
    page = await client.get("/listen")
    assert page.status_code == 200 and "What communities say" in page.text
    assert 'aria-current="page">Listen</a>' in page.text


@pytest.mark.stores_phone_number  # testimony with a typed number; searches for it
async def test_only_published_testimony_shows_and_it_is_redacted(
    funder_client: WebClient,
) -> None:
    await make_voice(
        "AMINA-7K",
        "Ring me on 07911 123456 or maureen@example.org about the allotments.",
        display_name="Maureen",
        neighbourhood="Grove Hill",
    )
    await make_voice("AMINA-7K", "Not for funders' eyes: no consent.", consent=False)
    await make_voice("AMINA-7K", "Never confirmed the code.", verification="unverified")
    await make_voice("AMINA-7K", "Withdrawn by text.", state="withdrawn")
    await make_voice("AMINA-7K", "Hidden by a moderator.", state="hidden")
    await make_voice("AMINA-7K", "Waiting for a moderator.", moderation="flagged")
    await make_voice("AMINA-7K", "Reviewed and kept by a moderator.", moderation="reviewed")
    page = (await funder_client.get("/listen")).text
    assert quotes(page) == [
        "Reviewed and kept by a moderator.",
        "Ring me on [number removed] or [e-mail removed] about the allotments.",
    ]
    assert "Maureen, Grove Hill" in page and "07911" not in page and "maureen@" not in page
    assert '<a href="/organisers/AMINA-7K">Amina Hussein</a>' in page


async def test_filters_by_pool_place_organiser_host_theme_and_dates(
    funder_client: WebClient, places: dict[str, int]
) -> None:
    base = now()
    await make_voice("AMINA-7K", "Amina value old", at=base - timedelta(days=40))
    await make_voice("AMINA-7K", "Amina hope recent", theme="hope", at=base - timedelta(days=2))
    await make_voice("DELE-3M", "Dele value recent", at=base - timedelta(days=1))

    async def shown(query: str) -> list[str]:
        response = await funder_client.get(f"/listen?{query}")
        assert response.status_code == 200, response.text[-2000:]
        return quotes(response.text)

    assert await shown("") == ["Dele value recent", "Amina hope recent", "Amina value old"]
    assert await shown(f"pool={places['teesside']}") == ["Amina hope recent", "Amina value old"]
    # A pool that names no places listens everywhere.
    assert len(await shown(f"pool={places['anywhere']}")) == 3
    assert await shown(f"locality={places['hulme']}") == ["Dele value recent"]
    assert await shown(f"pool={places['teesside']}&locality={places['hulme']}") == []
    assert await shown("organiser=amina 7k") == ["Amina hope recent", "Amina value old"]
    assert await shown(f"host={places['garden']}") == ["Dele value recent"]
    assert await shown("theme=hope") == ["Amina hope recent"]
    day = on_uk_clocks(base - timedelta(days=40)).date().isoformat()
    assert await shown(f"from={day}&to={day}") == ["Amina value old"]
    recent = on_uk_clocks(base - timedelta(days=3)).date().isoformat()
    assert await shown(f"from={recent}") == ["Dele value recent", "Amina hope recent"]


async def test_dates_are_days_on_uk_clocks(funder_client: WebClient) -> None:
    # 23:30 UTC on 31 May is 00:30 BST on 1 June: shown, and filtered, as 1 June.
    late = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    await make_voice("AMINA-7K", "Just after midnight", at=late)
    await make_voice("AMINA-7K", "The evening before", at=late - timedelta(hours=1))

    async def shown(query: str) -> list[str]:
        response = await funder_client.get(f"/listen?{query}")
        assert response.status_code == 200, response.text[-2000:]
        return quotes(response.text)

    assert await shown("from=2026-06-01&to=2026-06-01") == ["Just after midnight"]
    assert await shown("from=2026-05-31&to=2026-05-31") == ["The evening before"]
    page = (await funder_client.get("/listen?from=2026-06-01&to=2026-06-01")).text
    assert "1 Jun 2026" in page and "31 May 2026" not in page


@pytest.mark.stores_phone_number  # testimony with a typed number; searches for it
async def test_full_text_search_stems_phrases_and_exclusions(funder_client: WebClient) -> None:
    await make_voice("AMINA-7K", "She saved the allotments from the developers.")
    await make_voice("AMINA-7K", "The youth football league started on our doorstep.")
    await make_voice("DELE-3M", "Football on Saturdays and the repair café on Sundays.")
    await make_voice("DELE-3M", "Call 07911 123456 about the food bank", neighbourhood="Moss Side")

    async def found(q: str) -> list[str]:
        response = await funder_client.get("/listen", params={"q": q})
        assert response.status_code == 200
        return quotes(response.text)

    assert await found("allotment") == ["She saved the allotments from the developers."]
    assert len(await found("football")) == 2
    assert await found('"youth football"') == ["The youth football league started on our doorstep."]
    assert await found("football -café") == ["The youth football league started on our doorstep."]
    assert await found("moss side") == ["Call [number removed] about the food bank"]
    # The index holds only the redacted words: a number that is not shown cannot be found.
    assert await found("07911123456") == [] and await found("07911") == []
    # Search syntax from the user is text, never an operator or an error.
    for hostile in ['"', "NEAR(a b)", "testimony:x", "a OR", "*", "^foo", "' OR 1=1 --", "-"]:
        response = await funder_client.get("/listen", params={"q": hostile})
        assert response.status_code == 200, hostile


async def test_keyset_pages_stay_correct_while_new_testimony_arrives(
    funder_client: WebClient,
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n in range(45):
        # Pairs with the same moment, to exercise the id tie-break.
        await make_voice("AMINA-7K", f"Voice number {n:02d}", at=start + timedelta(hours=n // 2))
    first = await funder_client.get("/listen")
    seen = quotes(first.text)
    assert len(seen) == 20
    url = next_link(first.text)
    assert url is not None and "cursor=" in url
    # New words arrive after the first page was read: they do not push anything along.
    await make_voice("AMINA-7K", "Brand new voice", at=now())
    pages = 1
    while url:
        response = await funder_client.get(url)
        assert response.status_code == 200
        seen += quotes(response.text)
        url = next_link(response.text)
        pages += 1
    assert pages == 3
    # Newest first; voices given at the same moment come newest-inserted first.
    assert seen == [f"Voice number {n:02d}" for n in range(44, -1, -1)]
    assert len(seen) == len(set(seen)) == 45 and "Brand new voice" not in seen


async def test_sort_by_organiser_groups_voices_newest_first_within(
    funder_client: WebClient,
) -> None:
    base = now() - timedelta(days=5)
    for n in range(12):
        await make_voice("DELE-3M", f"Dele {n:02d}", at=base + timedelta(minutes=n))
        await make_voice("AMINA-7K", f"Amina {n:02d}", at=base + timedelta(minutes=n))
    first = await funder_client.get("/listen?sort=organiser")
    assert first.status_code == 200
    assert quotes(first.text) == [f"Amina {n:02d}" for n in range(11, -1, -1)] + [
        f"Dele {n:02d}" for n in range(11, 3, -1)
    ]
    assert first.text.count('class="group-heading"') == 2
    url = next_link(first.text)
    assert url is not None and "sort=organiser" in url
    second = await funder_client.get(url)
    assert quotes(second.text) == [f"Dele {n:02d}" for n in range(3, -1, -1)]
    assert "Back to the start" in second.text and next_link(second.text) is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("pool=abc", "pool"),
        ("pool=99999999999999", "pool"),
        ("pool=424242", "pool"),
        ("locality=-1", "locality"),
        ("locality=424242", "locality"),
        ("host=1.5", "host"),
        ("organiser=not a code", "organiser"),
        ("organiser=ZED-9Z", "organiser"),
        ("theme=rating", "theme"),
        ("sort=random", "sort"),
        ("from=2026-13-01", "from"),
        ("from=0001-01-01", "from"),
        ("to=9999-12-31", "to"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("cursor=nonsense", "cursor"),
        ("q=" + "x" * 201, "q"),
    ],
)
async def test_bad_parameters_get_a_clear_422_never_a_500(
    funder_client: WebClient, query: str, field: str
) -> None:
    response = await funder_client.get(f"/listen?{query}")
    assert response.status_code == 422, (query, response.status_code)
    assert "Please check the search and filters" in response.text
    assert f'href="#f-{field}"' in response.text or field == "cursor"


async def test_cursors_from_another_order_or_forged_ones_are_refused(
    funder_client: WebClient,
) -> None:
    for n in range(25):
        await make_voice("AMINA-7K", f"Voice {n}")
    url = next_link((await funder_client.get("/listen")).text)
    assert url is not None
    cursor = parse_qs(urlsplit(url).query)["cursor"][0]
    other = await funder_client.get(f"/listen?sort=organiser&cursor={cursor}")
    assert other.status_code == 422 and "Go to the first page" in other.text
    for forged in (
        "WyJuZXdlc3QiLDEsMl0",
        "WyJuZXdlc3QiLHsidCI6IjIwMjYifSw5OTk5OTk5OTk5OTld",
        # {"t": "0001-01-01T00:00:00+14:00"} and 9999-12-31T23:59:59-14:00 (were 500s)
        "WyJuZXdlc3QiLCB7InQiOiAiMDAwMS0wMS0wMVQwMDowMDowMCsxNDowMCJ9LCAxXQ",
        "WyJuZXdlc3QiLCB7InQiOiAiOTk5OS0xMi0zMVQyMzo1OTo1OS0xNDowMCJ9LCAxXQ",
    ):
        response = await funder_client.get(f"/listen?cursor={forged}")
        assert response.status_code == 422
    nul = await funder_client.get("/listen", params={"q": "food\x00bank", "organiser": "a\x00"})
    assert nul.status_code in (200, 422)


async def test_htmx_gets_only_the_results_and_the_canonical_url(
    funder_client: WebClient,
) -> None:
    await make_voice("AMINA-7K", "Hope for the youth club", theme="hope")
    await make_voice("AMINA-7K", "Valued the food club")
    query = "q=&pool=&locality=&organiser=&host=&theme=hope&from=&to=&sort=newest"
    response = await funder_client.get(f"/listen?{query}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.text
    assert "<html" not in body and '<form id="listen-filters"' not in body
    assert body.lstrip().startswith('<section id="results"') or '<section id="results"' in body
    assert quotes(body) == ["Hope for the youth club"]
    assert 'id="results-status" hx-swap-oob="innerHTML"' in body
    assert response.headers["hx-push-url"] == "/listen?theme=hope"
    assert "HX-Request" in response.headers["vary"]
    assert response.headers["cache-control"] == "no-store"
    # Going back to an address htmx did not cache asks for the whole page.
    restore = await funder_client.get(
        "/listen?theme=hope",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text and 'id="listen-filters"' in restore.text
    bad = await funder_client.get("/listen?theme=nope", headers={"HX-Request": "true"})
    assert bad.status_code == 422 and bad.headers["hx-push-url"] == "false"
    assert "Please check the search and filters" in bad.text


async def test_the_page_works_as_a_plain_get_form(funder_client: WebClient) -> None:
    page = (await funder_client.get("/listen")).text
    assert '<form id="listen-filters" class="filters" method="get" action="/listen"' in page
    for name in ("q", "pool", "locality", "organiser", "host", "theme", "from", "to", "sort"):
        assert f'id="f-{name}" name="{name}"' in page
        assert f'<label for="f-{name}">' in page


def summary_of(page: str) -> str:
    match = re.search(r'<p class="results-summary">(.*?)</p>', page, re.S)
    assert match is not None, page[-2000:]
    return " ".join(unescape(match.group(1)).split())


async def test_the_summary_names_every_filter_in_use_by_name(
    funder_client: WebClient, places: dict[str, int]
) -> None:
    await make_voice("AMINA-7K", "Amina helped with the lifts", theme="hope")
    response = await funder_client.get(
        f"/listen?q=lifts&pool={places['teesside']}&locality={places['pallister']}"
        f"&organiser=AMINA-7K&host={places['park']}&theme=hope&sort=organiser"
    )
    assert response.status_code == 200
    assert "(6 in use)" in response.text
    summary = summary_of(response.text)
    for words in (
        "By organiser, newest first",
        "pool Teesside Fund (listens in Pallister)",
        "place Pallister",
        "organiser Amina Hussein (AMINA-7K)",
        "host organisation Pallister Park CA",
        "mostly about: a hope",
        "words: “lifts”",
        "1 testimony shown here.",
    ):
        assert words in summary, (words, summary)
    assert f"place {places['pallister']}" not in summary


async def test_a_mistyped_organiser_code_stays_in_the_box(funder_client: WebClient) -> None:
    response = await funder_client.get("/listen?organiser=amina 7!")
    assert response.status_code == 422
    box = re.search(r'<input type="text" id="f-organiser"[^>]*>', response.text)
    assert box is not None
    assert 'value="amina 7!"' in box.group(0) and 'aria-invalid="true"' in box.group(0)


async def test_a_testimony_date_stays_on_one_line(
    funder_client: WebClient, places: dict[str, int]
) -> None:
    await make_voice("AMINA-7K", "Amina helped us")
    page = (await funder_client.get("/listen")).text
    assert re.search(
        r'<time class="nowrap" datetime="[^"]+">\d{1,2} [A-Z][a-z]{2} \d{4}</time>', page
    )
