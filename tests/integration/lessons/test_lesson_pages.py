"""Lessons on the place and organiser pages: for signed-in funders, hosts and staff only, a
way to write beside each quieter organiser, and the banner after saving."""

from __future__ import annotations

from litestar import Litestar

from groundswell.lessons.tables import Lesson
from tests.integration.lessons.lesson_helpers import (
    World,
    form,
    lesson_by,
    post,
    signed_in,
    text,
)


async def test_a_host_records_the_organisers_own_words(app: Litestar, world: World) -> None:
    async with signed_in(app, "garden@example.org") as client:
        page = (await client.get("/lessons/new?organiser=SIOBHAN-3V")).text
        assert "Whose words are these?" in page
        response = await post(
            client,
            form(
                world.hulme,
                world.siobhan,
                voice="organiser",
                note="Most of my spring went on the mothers' group. People do not text a code to a number they do not know.",
                tags=["trust", "language"],
                back="organiser",
            ),
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/organisers/SIOBHAN-3V?lesson=saved"
        page = text((await client.get(response.headers["location"])).text)
    assert "Lesson saved" in page
    assert "In Siobhan Byrne's own words, recorded by Host (Hulme Garden Centre)" in page
    assert "Recorded by Host (host, Hulme Garden Centre)" in page
    row = await Lesson.select(Lesson.voice, Lesson.author_organisation).first()
    assert row == {"voice": "organiser", "author_organisation": "Hulme Garden Centre"}


async def test_place_and_organiser_pages_show_lessons_to_signed_in_roles_only(
    app: Litestar, world: World
) -> None:
    note = "The lift was broken for six weeks; nobody on the top floors came to anything."
    await lesson_by(app, "garden@example.org", form(world.hulme, world.siobhan, note=note))
    place_url, organiser_url = f"/localities/{world.hulme}", "/organisers/SIOBHAN-3V"
    async with signed_in(app, None) as client:
        for url in (place_url, organiser_url, f"{place_url}?lesson=saved"):
            page = (await client.get(url)).text
            assert note not in page and 'id="lessons"' not in page and "Lesson saved" not in page
            assert "/lessons/new" not in page
    for email in (
        "admin@example.org",
        "roots@example.org",
        "common@example.org",
        "forum@example.org",
    ):
        async with signed_in(app, email) as client:
            place = (await client.get(place_url)).text
            organiser = (await client.get(organiser_url)).text
            listing = await client.get("/lessons")
        assert note in place and note in organiser and note in listing.text, email
        assert listing.headers["cache-control"] == "no-store"
    # Only those who may write about Siobhan get the way to write (the quiet list's link too).
    async with signed_in(app, "common@example.org") as client:
        place = (await client.get(place_url)).text
        assert (
            "/lessons/new?organiser=SIOBHAN-3V" not in place
            and "/lessons/new?locality" not in place
        )
        assert "/lessons/1/edit" not in place
    async with signed_in(app, "roots@example.org") as client:
        place = (await client.get(place_url)).text
        assert "/lessons/new?organiser=SIOBHAN-3V&amp;back=place" in place
        organiser = text((await client.get(organiser_url)).text)
        assert "Quieter lately: Only 1 voice in the last 90 days, down from 6" in organiser


async def test_a_saved_lesson_returns_to_the_place_page_with_a_banner(
    app: Litestar, world: World
) -> None:
    async with signed_in(app, "roots@example.org") as client:
        response = await post(client, form(world.hulme, tags=["trust", "other"]))
        assert response.status_code == 303
        assert response.headers["location"] == f"/localities/{world.hulme}?lesson=saved"
        page = text((await client.get(response.headers["location"])).text)
    assert "Lesson saved" in page
    assert "Hulme as a whole" in page and "Trust Other" in page
    assert "Written by Funder (funder, Northern Roots)" in page
    # What the place's voices looked like when it was written, from the place page's figures.
    assert "2 of 2 active organisers quieter (Dele Okafor, Siobhan Byrne)" in page


# ------------------------------------------------------------------------- /lessons and the CSV
