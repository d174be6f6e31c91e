"""The organiser page speaks to residents first (issue #19): who they are, what neighbours
say, how to vouch; funders' figures after, explained; every public word reachable by
"More words", with and without htmx, and only the words residents made public."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from groundswell.core.clock import now
from groundswell.web.community import WORDS_PAGE
from tests.helpers import WebClient, make_host, make_locality, make_organiser, make_voice


async def amina() -> None:
    host, place = await make_host(), await make_locality("Pallister")
    await make_organiser(host, place, name="Amina Hussein", code="AMINA-7K")


def more_link(page: str) -> str | None:
    match = re.search(r'href="([^"]+)#neighbours"[^>]*>More words<', page)
    return html.unescape(match.group(1)) if match else None


def words(page: str) -> list[str]:
    return re.findall(r"<blockquote>([^<]*)</blockquote>", page)


async def test_residents_sections_come_before_the_funders_figures(client: WebClient) -> None:
    await amina()
    await make_voice("AMINA-7K", "She sorted the bins.")
    page = (await client.get("/organisers/AMINA-7K")).text
    order = [
        'id="neighbours"',
        'id="how-to-vouch"',
        'id="for-funders"',
        'id="over-time"',
        'id="benchmark-heading"',
        'id="funding"',
    ]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert page.index("She sorted the bins.") < page.index('id="for-funders"')
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Vouch on the web" in text
    assert "send AMINA-7K and a few words" in text
    assert (
        "Net score The share of residents who would tell a neighbour to go to Amina Hussein" in text
    )
    assert "(answering 9 or 10 out of 10) minus the share who would not (0 to 6)" in text
    assert "Median organiser The organiser in the middle" in text


async def test_more_words_pages_every_public_word_and_nothing_else(client: WebClient) -> None:
    await amina()
    start = now() - timedelta(days=1)
    for n in range(WORDS_PAGE * 2 + 3):
        await make_voice("AMINA-7K", f"Public word {n:02d}", at=start - timedelta(minutes=n))
    await make_voice("AMINA-7K", "Only for funders", show_public=False, show_funders=True)
    await make_voice("AMINA-7K", "Kept private", consent=False)
    await make_voice("AMINA-7K", "Waiting for a moderator", moderation="flagged")

    seen: list[str] = []
    url: str | None = "/organisers/AMINA-7K"
    pages = 0
    while url:
        response = await client.get(url)
        assert response.status_code == 200
        seen += words(response.text)
        url = more_link(response.text)
        pages += 1
    assert pages == 3
    assert seen == [f"Public word {n:02d}" for n in range(WORDS_PAGE * 2 + 3)]
    # The URL keeps the page: a later page links back to the newest words.
    second = await client.get(more_link((await client.get("/organisers/AMINA-7K")).text) or "")
    assert "Back to the newest words" in second.text
    assert "Net score" in second.text  # the whole page, without JavaScript


async def test_htmx_gets_the_next_words_alone(client: WebClient) -> None:
    await amina()
    for n in range(WORDS_PAGE + 1):
        await make_voice("AMINA-7K", f"Word {n:02d}", at=now() - timedelta(minutes=n + 1))
    first = (await client.get("/organisers/AMINA-7K")).text
    url = more_link(first)
    assert url is not None and f'hx-get="{html.escape(url)}"' in first
    partial = await client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and "for-funders" not in partial.text
    assert words(partial.text) == [f"Word {WORDS_PAGE:02d}"]
    assert "More words" not in partial.text
    assert "HX-Request" in partial.headers["vary"]


async def test_a_bad_words_link_shows_the_newest_words_not_an_error(client: WebClient) -> None:
    await amina()
    await make_voice("AMINA-7K", "The newest word")
    for bad in ["nonsense", "%00", "x" * 5000, "' OR 1=1 --", "ü" * 50]:
        response = await client.get("/organisers/AMINA-7K", params={"words": bad})
        assert response.status_code == 200, bad
        assert "The newest word" in response.text
