"""The query string of /lessons and /lessons.csv, as typed values with a message per bad one.

Parameters are named for people: locality (a place's id), organiser (a vouching code), tag,
from and to (a lesson counts when the period it is about overlaps them), acted (yes or no)
and page. Every filter lives in the URL, so a learning review's view can be shared."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from groundswell.community.codes import normalise_code
from groundswell.core.dates import filter_day
from groundswell.core.ids import parse_row_id
from groundswell.lessons.states import TAG_LABELS

ACTED_LABELS = {"yes": "Acted on", "no": "Not yet acted on"}
MAX_PAGE = 10_000


@dataclass(frozen=True)
class LessonQuery:
    locality: int | None = None
    organiser: str = ""  # canonical vouching code
    tag: str = ""
    date_from: date | None = None
    date_to: date | None = None
    acted: str = ""
    page: int = 1

    def params(self, *, page: int | None = None) -> list[tuple[str, str]]:
        """Only what differs from the defaults, in one order."""
        number = self.page if page is None else page
        pairs: list[tuple[str, str]] = []
        for name, value in (
            ("locality", self.locality),
            ("organiser", self.organiser),
            ("tag", self.tag),
            ("from", self.date_from.isoformat() if self.date_from else ""),
            ("to", self.date_to.isoformat() if self.date_to else ""),
            ("acted", self.acted),
            ("page", number if number != 1 else ""),
        ):
            if value not in (None, ""):
                pairs.append((name, str(value)))
        return pairs

    def url(self, path: str = "/lessons", *, page: int | None = None) -> str:
        pairs = self.params(page=page)
        return path + ("?" + urlencode(pairs) if pairs else "")

    def url_with(self, **changes: object) -> str:
        """This view with some filters changed, from its first page."""
        return replace(self, page=1, **changes).url()  # type: ignore[arg-type]

    def csv_url(self) -> str:
        return self.url("/lessons.csv", page=1)

    @property
    def is_filtered(self) -> bool:
        return bool(self.params(page=1))


def _clean(value: object) -> str:
    text = "" if value is None else str(value)
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text).strip()


def parse_query(raw: Mapping[str, object]) -> tuple[LessonQuery, dict[str, str]]:
    errors: dict[str, str] = {}
    locality = None
    if locality_raw := _clean(raw.get("locality")):
        locality = parse_row_id(locality_raw)
        if locality is None:
            errors["locality"] = "Choose a place from the list."
    organiser = ""
    if organiser_raw := _clean(raw.get("organiser")):
        organiser = normalise_code(organiser_raw[:40]) or ""
        if not organiser:
            errors["organiser"] = "Enter an organiser's vouching code, like AMINA-7K."
    tag = _clean(raw.get("tag")).lower()
    if tag and tag not in TAG_LABELS:
        errors["tag"] = "Choose a tag from the list."
        tag = ""
    acted = _clean(raw.get("acted")).lower()
    if acted and acted not in ACTED_LABELS:
        errors["acted"] = "Choose acted on or not yet."
        acted = ""
    date_from = filter_day(_clean(raw.get("from")), "from", errors)
    date_to = filter_day(_clean(raw.get("to")), "to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = "The end date is on or after the start date."
    page = 1
    if page_raw := _clean(raw.get("page")):
        number = parse_row_id(page_raw)
        if number is None or number > MAX_PAGE:
            errors["page"] = "There is no such page."
        else:
            page = number
    query = LessonQuery(
        locality=locality,
        organiser=organiser,
        tag=tag,
        date_from=date_from,
        date_to=date_to,
        acted=acted,
        page=page,
    )
    return query, errors
