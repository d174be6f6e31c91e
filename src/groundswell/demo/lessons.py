"""Demo lessons: what the demo's funder, host and programme staff learned where the work went
quiet, so a newcomer opening Hulme's place page (three quieter organisers) or /lessons sees
something real. Written through the same service as the form (checked, with the voices as
they were and an audit entry), once: nothing is added when any lesson exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from groundswell.accounts.services import principal_for
from groundswell.accounts.tables import User
from groundswell.community.tables import Locality, Organiser
from groundswell.core.clock import frozen_at, now
from groundswell.core.principal import Principal
from groundswell.lessons.tables import Lesson
from groundswell.lessons.writing import create_lesson, update_lesson


@dataclass(frozen=True)
class DemoLesson:
    author: str  # the demo login's e-mail
    place: str
    organiser: str | None  # a name in that place, or None for the place as a whole
    days_ago: int  # when it was written
    note: str
    tags: tuple[str, ...]
    period_days: tuple[int, int]  # from and to, in days before it was written
    voice: str = "writer"
    action: str = ""  # what was done, when something was
    # What was done, added later through the edit form (an audited change).
    later: tuple[int, str] | None = None


LESSONS = [
    DemoLesson(
        author="funder@groundswell.example",
        place="Hulme",
        organiser=None,
        days_ago=12,
        note=(
            "Voices in Hulme fell by almost half this autumn, across all three organisers at "
            "the garden centre. Talking it through with them, most of the drop is the tower "
            "blocks being emptied for refurbishment: the residents who vouched most were moved "
            "across the city over the summer. The work did not stop; the people it reached "
            "moved away."
        ),
        tags=("timing", "other"),
        period_days=(120, 0),
        later=(
            4,
            "Agreed with the host that voices from moved residents still count for their "
            "window, and asked to be told when people move back, so we can close the loop "
            "with them.",
        ),
    ),
    DemoLesson(
        author="host@groundswell.example",
        place="Hulme",
        organiser="Siobhan Byrne",
        days_ago=9,
        voice="organiser",
        note=(
            "Most of my spring and summer went on the Somali mothers' group at the school "
            "gate. It is slow work and it is built on trust: people do not text a code to a "
            "number they do not know, and nobody had explained vouching in Somali. That is why "
            "my numbers look thin, not because nothing is happening."
        ),
        tags=("language", "trust", "hard_to_reach"),
        period_days=(180, 0),
        action=(
            "Siobhan now explains vouching in person, in Somali, at the end of each group; the "
            "garden centre printed vouching cards in Somali and Arabic."
        ),
    ),
    DemoLesson(
        author="admin@groundswell.example",
        place="Hulme",
        organiser="Fatima Begum",
        days_ago=6,
        note=(
            "The Friday evening drop-in moved to Tuesday mornings when the community centre "
            "changed its opening hours. Most of the people Fatima worked with are at work on "
            "Tuesday mornings, so fewer came, and fewer vouched."
        ),
        tags=("timing", "hard_to_reach"),
        period_days=(90, 0),
    ),
    DemoLesson(
        author="admin@groundswell.example",
        place="Lawrence Weston",
        organiser="Priya Patel",
        days_ago=3,
        note=(
            "Tomasz left in the summer. He and Priya ran the youth evenings together and many "
            "of the young people's voices came through his sessions. Priya has carried on "
            "alone with half the hours; the young people who knew Tomasz best have drifted off."
        ),
        tags=("organiser_left", "hard_to_reach"),
        period_days=(150, 0),
    ),
]


async def _principal(email: str) -> Principal | None:
    user = await User.select(User.id).where(User.email == email).first()
    return await principal_for(user["id"]) if user else None


async def _form(lesson: DemoLesson, written: Any) -> dict[str, Any] | None:
    place = await Locality.select(Locality.id).where(Locality.name == lesson.place).first()
    if place is None:
        return None
    organiser_id: Any = ""
    if lesson.organiser is not None:
        organiser = (
            await Organiser.select(Organiser.id)
            .where((Organiser.name == lesson.organiser) & (Organiser.locality == place["id"]))
            .first()
        )
        if organiser is None:
            return None
        organiser_id = organiser["id"]
    day = written.date()
    return {
        "locality": str(place["id"]),
        "organiser": str(organiser_id),
        "note": lesson.note,
        "tags": list(lesson.tags),
        "voice": lesson.voice,
        "period_start": (day - timedelta(days=lesson.period_days[0])).isoformat(),
        "period_end": (day - timedelta(days=lesson.period_days[1])).isoformat(),
        "acted_on": "yes" if lesson.action else "no",
        "action_taken": lesson.action,
    }


async def load_lessons_demo() -> bool:
    """Write the demo's lessons once; True when it wrote any."""
    if await Lesson.exists():
        return False
    wrote = False
    for lesson in LESSONS:
        principal = await _principal(lesson.author)
        written = now() - timedelta(days=lesson.days_ago)
        form = await _form(lesson, written)
        if principal is None or form is None:
            continue
        with frozen_at(written):
            lesson_id = await create_lesson(principal, form)
        wrote = True
        if lesson.later is not None:
            days_ago, action = lesson.later
            with frozen_at(now() - timedelta(days=days_ago)):
                await update_lesson(
                    principal, lesson_id, {**form, "acted_on": "yes", "action_taken": action}
                )
    return wrote
