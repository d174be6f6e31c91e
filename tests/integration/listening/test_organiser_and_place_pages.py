"""Organiser and place pages: voices over time (SVG + table), themes, and the quiet ones."""

from __future__ import annotations

import re
from datetime import date, timedelta

from groundswell.core.clock import now, today
from groundswell.listening.tally import months_ending
from tests.helpers import WebClient, make_host, make_locality, make_organiser, make_voice


async def test_organiser_page_charts_voices_by_month_with_a_table(client: WebClient) -> None:
    host, place = await make_host(), await make_locality("Pallister")
    await make_organiser(host, place, name="Amina Hussein", code="AMINA-7K")
    moment = now()
    for _ in range(3):
        await make_voice("AMINA-7K", at=moment - timedelta(minutes=5), theme="hope")
    await make_voice("AMINA-7K", at=moment - timedelta(days=75))
    await make_voice("AMINA-7K", at=moment - timedelta(days=500))  # older than the chart
    await make_voice("AMINA-7K", consent=False)  # counts, though not published
    await make_voice("AMINA-7K", state="withdrawn")  # does not count
    page = (await client.get("/organisers/AMINA-7K")).text
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    assert 'role="img"' in svg.group(0) and "<title" in svg.group(0) and "style=" not in page
    assert svg.group(0).count('class="chart-bar"') == 2  # two months with voices
    assert svg.group(0).count("chart-bar-zero") == 10
    months = months_ending(moment.date(), 12)
    rows = dict(
        re.findall(r'<tr><th scope="row">([A-Z][a-z]+ \d{4})</th><td class="num">(\d+)</td>', page)
    )
    assert len(rows) == 12
    assert rows[months[-1].strftime("%B %Y")] == "4"
    assert sum(int(v) for v in rows.values()) == 5
    assert "5 voices in all" in page and "All twelve months" in page
    themes = dict(
        re.findall(r'<tr><th scope="row">([A-Za-z ]+)</th><td class="num">(\d+)</td>', page)
    )
    assert themes["A hope"] == "3" and themes["What they value"] == "3"
    # No round has included her yet: the funding section says so, with no figures.
    assert "No rounds have included Amina Hussein yet." in page
    assert "£" not in page and "Why " not in page


async def test_place_page_surfaces_quiet_organisers(client: WebClient) -> None:
    host, place = await make_host(), await make_locality("Hulme", local_authority="Manchester")
    for name, code in (
        ("Busy Bee", "BUSY-2A"),
        ("Falling Star", "FALL-2B"),
        ("Quiet Quinn", "QUIET-2C"),
        ("Gone Gary", "GONE-2D"),
    ):
        await make_organiser(
            host,
            place,
            name=name,
            code=code,
            status="left" if name.startswith("Gone") else "active",
        )
    moment = now()
    for _ in range(8):
        await make_voice("BUSY-2A", at=moment - timedelta(days=10))
        await make_voice("FALL-2B", at=moment - timedelta(days=120))
    for _ in range(5):
        await make_voice("FALL-2B", at=moment - timedelta(days=20))
    await make_voice("QUIET-2C", at=moment - timedelta(days=3))
    page = (await client.get(f"/localities/{place}")).text
    quiet = re.search(r'<section class="quiet".*?</section>', page, re.S)
    assert quiet is not None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", quiet.group(0)))
    assert "Quiet Quinn (Pallister Park CA): Only 1 voice in the last 90 days" in text
    assert "Falling Star (Pallister Park CA): 5 voices in the last 90 days, down from 8" in text
    assert "Busy Bee" not in text and "Gone Gary" not in text  # busy, and no longer working
    assert text.index("Quiet Quinn") < text.index("Falling Star")
    assert "Voices in the last 90 days</dt><dd>14</dd>" in page
    assert "In the 90 days before</dt><dd>8</dd>" in page
    assert page.count("<svg") == 1 and "Voices each month in Hulme" in page


async def test_every_voice_figure_says_what_it_counts_and_over_when(client: WebClient) -> None:
    host, place = await make_host(), await make_locality("Pallister")
    await make_organiser(host, place, name="Amina Hussein", code="AMINA-7K")
    await make_voice("AMINA-7K", at=now() - timedelta(days=5))
    await make_voice("AMINA-7K", at=now() - timedelta(days=500))  # older than the chart
    page = " ".join((await client.get("/organisers/AMINA-7K")).text.split())
    assert "<dt>Residents vouching</dt><dd>2 <span" in page
    assert "whenever it was given" in page
    assert "The last twelve months only: 1 of the 2 voices that count now" in page
    assert "(the other 1 were given earlier)" in page
    assert "All 2 voices that count now, whenever they were given." in page


async def test_the_bursary_year_says_when_it_ended_and_what_that_means(
    client: WebClient,
) -> None:
    host, place = await make_host(), await make_locality("Pallister")
    await make_organiser(
        host, place, name="Amina Hussein", code="AMINA-7K", bursary_end=date(2025, 8, 31)
    )
    await make_organiser(
        host, place, name="Bea Jones", code="BEA-2B", bursary_end=today() + timedelta(days=60)
    )
    await make_organiser(
        host, place, name="Cal Ode", code="CAL-2C", bursary_end=date(2025, 8, 31), status="paused"
    )
    ended = " ".join((await client.get("/organisers/AMINA-7K")).text.split())
    assert (
        "Bursary year ended 31 Aug 2025 — eligible for continuation funding from pools that "
        "listen in Pallister" in ended
    )
    assert "<dt>Status</dt><dd>Active</dd>" in ended
    running = " ".join((await client.get("/organisers/BEA-2B")).text.split())
    ends = (today() + timedelta(days=60)).strftime("%-d %b %Y")
    assert f"Bursary year ends {ends} — eligible for continuation funding from the round" in running
    paused = " ".join((await client.get("/organisers/CAL-2C")).text.split())
    assert "Bursary year ended 31 Aug 2025." in paused and "eligible" not in paused
    assert "Paused: left out of funding rounds while paused" in paused
