"""The demo's lessons: on a quiet place, so a newcomer sees the pages with something real."""

from __future__ import annotations

import re

from litestar import Litestar

from groundswell.community.tables import Locality
from groundswell.core.tables import AuditEntry
from groundswell.demo.loader import load_demo
from groundswell.lessons.tables import Lesson
from tests.helpers import asgi_client


def text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


async def test_the_demo_writes_lessons_on_a_quiet_place_once(app: Litestar) -> None:
    await load_demo()
    hulme = await Locality.select(Locality.id).where(Locality.name == "Hulme").first()
    assert hulme is not None
    lessons = await Lesson.count()
    assert lessons == 4
    assert await AuditEntry.count().where(AuditEntry.subject_type == "lesson") == 5

    async with asgi_client(app) as client:
        public = (await client.get(f"/localities/{hulme['id']}")).text
        assert "Quieter here" in public  # the place is quiet...
        assert 'id="lessons"' not in public and "Somali" not in public  # ...and lessons are private
        await client.login("funder@groundswell.example", "groundswell-demo")
        page = text((await client.get(f"/localities/{hulme['id']}")).text)
        listing = text((await client.get("/lessons")).text)
    assert "What has been learned (3)" in page
    assert "In Siobhan Byrne's own words, recorded by Hana Host" in page
    assert "Written by Fran Funder (funder, Northern Roots Foundation)" in page
    # The quiet organiser the host wrote about is on the place page's quieter list.
    quiet = page[page.index("Quieter here") : page.index("What has been learned")]
    assert "Siobhan Byrne" in quiet and "Record what you learned about Siobhan Byrne" in quiet
    assert "4 lessons" in listing and "Priya Patel" in listing

    again = await load_demo()
    assert not again.created and await Lesson.count() == lessons
