"""Lessons and their tags.

A lesson is about a place, and about one organiser there or the place as a whole. Its note
and what was done are stored with phone numbers already taken out (as residents' testimony
is); who wrote it, in which role and for which organisation is kept as it was when written,
so a learning review reads the same whatever happens to memberships later."""

from typing import Any

from piccolo.columns import Boolean, Date, ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from groundswell.community.tables import Locality, Organiser
from groundswell.lessons.states import Tag, Voice

NOTE_MAX = 1000  # characters, as typed: a short note, not a report
ACTION_MAX = 1000


class Lesson(Table, tablename="lesson"):
    id: Serial
    locality = ForeignKey(Locality, null=False, on_delete=OnDelete.restrict, index=True)
    # None: the lesson is about the place as a whole.
    organiser = ForeignKey(
        Organiser, null=True, default=None, on_delete=OnDelete.restrict, index=True
    )
    note = Text(default="")
    voice = Varchar(length=16, choices=Voice, default=Voice.WRITER)
    period_start = Date()
    period_end = Date()
    acted_on = Boolean(default=False)
    action_taken = Text(default="")
    # The place's or organiser's voices when the lesson was written, in words (listening's
    # "quieter" reason), so a review later reads what the writer was looking at.
    figures_when_written = Text(default="")
    author: ForeignKey[Any] = ForeignKey(
        LazyTableReference("User", module_path="groundswell.accounts.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
    )
    author_name = Varchar(length=120, default="")
    author_role = Varchar(length=16, default="")
    author_organisation = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class LessonTag(Table, tablename="lesson_tag"):
    id: Serial
    lesson = ForeignKey(Lesson, null=False, on_delete=OnDelete.cascade, index=True)
    tag = Varchar(length=24, choices=Tag, index=True)


TABLES = [Lesson, LessonTag]
