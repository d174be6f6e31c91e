"""Lessons from where it is not catching (issue #18): who may write and change them, what
the form refuses (422, never a 500), /lessons and its filters, the CSV, and the audit."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar

from groundswell.accounts.tables import User
from groundswell.core.clock import today
from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.lessons.tables import Lesson, LessonTag
from tests.helpers import field_error, make_host, make_user
from tests.integration.lessons.lesson_helpers import (
    World,
    form,
    lesson_by,
    post,
    signed_in,
    text,
)

WHO_MAY_WRITE = [
    ("admin@example.org", "walton", True),  # staff: anywhere
    ("admin@example.org", "amina", True),
    ("roots@example.org", "hulme", True),  # their pool's place
    ("roots@example.org", "siobhan", True),  # an organiser working there
    ("roots@example.org", "dele", True),
    ("roots@example.org", "pallister", False),  # another funder's place
    ("roots@example.org", "amina", False),
    ("common@example.org", "siobhan", False),
    ("river@example.org", "walton", True),  # a pool naming no places listens everywhere
    ("river@example.org", "siobhan", True),
    ("garden@example.org", "siobhan", True),  # their own organiser
    ("garden@example.org", "hulme", True),  # and that organiser's place
    ("garden@example.org", "dele", False),  # another host's organiser, same place
    ("garden@example.org", "pallister", False),  # a place where they host nobody
    ("forum@example.org", "amina", True),
    ("forum@example.org", "pallister", True),
    ("forum@example.org", "siobhan", False),
]


async def test_who_may_write_a_lesson(app: Litestar, world: World) -> None:
    places = {"hulme": world.hulme, "pallister": world.pallister, "walton": world.walton}
    organisers = {
        "siobhan": (world.hulme, world.siobhan, "SIOBHAN-3V"),
        "dele": (world.hulme, world.dele, "DELE-8P"),
        "amina": (world.pallister, world.amina, "AMINA-7Z"),
    }
    failures = []
    for email, subject, allowed in WHO_MAY_WRITE:
        if subject in places:
            data, new_url = form(places[subject]), f"/lessons/new?locality={places[subject]}"
        else:
            place, organiser, code = organisers[subject]
            data, new_url = form(place, organiser), f"/lessons/new?organiser={code}"
        async with signed_in(app, email) as client:
            page = await client.get(new_url)
            response = await post(client, data)
        written = await Lesson.count()
        expected = (200, 303, 1) if allowed else (403, 403, 0)
        if (page.status_code, response.status_code, written) != expected:
            failures.append(
                f"{email} about {subject}: {page.status_code}, {response.status_code}, {written}"
            )
        if not allowed and "You can record lessons about" not in response.text:
            failures.append(f"{email} about {subject}: no reason given")
        await Lesson.delete(force=True)
    assert not failures, "\n".join(failures)


async def test_the_public_cannot_read_or_write_lessons(app: Litestar, world: World) -> None:
    async with signed_in(app, None) as client:
        for url in (
            "/lessons",
            "/lessons.csv",
            "/lessons/new",
            f"/lessons/new?locality={world.hulme}",
        ):
            response = await client.get(url)
            assert response.status_code in (302, 303), url
            assert response.headers["location"].startswith("/login")
        response = await post(client, form(world.hulme))
        assert response.status_code in (302, 303)
        assert response.headers["location"].startswith("/login")
    assert await Lesson.count() == 0


async def test_a_writer_who_may_write_nowhere_is_told_so(app: Litestar, world: World) -> None:
    lonely = await make_host("A host with no organisers")
    await make_user(Role.HOST, "lonely@example.org", host_ids=(lonely,))
    async with signed_in(app, "lonely@example.org") as client:
        response = await client.get("/lessons/new")
        assert response.status_code == 403
        assert "there are none yet" in response.text
        # Reading is for every signed-in role all the same.
        assert (await client.get("/lessons")).status_code == 200


async def test_the_place_chooser_offers_only_places_the_writer_may_write_about(
    app: Litestar, world: World
) -> None:
    async with signed_in(app, "garden@example.org") as client:
        page = (await client.get("/lessons/new")).text
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == [str(world.hulme)]


# ------------------------------------------------------------------------- the organiser's words


async def test_the_place_chooser_sent_without_a_place_asks_again(
    app: Litestar, world: World
) -> None:
    async with signed_in(app, "roots@example.org") as client:
        response = await client.get("/lessons/new?locality=&back=lessons")
    assert response.status_code == 422
    assert field_error(response.text, "locality") == "Choose a place."
    assert 'href="#f-locality"' in response.text


@pytest.mark.parametrize(
    ("email", "organiser"),
    [("roots@example.org", "siobhan"), ("garden@example.org", None)],
)
async def test_only_the_host_records_an_organisers_words_and_only_about_an_organiser(
    app: Litestar, world: World, email: str, organiser: str | None
) -> None:
    async with signed_in(app, email) as client:
        if email.startswith("roots"):
            page = (await client.get("/lessons/new?organiser=SIOBHAN-3V")).text
            assert "Whose words are these?" not in page  # not offered to a funder
        data = form(world.hulme, world.siobhan if organiser else None, voice="organiser")
        response = await post(client, data)
    assert response.status_code == 422
    assert field_error(response.text, "voice") in (
        "Only the organiser's host records the organiser's own words.",
        "An organiser's own words are about one organiser: choose them above.",
    )
    assert await Lesson.count() == 0


# ------------------------------------------------------------------------- validation


LONG = "x" * 1001


BAD_FORMS: list[tuple[dict[str, Any], str, str]] = [
    ({"note": ""}, "note", "This is required."),
    ({"note": "   \n  "}, "note", "This is required."),
    ({"note": LONG}, "note", "Keep this to 1000 characters or fewer."),
    (
        {"note": "bad \ufffd bytes"},
        "note",
        "Some characters could not be read; please type this again.",
    ),
    ({"tags": []}, "tags", "Choose at least one tag (Other, if none fits)."),
    ({"tags": ["trust", "nonsense"]}, "tags", "Choose tags from the list."),
    (
        {"period_start": "last spring"},
        "period_start",
        "Enter a date as YYYY-MM-DD, for example 2026-03-31.",
    ),
    ({"period_start": ""}, "period_start", "Enter a date as YYYY-MM-DD, for example 2026-03-31."),
    ({"period_end": "9999-12-31"}, "period_end", "Enter a date between 2000 and 2100."),
    ({"period_start": "1066-10-14"}, "period_start", "Enter a date between 2000 and 2100."),
    (
        {"period_start": (today() + timedelta(days=3)).isoformat()},
        "period_start",
        "The period starts today or earlier: a lesson looks back.",
    ),
    (
        {"period_end": (today() - timedelta(days=120)).isoformat()},
        "period_end",
        "The period ends on or after the day it starts.",
    ),
    ({"acted_on": "maybe"}, "acted_on", "Choose yes or not yet."),
    ({"acted_on": "yes"}, "action_taken", "Say what was done, in a sentence or two."),
    (
        {"acted_on": "yes", "action_taken": LONG},
        "action_taken",
        "Keep this to 1000 characters or fewer.",
    ),
    ({"voice": "ghostwriter"}, "voice", "Choose one of: writer, organiser."),
    (
        {"organiser": "12345678901234567890123456789012345678901"},
        "organiser",
        "Choose an organiser from the list.",
    ),
    ({"organiser": "-3"}, "organiser", "Choose an organiser from the list."),
]


async def test_a_form_with_a_problem_comes_back_with_its_message(
    app: Litestar, world: World
) -> None:
    async with signed_in(app, "admin@example.org") as client:
        for changes, field, message in BAD_FORMS:
            response = await post(client, {**form(world.hulme, world.siobhan), **changes})
            assert response.status_code == 422, (changes, response.text[-500:])
            assert response.headers["content-type"].startswith("text/html")
            assert field_error(response.text, field) == message, changes
            assert (
                'class="error-summary"' in response.text and f'href="#f-{field}"' in response.text
            )
            # What was typed is shown again (the place stays chosen).
            assert f'name="locality" value="{world.hulme}"' in response.text
    assert await Lesson.count() == 0


async def test_an_organiser_from_another_place_is_refused_at_the_field(
    app: Litestar, world: World
) -> None:
    async with signed_in(app, "admin@example.org") as client:
        response = await post(client, form(world.hulme, world.amina))
    assert response.status_code == 422
    assert field_error(response.text, "organiser") == "Choose an organiser in Hulme from the list."


@pytest.mark.parametrize("locality", ["", "abc", "99999", "12345678901234567890123456789"])
async def test_a_missing_or_made_up_place_asks_for_a_place_again(
    app: Litestar, world: World, locality: str
) -> None:
    async with signed_in(app, "admin@example.org") as client:
        response = await post(client, {**form(world.hulme), "locality": locality})
    assert response.status_code == 422
    assert field_error(response.text, "locality") in (
        "This is required.",
        "Choose a place from the list.",
    )
    assert "First, which place is it about?" in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/lessons/new?organiser=NOPE-2Z",
        "/lessons/new?organiser=%00",
        "/lessons/new?locality=x",
        "/lessons/new?locality=99999",
    ],
)
async def test_a_form_for_nothing_is_not_found(app: Litestar, world: World, url: str) -> None:
    async with signed_in(app, "admin@example.org") as client:
        assert (await client.get(url)).status_code == 404


async def test_phone_numbers_are_taken_out_before_they_are_stored_and_emails_when_shown(
    app: Litestar, world: World
) -> None:
    async with signed_in(app, "admin@example.org") as client:
        response = await post(
            client,
            form(
                world.hulme,
                note="Ring her on 07700 900 123 or write to jo@example.org about it.",
                acted_on="yes",
                action_taken="Left a message on +44 7700 900123.",
            ),
        )
        assert response.status_code == 303
        page = text((await client.get("/lessons")).text)
    row = await Lesson.select(Lesson.note, Lesson.action_taken).first()
    assert row is not None
    assert "900" not in row["note"] and "[number removed]" in row["note"]
    assert "900" not in row["action_taken"]
    assert "jo@example.org" not in page and "[e-mail removed]" in page
    details = (  # JSON text
        await AuditEntry.select(AuditEntry.detail)
        .where(AuditEntry.subject_type == "lesson")
        .first()
        or {}
    )["detail"]
    assert "900" not in str(details)


async def test_what_was_done_is_not_kept_when_nothing_was_done(app: Litestar, world: World) -> None:
    async with signed_in(app, "admin@example.org") as client:
        await post(
            client, form(world.hulme, acted_on="no", action_taken="typed, then changed my mind")
        )
    row = await Lesson.select(Lesson.acted_on, Lesson.action_taken).first()
    assert row == {"acted_on": False, "action_taken": ""}


# ------------------------------------------------------------------------- changing a lesson


@pytest.mark.parametrize(
    ("editor", "allowed"),
    [
        ("roots@example.org", True),  # the author
        ("admin@example.org", True),  # programme staff
        ("river@example.org", False),  # may write about Hulme too, but did not write this
        ("garden@example.org", False),  # Siobhan's host, not the author
    ],
)
async def test_the_author_and_staff_may_change_a_lesson_and_every_change_is_audited(
    app: Litestar, world: World, editor: str, allowed: bool
) -> None:
    lesson = await lesson_by(app, "roots@example.org", form(world.hulme, world.siobhan))
    change = form(
        world.hulme,
        world.siobhan,
        acted_on="yes",
        action_taken="We asked the host what would help and funded interpreters.",
        tags=["timing", "language"],
        back="lessons",
    )
    async with signed_in(app, editor) as client:
        page = await client.get(f"/lessons/{lesson}/edit")
        response = await post(client, change, url=f"/lessons/{lesson}/edit")
        if allowed:
            assert page.status_code == 200 and "Change a lesson" in page.text
            assert response.status_code == 303
            assert response.headers["location"] == "/lessons?lesson=updated"
            assert "Lesson updated" in (await client.get(response.headers["location"])).text
        else:
            assert page.status_code == 403 and response.status_code == 403
    row = (
        await Lesson.select(Lesson.acted_on, Lesson.action_taken).where(Lesson.id == lesson).first()
    )
    tags = sorted(
        r["tag"] for r in await LessonTag.select(LessonTag.tag).where(LessonTag.lesson == lesson)
    )
    entries = (
        await AuditEntry.select(
            AuditEntry.action,
            AuditEntry.actor,
            AuditEntry.subject_type,
            AuditEntry.subject_id,
            AuditEntry.detail,
        )
        .where(AuditEntry.subject_type == "lesson")
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    author = await User.select(User.id).where(User.email == "roots@example.org").first()
    assert entries[0]["action"] == "lesson.created" and entries[0]["actor"] == author["id"]
    assert entries[0]["subject_type"] == "lesson" and entries[0]["subject_id"] == str(lesson)
    assert entries[0]["detail"]["organiser"] == "SIOBHAN-3V" and entries[0]["detail"]["tags"] == [
        "timing"
    ]
    if allowed:
        assert row == {"acted_on": True, "action_taken": change["action_taken"]}
        assert tags == ["language", "timing"]
        assert [e["action"] for e in entries] == ["lesson.created", "lesson.updated"]
        by = await User.select(User.id).where(User.email == editor).first()
        assert entries[1]["actor"] == by["id"]
        assert entries[1]["detail"]["changes"] == {
            "tags": {"from": ["timing"], "to": ["language", "timing"]},
            "acted_on": {"from": False, "to": True},
            "action_taken": {"from": "", "to": change["action_taken"]},
        }
    else:
        assert row == {"acted_on": False, "action_taken": ""} and tags == ["timing"]
        assert [e["action"] for e in entries] == ["lesson.created"]


async def test_saving_without_a_change_writes_nothing_and_says_so(
    app: Litestar, world: World
) -> None:
    data = form(world.hulme, back="lessons")
    lesson = await lesson_by(app, "admin@example.org", data)
    async with signed_in(app, "admin@example.org") as client:
        response = await post(client, data, url=f"/lessons/{lesson}/edit")
        assert response.headers["location"] == "/lessons?lesson=unchanged"
        assert "Nothing changed" in (await client.get(response.headers["location"])).text
    assert await AuditEntry.count().where(AuditEntry.subject_type == "lesson") == 1


async def test_a_bad_change_comes_back_with_its_messages(app: Litestar, world: World) -> None:
    lesson = await lesson_by(app, "admin@example.org", form(world.hulme))
    async with signed_in(app, "admin@example.org") as client:
        response = await post(
            client, form(world.hulme, note="", tags=["x"]), url=f"/lessons/{lesson}/edit"
        )
        assert response.status_code == 422
        assert field_error(response.text, "note") == "This is required."
        assert field_error(response.text, "tags") == "Choose tags from the list."
        assert (await client.get("/lessons/99999/edit")).status_code == 404
    assert await AuditEntry.count().where(AuditEntry.subject_type == "lesson") == 1


# ------------------------------------------------------------------------- who reads them


async def test_lessons_page_filters_by_place_tag_period_and_action(
    app: Litestar, world: World
) -> None:
    day = today()
    await lesson_by(
        app,
        "admin@example.org",
        form(
            world.hulme,
            note="Hulme timing",
            tags=["timing"],
            period_start=(day - timedelta(days=200)).isoformat(),
            period_end=(day - timedelta(days=150)).isoformat(),
        ),
    )
    await lesson_by(
        app,
        "admin@example.org",
        form(
            world.pallister,
            note="Pallister trust",
            tags=["trust", "timing"],
            acted_on="yes",
            action_taken="Met the residents.",
        ),
    )
    await lesson_by(
        app,
        "admin@example.org",
        form(world.hulme, world.siobhan, note="Siobhan language", tags=["language"]),
    )
    recent = (day - timedelta(days=30)).isoformat()
    cases = {
        "": {"Hulme timing", "Pallister trust", "Siobhan language"},
        f"?locality={world.hulme}": {"Hulme timing", "Siobhan language"},
        "?tag=timing": {"Hulme timing", "Pallister trust"},
        f"?from={recent}": {"Pallister trust", "Siobhan language"},
        f"?to={(day - timedelta(days=160)).isoformat()}": {"Hulme timing"},
        "?acted=yes": {"Pallister trust"},
        "?acted=no&tag=timing": {"Hulme timing"},
        "?organiser=siobhan-3v": {"Siobhan language"},
    }
    async with signed_in(app, "forum@example.org") as client:
        for query, expected in cases.items():
            page = (await client.get("/lessons" + query)).text
            shown = {
                n for n in ("Hulme timing", "Pallister trust", "Siobhan language") if n in page
            }
            assert shown == expected, query
            rows = list(
                csv.DictReader(
                    io.StringIO((await client.get("/lessons.csv" + query)).text.lstrip("\ufeff"))
                )
            )
            assert {r["What was learned"] for r in rows} == expected, query
        page = text((await client.get("/lessons")).text)
        assert "3 lessons" in page and "Timing 2" in page and "Trust 1" in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("locality=abc", "locality", "Choose a place from the list."),
        ("tag=burnout", "tag", "Choose a tag from the list."),
        ("from=yesterday", "from", "Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        ("to=9999-01-01", "to", "Enter a date between 2000 and 2100."),
        ("from=2026-05-01&to=2026-04-01", "to", "The end date is on or after the start date."),
        ("acted=perhaps", "acted", "Choose acted on or not yet."),
        ("page=0", "page", "There is no such page."),
        (
            "organiser=not+a+code!",
            "organiser",
            "Enter an organiser's vouching code, like AMINA-7K.",
        ),
    ],
)
async def test_bad_filters_get_the_forms_messages_not_an_error_page(
    app: Litestar, world: World, query: str, field: str, message: str
) -> None:
    async with signed_in(app, "admin@example.org") as client:
        page = await client.get(f"/lessons?{query}")
        assert page.status_code == 422
        assert message in html.unescape(page.text) and 'class="error-summary"' in page.text
        if field != "page":
            assert (await client.get(f"/lessons.csv?{query}")).status_code == 422


async def test_the_csv_is_formula_safe_and_private(app: Litestar, world: World) -> None:
    await lesson_by(
        app,
        "admin@example.org",
        form(
            world.hulme,
            world.siobhan,
            note='=HYPERLINK("http://evil.example","click")',
            acted_on="yes",
            action_taken="+SUM(1,2)",
        ),
    )
    await User.update({User.name: "@Admin"}).where(User.email == "admin@example.org")
    await Lesson.update({Lesson.author_name: "-Admin"}).where(Lesson.id > 0)
    async with signed_in(app, "garden@example.org") as client:
        response = await client.get("/lessons.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    assert 'filename="lessons.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["What was learned"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["What was done"] == "'+SUM(1,2)"
    assert row["Written by"] == "'-Admin"
    assert row["Place"] == "Hulme" and row["Organiser's code"] == "SIOBHAN-3V"
    assert row["Tags"] == "Timing" and row["Acted on"] == "Yes" and row["Role"] == "programme staff"
    assert row["Voices when written"].startswith("Quieter: Only 1 voice")
    assert row["Period to"] == today().isoformat()
