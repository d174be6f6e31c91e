"""Reading lessons for the place, organiser and lessons pages and the CSV for learning
reviews; e-mail addresses are removed wherever a lesson is shown."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from groundswell.core.clock import on_uk_clocks
from groundswell.core.principal import Principal, Role
from groundswell.lessons.filters import LessonQuery
from groundswell.lessons.permissions import WriterScope, writer_scope
from groundswell.lessons.states import TAG_LABELS, VOICE_LABELS, tag_label
from groundswell.lessons.tables import Lesson, LessonTag
from groundswell.listening.services import place_voices
from groundswell.vouching.redact import redact


def select_lessons() -> Any:
    return (
        Lesson.select(
            Lesson.id,
            Lesson.note,
            Lesson.voice,
            Lesson.period_start,
            Lesson.period_end,
            Lesson.acted_on,
            Lesson.action_taken,
            Lesson.figures_when_written,
            Lesson.author,
            Lesson.author_name,
            Lesson.author_role,
            Lesson.author_organisation,
            Lesson.created_at,
            Lesson.updated_at,
            Lesson.locality.id.as_alias("locality_id"),
            Lesson.locality.name.as_alias("locality_name"),
            Lesson.locality.local_authority.as_alias("local_authority"),
            Lesson.organiser.id.as_alias("organiser_id"),
            Lesson.organiser.name.as_alias("organiser_name"),
            Lesson.organiser.code.as_alias("organiser_code"),
            Lesson.organiser._.host._.name.as_alias("host_name"),
        )
        .order_by(Lesson.created_at, ascending=False)
        .order_by(Lesson.id, ascending=False)
    )


ROLE_LABELS = {
    Role.ADMIN.value: "programme staff",
    Role.FUNDER.value: "funder",
    Role.HOST.value: "host",
}


async def lesson_views(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the pages and the CSV read them: tags with their labels, the words as shown
    (e-mail addresses and any number an older row kept taken out)."""
    ids = [row["id"] for row in rows]
    tags: dict[int, list[str]] = {}
    if ids:
        for tag in await LessonTag.select(LessonTag.lesson, LessonTag.tag).where(
            LessonTag.lesson.is_in(ids)
        ):
            tags.setdefault(tag["lesson"], []).append(tag["tag"])
    order = list(TAG_LABELS)
    views = []
    for row in rows:
        chosen = sorted(tags.get(row["id"], []), key=lambda t: order.index(t) if t in order else 99)
        views.append(
            {
                **row,
                "stored_note": row["note"],
                "stored_action": row["action_taken"],
                "note": redact(row["note"]),
                "action_taken": redact(row["action_taken"]),
                "tags": [(value, tag_label(value)) for value in chosen],
                "voice_label": VOICE_LABELS.get(row["voice"], row["voice"]),
                "role_label": ROLE_LABELS.get(row["author_role"], row["author_role"]),
                "about": (
                    f"{row['organiser_name']}, {row['locality_name']}"
                    if row["organiser_id"] is not None
                    else f"{row['locality_name']} (the place as a whole)"
                ),
            }
        )
    return views


def _conditions(query: LessonQuery) -> list[Any]:
    conditions: list[Any] = []
    if query.locality is not None:
        conditions.append(Lesson.locality == query.locality)
    if query.organiser:
        conditions.append(Lesson.organiser.code == query.organiser)
    if query.tag:
        conditions.append(
            Lesson.id.is_in(LessonTag.select(LessonTag.lesson).where(LessonTag.tag == query.tag))
        )
    # A lesson's period overlaps the dates asked for.
    if query.date_from is not None:
        conditions.append(Lesson.period_end >= query.date_from)
    if query.date_to is not None:
        conditions.append(Lesson.period_start <= query.date_to)
    if query.acted:
        conditions.append(Lesson.acted_on == (query.acted == "yes"))
    return conditions


def _where(select: Any, conditions: Iterable[Any]) -> Any:
    for condition in conditions:
        select = select.where(condition)
    return select


@dataclass
class LessonsPage:
    lessons: list[dict[str, Any]]
    total: int
    tag_counts: list[tuple[str, str, int]]
    has_next: bool


PAGE_SIZE = 50


async def lessons_page(query: LessonQuery) -> LessonsPage:
    """One page of lessons for what the query asks, newest first, with how often each tag
    comes up among all the lessons it matches."""
    conditions = _conditions(query)
    offset = (query.page - 1) * PAGE_SIZE
    rows = await _where(select_lessons(), conditions).limit(PAGE_SIZE + 1).offset(offset)
    total = await _where(Lesson.count(), conditions)
    matching = _where(Lesson.select(Lesson.id), conditions)
    counts = await (
        LessonTag.select(LessonTag.tag, Count(LessonTag.id, alias="n"))
        .where(LessonTag.lesson.is_in(matching))
        .group_by(LessonTag.tag)
    )
    by_tag = {row["tag"]: row["n"] for row in counts}
    return LessonsPage(
        lessons=await lesson_views(rows[:PAGE_SIZE]),
        total=int(total),
        tag_counts=[
            (value, label, by_tag[value])
            for value, label in TAG_LABELS.items()
            if by_tag.get(value)
        ],
        has_next=len(rows) > PAGE_SIZE,
    )


