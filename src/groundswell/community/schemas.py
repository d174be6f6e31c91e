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


class OrganiserDetail(Struct):
    code: str
    name: str
    host: str
    locality: str
    status: str
    endorsers: int  # distinct verified, active voices not waiting for moderation


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
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    host_id: Annotated[int, Meta(ge=1)]
    locality_id: Annotated[int, Meta(ge=1)]
    bursary_start: dt.date
    bursary_end: dt.date
    bio: str = ""


class LocalityOut(Struct):
    id: int
    name: str
    ons_ward_code: str
    ons_la_code: str
    local_authority: str
