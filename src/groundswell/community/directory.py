"""The organisers list: search by name, code or place, filter by place, page by keyset.

A search that finds nothing is tried once more with small typos corrected (core/fuzzy.py,
in Python over the words of organisers' names, codes and places, so both databases behave
alike), and the page says "Showing results for ..." like any search people know.

Pages are keyed on (name, id), the order they are shown in, so an organiser added or renamed
while someone pages never makes another appear twice or go missing; the (name, id) index
answers each page directly, at 10,000 organisers as at ten. Every choice is in the query
string: a page can be shared and reached again without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from piccolo.columns.combination import WhereRaw

from groundswell.community.services import ORGANISER_PUBLIC_COLUMNS
from groundswell.community.tables import Locality, Organiser
from groundswell.core.cursor import decode_keyset, encode_keyset
from groundswell.core.errors import ValidationFailed
from groundswell.core.fuzzy import Vocabulary, correct
from groundswell.core.search import query_row_id, query_words, search_words
from groundswell.core.text import search_folded

PAGE_SIZE = 25  # a phone screen or two; search and the place filter find the rest
SEARCH_MAX = 100
CURSOR_KIND = "organisers"
KEY_SHAPE: tuple[type, ...] = (str, int)


@dataclass(frozen=True)
class OrganiserQuery:
    q: str = ""
    locality: int | None = None
    after: str = ""  # the page after this key
    before: str = ""  # the page before this key

    def params(self, *, after: str = "", before: str = "") -> list[tuple[str, str]]:
        pairs = [("q", self.q), ("locality", str(self.locality or "")), ("after", after)]
        pairs.append(("before", before))
        return [(name, value) for name, value in pairs if value]

    def url(self, *, after: str = "", before: str = "") -> str:
        pairs = self.params(after=after, before=before)
        return "/organisers" + ("?" + urlencode(pairs) if pairs else "")

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.locality)


@dataclass
class OrganiserPage:
    query: OrganiserQuery
    errors: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0  # organisers matching the search and place, on every page
    next_url: str | None = None
    previous_url: str | None = None
    first_url: str | None = None  # when this is not the first page
    corrected_from: str = ""  # what was typed, when the results are for a corrected search

    @property
    def address(self) -> str:
        """This page's URL as typed: a corrected search keeps what was typed, so the link
        shared shows the same correction (its "next" links carry the corrected words)."""
        typed = replace(self.query, q=self.corrected_from) if self.corrected_from else self.query
        return typed.url(after=typed.after, before=typed.before)


def parse_query(raw: Mapping[str, str | None]) -> tuple[OrganiserQuery, dict[str, str]]:
    errors: dict[str, str] = {}
    q = search_words(raw, errors, max_length=SEARCH_MAX)
    locality = query_row_id(raw, "locality", errors, message="Choose a place from the list.")
    query = OrganiserQuery(
        q=q,
        locality=locality,
        after=query_words(raw.get("after"))[:1000],
        before=query_words(raw.get("before"))[:1000],
    )
    return query, errors


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(query: OrganiserQuery, places: list[tuple[int, str]]) -> list[Any]:
    """Every word in the name, the code or the place's name, whatever its case or accents
    ("sian" finds Siân, "ynys mon" finds Ynys Môn). `places`: (id, folded name) of every
    place, read once per search (hundreds, not thousands)."""
    conditions: list[Any] = []
    if query.locality is not None:
        conditions.append(Organiser.locality == query.locality)
    for word in query.q.split():
        # A row written by a bulk loader without its search name is still found by its
        # name or code in lower case.
        folded, lowered = _like(search_folded(word)), _like(word.lower())
        in_place = [place_id for place_id, name in places if search_folded(word) in name]
        # Ids come from the database as integers, so they are written into the SQL as they
        # are (one parameter each could pass SQLite's limit on a very common word).
        place_sql = (
            " OR organiser.locality IN ({})".format(",".join(str(int(i)) for i in in_place))
            if in_place
            else ""
        )
        conditions.append(
            WhereRaw(
                "(organiser.search_name LIKE {} ESCAPE '\\' "
                "OR LOWER(organiser.name) LIKE {} ESCAPE '\\' "
                "OR LOWER(organiser.code) LIKE {} ESCAPE '\\'" + place_sql + ")",
                folded,
                lowered,
                lowered,
            )
        )
    return conditions


async def _places(query: OrganiserQuery) -> list[tuple[int, str]]:
    if not query.q:
        return []
    rows = await Locality.select(Locality.id, Locality.name)
    return [(int(row["id"]), search_folded(row["name"])) for row in rows]


CANDIDATE_LIMIT = 50_000  # organisers read for a correction: well above any real scheme


async def _vocabulary(query: OrganiserQuery, places: list[tuple[int, str]]) -> Vocabulary:
    """The words a search can be corrected to: organisers' names (within the chosen place,
    if any) and places' names, folded as searches are. A code's name part comes from the
    organiser's name, so names serve codes too. Names repeat, so the distinct ones are read:
    at 10,000 organisers a few thousand short strings."""
    select = Organiser.select(Organiser.name)
    if query.locality is not None:
        select = select.where(Organiser.locality == query.locality)
    vocabulary: list[str] = []
    for name in await select.distinct().limit(CANDIDATE_LIMIT).output(as_list=True):
        vocabulary.extend(search_folded(name).split())
    for place_id, name in places:
        if query.locality is None or place_id == query.locality:
            vocabulary.extend(name.split())
    return Vocabulary.of(vocabulary)


def _where(query: Any, conditions: list[Any]) -> Any:
    for condition in conditions:
        query = query.where(condition)
    return query


def _key(row: Mapping[str, Any]) -> str:
    return encode_keyset(CURSOR_KIND, (row["name"], row["id"])) or ""


async def organiser_page(raw: Mapping[str, str | None]) -> OrganiserPage:
    """One page of organisers in name order for what the query string asks; when a search
    finds no one, the page for the search with its small typos corrected, if that finds any."""
    query, errors = parse_query(raw)
    page = OrganiserPage(query=query, errors=errors)
    if query.locality is not None and not await Locality.exists().where(
        Locality.id == query.locality
    ):
        errors["locality"] = "There is no such place; choose one from the list."
    try:
        after = decode_keyset(query.after, CURSOR_KIND, KEY_SHAPE)
        before = None if after else decode_keyset(query.before, CURSOR_KIND, KEY_SHAPE)
    except ValidationFailed as exc:
        errors["cursor"] = exc.detail
    if errors:
        return page
    places = await _places(query)
    await _fill(page, after, before, places)
    if page.total == 0 and query.q and after is None and before is None:
        # Word by word, so each correction lines up with what was typed (folding "´" gives
        # a space: folding the whole query could change how many words there are).
        words = [search_folded(word) for word in query.q.split()]
        corrected = correct(words, await _vocabulary(query, places))
        if corrected is not None:
            # Shown as typed: "Siobahn" is corrected to "Siobhan", not to "siobhan".
            shown = [
                fixed.capitalize() if typed[:1].isupper() else fixed
                for typed, fixed in zip(query.q.split(), corrected, strict=True)
            ]
            retry = OrganiserPage(query=replace(query, q=" ".join(shown)))
            await _fill(retry, None, None, places)
            if retry.total:
                retry.corrected_from = query.q
                return retry
    return page


async def _fill(
    page: OrganiserPage,
    after: tuple[Any, ...] | None,
    before: tuple[Any, ...] | None,
    places: list[tuple[int, str]],
) -> None:
    query = page.query
    conditions = _conditions(query, places)
    select = Organiser.select(*ORGANISER_PUBLIC_COLUMNS)
    if before is not None:
        rows = (
            await _where(select, conditions)
            .where(_before(before))
            .order_by(Organiser.name, Organiser.id, ascending=False)
            .limit(PAGE_SIZE + 1)
        )
        items = list(reversed(rows[:PAGE_SIZE]))
        more_after = True  # we came back from there
    else:
        if after is not None:
            select = select.where(WhereRaw("(organiser.name, organiser.id) > ({}, {})", *after))
        rows = (
            await _where(select, conditions)
            .order_by(Organiser.name, Organiser.id)
            .limit(PAGE_SIZE + 1)
        )
        items = rows[:PAGE_SIZE]
        more_after = len(rows) > PAGE_SIZE
    page.items = items
    page.total = await _where(Organiser.count(), conditions)
    first_page = replace(query, after="", before="").url()
    if items and (after is not None or before is not None):
        # How many come before this page (up to a page and one): none, a first page (then
        # "previous" is the plain first page), or more (then also a way back to the start).
        earlier = (
            await _where(Organiser.select(Organiser.id), conditions)
            .where(_before((items[0]["name"], items[0]["id"])))
            .order_by(Organiser.name, Organiser.id, ascending=False)
            .limit(PAGE_SIZE + 1)
        )
        if len(earlier) > PAGE_SIZE:
            page.previous_url = query.url(before=_key(items[0]))
            page.first_url = first_page
        elif earlier:
            page.previous_url = first_page
    elif not items and (after is not None or before is not None):
        page.first_url = first_page  # a page link gone stale: nothing here any more
    if items and more_after:
        page.next_url = query.url(after=_key(items[-1]))


def _before(key: tuple[Any, ...]) -> WhereRaw:
    return WhereRaw("(organiser.name, organiser.id) < ({}, {})", *key)