async def all_lessons(query: LessonQuery) -> list[dict[str, Any]]:
    return await lesson_views(await _where(select_lessons(), _conditions(query)))


async def for_place(locality_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """The place's lessons: about the place as a whole and about organisers there."""
    return await lesson_views(
        await select_lessons().where(Lesson.locality == locality_id).limit(limit)
    )


async def for_organiser(organiser_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    return await lesson_views(
        await select_lessons().where(Lesson.organiser == organiser_id).limit(limit)
    )


async def count_for(*, locality_id: int | None = None, organiser_id: int | None = None) -> int:
    query = Lesson.count()
    if locality_id is not None:
        query = query.where(Lesson.locality == locality_id)
    if organiser_id is not None:
        query = query.where(Lesson.organiser == organiser_id)
    return int(await query)


# ------------------------------------------------------------------------------ the CSV

CSV_COLUMNS = [
    "id",
    "place",
    "local_authority",
    "organiser",
    "organiser_code",
    "host",
    "period_from",
    "period_to",
    "tags",
    "whose_words",
    "what_was_learned",
    "acted_on",
    "what_was_done",
    "voices_when_written",
    "written_by",
    "role",
    "organisation",
    "written_on",
    "last_changed",
]
CSV_HEADINGS = {
    "id": "Lesson",
    "place": "Place",
    "local_authority": "Local authority",
    "organiser": "Organiser",
    "organiser_code": "Organiser's code",
    "host": "Host",
    "period_from": "Period from",
    "period_to": "Period to",
    "tags": "Tags",
    "whose_words": "Whose words",
    "what_was_learned": "What was learned",
    "acted_on": "Acted on",
    "what_was_done": "What was done",
    "voices_when_written": "Voices when written",
    "written_by": "Written by",
    "role": "Role",
    "organisation": "Organisation",
    "written_on": "Written on",
    "last_changed": "Last changed",
}


def csv_rows(lessons: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": lesson["id"],
            "place": lesson["locality_name"],
            "local_authority": lesson["local_authority"],
            "organiser": lesson["organiser_name"] or "",
            "organiser_code": lesson["organiser_code"] or "",
            "host": lesson["host_name"] or "",
            "period_from": lesson["period_start"].isoformat(),
            "period_to": lesson["period_end"].isoformat(),
            "tags": "; ".join(label for _, label in lesson["tags"]),
            "whose_words": lesson["voice_label"],
            "what_was_learned": lesson["note"],
            "acted_on": "Yes" if lesson["acted_on"] else "Not yet",
            "what_was_done": lesson["action_taken"],
            "voices_when_written": lesson["figures_when_written"],
            "written_by": lesson["author_name"],
            "role": lesson["role_label"],
            "organisation": lesson["author_organisation"],
            "written_on": on_uk_clocks(lesson["created_at"]).date().isoformat(),
            "last_changed": on_uk_clocks(lesson["updated_at"]).date().isoformat(),
        }
        for lesson in lessons
    ]


# ------------------------------------------------------------------------------ page panels


@dataclass
class LessonsPanel:
    """The lessons section of a place or organiser page, for a signed-in reader."""

    lessons: list[dict[str, Any]]
    total: int
    scope: WriterScope
    may_write: bool
    # The organiser page: why this organiser looks quiet (listening's words), if they do.
    quiet_reason: str = ""


async def place_panel(principal: Principal | None, locality_id: int) -> LessonsPanel | None:
    """None for the public: lessons may name people's situations."""
    if principal is None:
        return None
    scope = await writer_scope(principal)
    return LessonsPanel(
        lessons=await for_place(locality_id),
        total=await count_for(locality_id=locality_id),
        scope=scope,
        may_write=scope.may_write_place(locality_id),
    )


async def organiser_panel(
    principal: Principal | None, organiser: Mapping[str, Any]
) -> LessonsPanel | None:
    if principal is None:
        return None
    scope = await writer_scope(principal)
    place = await place_voices([dict(organiser)])
    quiet = place.organisers[0]["quiet"] if place.organisers else None
    return LessonsPanel(
        lessons=await for_organiser(organiser["id"]),
        total=await count_for(organiser_id=organiser["id"]),
        scope=scope,
        may_write=scope.may_write_organiser(organiser),
        quiet_reason=quiet.reason if quiet else "",
    )
