"""Writing lessons: the form checked field by field, created and updated under the writer's
scope, every change audited. The note and what was done are plain text of limited length;
phone numbers are taken out before they are stored (vouching's redaction, as for residents'
testimony)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.core.audit import record
from groundswell.core.clock import now, today
from groundswell.core.dates import read_date
from groundswell.core.errors import Forbidden, NotFound
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id
from groundswell.core.principal import Principal, Role
from groundswell.db import locked, write_transaction
from groundswell.funders.tables import Funder
from groundswell.lessons.permissions import WriterScope, writer_scope
from groundswell.lessons.reading import lesson_views, select_lessons
from groundswell.lessons.states import Tag, Voice
from groundswell.lessons.subjects import Subject, figures_for, get_locality, organiser_by_id
from groundswell.lessons.tables import ACTION_MAX, NOTE_MAX, Lesson, LessonTag
from groundswell.listening.trends import WINDOW
from groundswell.vouching.redact import remove_phone_numbers

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
    rows = await select_lessons().where(Lesson.id == lesson_id)
    if not rows:
        raise NotFound("There is no such lesson.")
    return (await lesson_views(rows))[0]


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
