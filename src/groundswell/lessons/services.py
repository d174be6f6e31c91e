"""Writing lessons (checked, audited) and reading them for the place, organiser and lessons
pages and the CSV for learning reviews.

The note and what was done are plain text of limited length; phone numbers are taken out
before they are stored (vouching's redaction, as for residents' testimony) and e-mail
addresses wherever they are shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from piccolo.query.functions.aggregate import Count

from groundswell.community.services import ORGANISER_PUBLIC_COLUMNS
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.core.audit import record
from groundswell.core.clock import now, on_uk_clocks, today
from groundswell.core.dates import read_date
from groundswell.core.errors import Forbidden, NotFound
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id
from groundswell.core.principal import Principal, Role
from groundswell.db import locked, write_transaction
from groundswell.funders.tables import Funder
from groundswell.lessons.filters import LessonQuery
from groundswell.lessons.permissions import WriterScope, writer_scope
from groundswell.lessons.states import TAG_LABELS, VOICE_LABELS, Tag, Voice, tag_label
from groundswell.lessons.tables import ACTION_MAX, NOTE_MAX, Lesson, LessonTag
from groundswell.listening.services import place_voices
from groundswell.listening.trends import WINDOW
from groundswell.vouching.redact import redact, remove_phone_numbers

NOT_SAVED = "The lesson could not be saved."
DATE_HELP = "Enter a date as YYYY-MM-DD, for example 2026-03-31."

# The form's fields, for the error summary and the audit log.
FIELD_LABELS = {
    "locality": "Place",
    "organiser": "About",
    "note": "What you learned",
    "tags": "What it was about",
    "voice": "Whose words",
    "period_start": "The period from",
    "period_end": "The period to",
    "acted_on": "Has anything been done about it?",
    "action_taken": "What was done",
}


# ------------------------------------------------------------------------------ the subject


@dataclass(frozen=True)
class Subject:
    """What a lesson is about: a place, and one organiser there or the place as a whole."""

    locality: dict[str, Any]
    organiser: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        if self.organiser is None:
            return f"{self.locality['name']} (the place as a whole)"
        return f"{self.organiser['name']}, {self.locality['name']}"


async def get_locality(locality_id: int) -> dict[str, Any]:
    row = await Locality.select().where(Locality.id == locality_id).first()
    if row is None:
        raise NotFound("There is no such place.")
    return row


async def organisers_in(locality_id: int) -> list[dict[str, Any]]:
    return await (
        Organiser.select(*ORGANISER_PUBLIC_COLUMNS)
        .where(Organiser.locality == locality_id)
        .order_by(Organiser.name)
    )


async def organiser_by_id(organiser_id: int) -> dict[str, Any] | None:
    return (
        await Organiser.select(*ORGANISER_PUBLIC_COLUMNS)
        .where(Organiser.id == organiser_id)
        .first()
    )


async def choices_for(scope: WriterScope, locality_id: int) -> list[dict[str, Any]]:
    """The organisers in a place this writer may write about, the quieter ones marked (the
    place page's "quieter" list, from listening)."""
    organisers = [row for row in await organisers_in(locality_id) if scope.may_write_organiser(row)]
    place = await place_voices(organisers)
    return place.organisers


async def writable_places(scope: WriterScope) -> list[dict[str, Any]]:
    query = Locality.select(Locality.id, Locality.name, Locality.local_authority).order_by(
        Locality.local_authority, Locality.name
    )
    if not scope.everywhere:
        query = query.where(Locality.id.is_in(list(scope.places) or [-1]))
    return await query


async def figures_for(subject: Subject) -> str:
    """What the voices looked like when the lesson was written, in words (listening's own
    "quieter" reasons), kept with the lesson for a learning review."""
    if subject.organiser is not None:
        place = await place_voices([subject.organiser])
        row = place.organisers[0]
        if row["quiet"] is not None:
            return f"Quieter: {row['quiet'].reason}"
        trend = row["trend"]
        return f"{trend.recent} voices in the last 90 days, {trend.previous} in the 90 days before."
    place = await place_voices(await organisers_in(subject.locality["id"]))
    text = f"{place.recent} voices in the last 90 days, {place.previous} in the 90 days before; "
    active = [row for row in place.organisers if row["status"] == "active"]
    if place.quiet:
        names = ", ".join(row["name"] for row in place.quiet)
        return text + f"{len(place.quiet)} of {len(active)} active organisers quieter ({names})."
    return text + f"none of {len(active)} active organisers quieter."


# ------------------------------------------------------------------------------ the form


@dataclass(frozen=True)
class LessonInput:
    note: str
    tags: tuple[Tag, ...]
    voice: Voice
    period_start: date
    period_end: date
    acted_on: bool
    action_taken: str


def default_values() -> dict[str, Any]:
    """A new lesson's form: the last 90 days (the window the place page counts), not yet
    acted on."""
    return {
        "period_start": (today() - WINDOW).isoformat(),
        "period_end": today().isoformat(),
        "acted_on": "no",
        "voice": Voice.WRITER.value,
        "tags": [],
    }


def _tags(fields: FieldReader) -> tuple[Tag, ...]:
    raw = fields.raw.get("tags")
    values = [] if raw in (None, "") else list(raw) if isinstance(raw, (list, tuple)) else [raw]
    chosen: list[Tag] = []
    for value in values:
        try:
            tag = Tag(str(value))
        except ValueError:
            fields.errors["tags"] = "Choose tags from the list."
            continue
        if tag not in chosen:
            chosen.append(tag)
    if not chosen and "tags" not in fields.errors:
        fields.errors["tags"] = "Choose at least one tag (Other, if none fits)."
    return tuple(sorted(chosen, key=list(Tag).index))


def read_lesson(fields: FieldReader) -> LessonInput | None:
    """The lesson's own fields (not what it is about), with a message at each bad one."""
    note = fields.text("note", max_length=NOTE_MAX)
    tags = _tags(fields)
    voice = fields.choice("voice", Voice, default=Voice.WRITER)
    start = read_date(
        fields,
        "period_start",
        help=DATE_HELP,
        required=True,
        latest=(today(), "The period starts today or earlier: a lesson looks back."),
    )
    end = read_date(fields, "period_end", help=DATE_HELP, required=True)
    if start and end and end < start:
        fields.errors["period_end"] = "The period ends on or after the day it starts."
    acted_raw = str(fields.raw.get("acted_on") or "no").strip().lower()
    if acted_raw not in ("yes", "no"):
        fields.errors["acted_on"] = "Choose yes or not yet."
    acted_on = acted_raw == "yes"
    action = fields.text("action_taken", required=False, max_length=ACTION_MAX)
    if acted_on and not action and "action_taken" not in fields.errors:
        fields.errors["action_taken"] = "Say what was done, in a sentence or two."
    if fields.errors:
        return None
    assert start is not None and end is not None
    return LessonInput(
        # Numbers typed into the note are never kept (as for residents' testimony).
        note=remove_phone_numbers(note),
        tags=tags,
        voice=voice,
        period_start=start,
        period_end=end,
        acted_on=acted_on,
        # What was done belongs to "yes"; with "not yet" the box is not read (GOV.UK's
        # conditional question), so nothing typed there and then hidden is kept.
        action_taken=remove_phone_numbers(action) if acted_on else "",
    )


async def _author(principal: Principal, subject: Subject) -> dict[str, str]:
    """Who wrote it, as a learning review will want to read it later."""
    organisation = ""
    if principal.role is Role.FUNDER:
        funders = (
            await Funder.select(Funder.name)
            .where(Funder.id.is_in(list(principal.funder_ids) or [-1]))
            .order_by(Funder.name)
        )
        organisation = ", ".join(row["name"] for row in funders)
    elif principal.role is Role.HOST:
        host_id = subject.organiser["host_id"] if subject.organiser else None
        if host_id not in principal.host_ids:
            # A lesson about a place: the hosts of this principal working there.
            rows = await Organiser.select(Organiser.host).where(
                (Organiser.locality == subject.locality["id"])
                & Organiser.host.is_in(list(principal.host_ids) or [-1])
            )
            ids = sorted({row["host"] for row in rows}) or sorted(principal.host_ids)
        else:
            ids = [host_id]
        hosts = (
            await HostOrganisation.select(HostOrganisation.name)
            .where(HostOrganisation.id.is_in(ids or [-1]))
            .order_by(HostOrganisation.name)
        )
        organisation = ", ".join(row["name"] for row in hosts)
    return {
        "author_name": principal.name[:120],
        "author_role": principal.role.value,
        "author_organisation": organisation[:200],
    }


async def resolve_subject(fields: FieldReader) -> Subject | None:
    """The place (`locality`) and, optionally, the organiser there (`organiser`) named in the
    form; a message at the field when either is not one."""
    locality_id = read_row_id(fields, "locality", what="a place")
    organiser_id = read_row_id(fields, "organiser", what="an organiser", required=False)
    if locality_id is None:
        return None
    locality = await Locality.select().where(Locality.id == locality_id).first()
    if locality is None:
        fields.errors["locality"] = "Choose a place from the list."
        return None
    organiser = None
    if organiser_id is not None:
        organiser = await organiser_by_id(organiser_id)
        if organiser is None or organiser["locality_id"] != locality_id:
            fields.errors["organiser"] = f"Choose an organiser in {locality['name']} from the list."
            return None
    return Subject(locality=locality, organiser=organiser)


def check_may_write(scope: WriterScope, subject: Subject) -> None:
    if subject.organiser is not None:
        if not scope.may_write_organiser(subject.organiser):
            raise Forbidden(
                "You can record lessons about the organisers you host, or who work in your "
                "pools' places."
            )
    elif not scope.may_write_place(subject.locality["id"]):
        raise Forbidden(
            "You can record lessons about the places your pools listen to, or where your "
            "organisers work."
        )


def _check_voice(fields: FieldReader, scope: WriterScope, subject: Subject) -> None:
    voice = fields.raw.get("voice")
    if voice != Voice.ORGANISER.value:
        return
    if subject.organiser is None:
        fields.errors["voice"] = (
            "An organiser's own words are about one organiser: choose them above."
        )
    elif not scope.may_record_organisers_words(subject.organiser):
        fields.errors["voice"] = "Only the organiser's host records the organiser's own words."


async def create_lesson(principal: Principal, raw: Mapping[str, Any]) -> int:
    """Write a lesson about a place (or one organiser there); returns its id. Refused with
    Forbidden where this principal may not write; a message per field when the form has a
    problem."""
    fields = FieldReader(raw)
    subject = await resolve_subject(fields)
    scope = await writer_scope(principal)
    if subject is not None:
        check_may_write(scope, subject)
    lesson = read_lesson(fields)
    if subject is not None:
        _check_voice(fields, scope, subject)
    fields.check(NOT_SAVED)
    assert subject is not None and lesson is not None
    figures = await figures_for(subject)
    author = await _author(principal, subject)
    moment = now()
    async with write_transaction():
        rows = await Lesson.insert(
            Lesson(
                locality=subject.locality["id"],
                organiser=subject.organiser["id"] if subject.organiser else None,
                note=lesson.note,
                voice=lesson.voice.value,
                period_start=lesson.period_start,
                period_end=lesson.period_end,
                acted_on=lesson.acted_on,
                action_taken=lesson.action_taken,
                figures_when_written=figures,
                author=principal.user_id,
                author_name=author["author_name"],
                author_role=author["author_role"],
                author_organisation=author["author_organisation"],
                created_at=moment,
                updated_at=moment,
            )
        ).returning(Lesson.id)
        lesson_id = int(rows[0]["id"])
        await LessonTag.insert(*[LessonTag(lesson=lesson_id, tag=tag.value) for tag in lesson.tags])
        await record(
            principal,
            "lesson.created",
            "lesson",
            lesson_id,
            locality=subject.locality["id"],
            organiser=subject.organiser["code"] if subject.organiser else None,
            **_audited(lesson),
        )
    return lesson_id


def _audited(lesson: LessonInput) -> dict[str, Any]:
    return {
        "note": lesson.note,
        "tags": [tag.value for tag in lesson.tags],
        "voice": lesson.voice.value,
        "period_start": lesson.period_start.isoformat(),
        "period_end": lesson.period_end.isoformat(),
        "acted_on": lesson.acted_on,
        "action_taken": lesson.action_taken,
    }


async def get_lesson(lesson_id: int) -> dict[str, Any]:
    rows = await _select().where(Lesson.id == lesson_id)
    if not rows:
        raise NotFound("There is no such lesson.")
    return (await _views(rows))[0]


async def subject_of(lesson: Mapping[str, Any]) -> Subject:
    locality = await get_locality(lesson["locality_id"])
    organiser = (
        await organiser_by_id(lesson["organiser_id"])
        if lesson["organiser_id"] is not None
        else None
    )
    return Subject(locality=locality, organiser=organiser)


def check_may_edit(scope: WriterScope, lesson: Mapping[str, Any]) -> None:
    if not scope.may_edit(lesson):
        raise Forbidden("Only the person who wrote a lesson, or programme staff, can change it.")


async def update_lesson(principal: Principal, lesson_id: int, raw: Mapping[str, Any]) -> bool:
    """Change a lesson's note, tags, period, whose words and what was done (what it is about
    stays). Author and programme staff only; every change is audited. False when nothing
    changed."""
    current = await get_lesson(lesson_id)
    scope = await writer_scope(principal)
    check_may_edit(scope, current)
    subject = await subject_of(current)
    fields = FieldReader(raw)
    lesson = read_lesson(fields)
    if fields.raw.get("voice") != current["voice"]:
        _check_voice(fields, scope, subject)
    fields.check(NOT_SAVED)
    assert lesson is not None
    before = _audited(
        LessonInput(
            note=current["stored_note"],
            tags=tuple(Tag(value) for value, _ in current["tags"]),
            voice=Voice(current["voice"]),
            period_start=current["period_start"],
            period_end=current["period_end"],
            acted_on=current["acted_on"],
            action_taken=current["stored_action"],
        )
    )
    after = _audited(lesson)
    changes = {
        name: {"from": before[name], "to": after[name]}
        for name in after
        if before[name] != after[name]
    }
    if not changes:
        return False
    async with write_transaction():
        # The row is locked while it changes, so two people saving at once are applied one
        # after the other (each audited), not interleaved.
        await locked(Lesson.select(Lesson.id).where(Lesson.id == lesson_id))
        await Lesson.update(
            {
                Lesson.note: lesson.note,
                Lesson.voice: lesson.voice.value,
                Lesson.period_start: lesson.period_start,
                Lesson.period_end: lesson.period_end,
                Lesson.acted_on: lesson.acted_on,
                Lesson.action_taken: lesson.action_taken,
                Lesson.updated_at: now(),
            }
        ).where(Lesson.id == lesson_id)
        if "tags" in changes:
            await LessonTag.delete().where(LessonTag.lesson == lesson_id)
            await LessonTag.insert(*[LessonTag(lesson=lesson_id, tag=t.value) for t in lesson.tags])
        await record(principal, "lesson.updated", "lesson", lesson_id, changes=changes)
    return True


def form_values(lesson: Mapping[str, Any]) -> dict[str, Any]:
    """A lesson as its edit form shows it."""
    return {
        "note": lesson["stored_note"],
        "tags": [value for value, _ in lesson["tags"]],
        "voice": lesson["voice"],
        "period_start": lesson["period_start"].isoformat(),
        "period_end": lesson["period_end"].isoformat(),
        "acted_on": "yes" if lesson["acted_on"] else "no",
        "action_taken": lesson["stored_action"],
    }


# ------------------------------------------------------------------------------ reading


def _select() -> Any:
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


async def _views(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
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
    rows = await _where(_select(), conditions).limit(PAGE_SIZE + 1).offset(offset)
    total = await _where(Lesson.count(), conditions)
    matching = _where(Lesson.select(Lesson.id), conditions)
    counts = await (
        LessonTag.select(LessonTag.tag, Count(LessonTag.id, alias="n"))
        .where(LessonTag.lesson.is_in(matching))
        .group_by(LessonTag.tag)
    )
    by_tag = {row["tag"]: row["n"] for row in counts}
    return LessonsPage(
        lessons=await _views(rows[:PAGE_SIZE]),
        total=int(total),
        tag_counts=[
            (value, label, by_tag[value])
            for value, label in TAG_LABELS.items()
            if by_tag.get(value)
        ],
        has_next=len(rows) > PAGE_SIZE,
    )


async def all_lessons(query: LessonQuery) -> list[dict[str, Any]]:
    return await _views(await _where(_select(), _conditions(query)))


async def for_place(locality_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """The place's lessons: about the place as a whole and about organisers there."""
    return await _views(await _select().where(Lesson.locality == locality_id).limit(limit))


async def for_organiser(organiser_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    return await _views(await _select().where(Lesson.organiser == organiser_id).limit(limit))


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
