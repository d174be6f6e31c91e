from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct


class OrganiserOut(Struct):
    code: str
    name: str
    host: str
    locality: str
    status: str


class HostingOut(Struct):
    host: str
    since: dt.date | None  # None: from when they were added
    until: dt.date | None  # None: still hosted there
    scheduled: bool  # a move ahead of its date: not their host yet (cancellable until then)


class OrganiserDetail(Struct):
    code: str
    name: str
    host: str
    locality: str
    status: str  # active, paused (rounds leave them out) or left (the role; final)
    endorsers: int  # distinct verified, active voices not waiting for moderation
    status_since: dt.datetime | None  # when it last changed; None: never
    bursary_start: dt.date
    bursary_end: dt.date
    bio: str
    hosts: list[HostingOut]  # the hosts they have had, oldest first


class ChangeOut(Struct):
    what: str
    before: str
    after: str


class OrganiserChange(Struct):
    applied: bool  # False: nothing needed changing (a repeated request writes nothing)
    changes: list[ChangeOut]
    organiser: OrganiserDetail


class HistoryOut(Struct):
    at: dt.datetime
    who: str
    what: str
    reason: str


class TestimonyOut(Struct):
    ref: str  # random public reference (row ids are sequential and would list every voice)
    testimony: str
    theme: str
    display_name: str
    neighbourhood: str
    at: dt.datetime


class TestimonyPage(Struct):
    items: list[TestimonyOut]
    next_cursor: str | None


class OrganiserIn(Struct, forbid_unknown_fields=True):
    """Programme staff give the bursary dates; a host leaves them out (a year from today)."""

    name: Annotated[str, Meta(min_length=1, max_length=120)]
    host_id: Annotated[int, Meta(ge=1)]
    locality_id: Annotated[int, Meta(ge=1)]
    bursary_start: dt.date | None = None
    bursary_end: dt.date | None = None
    bio: str = ""


class OrganiserPatch(Struct, forbid_unknown_fields=True):
    """Fields left out keep their value. Name and words: staff and the organiser's host;
    place and bursary dates (with a reason): staff only."""

    name: str | None = None
    bio: str | None = None
    locality_id: Annotated[int, Meta(ge=1)] | None = None
    bursary_start: dt.date | None = None
    bursary_end: dt.date | None = None
    reason: str | None = None


class ReasonIn(Struct, forbid_unknown_fields=True):
    reason: str = ""


class DatesIn(Struct, forbid_unknown_fields=True):
    bursary_start: dt.date
    bursary_end: dt.date
    reason: str = ""


class MoveIn(Struct, forbid_unknown_fields=True):
    host_id: Annotated[int, Meta(ge=1)]
    moved_on: dt.date
    reason: str = ""


class LocalityOut(Struct):
    id: int
    name: str
    ons_ward_code: str
    ons_la_code: str
    local_authority: str
