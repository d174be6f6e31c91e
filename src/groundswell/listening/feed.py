"""The /listen feed: published testimony across organisers, filtered, searched and keyset
paginated, read by the query each engine answers best (SQLite FTS5; on PostgreSQL a path
chosen by how many organisers the filters leave and how common the searched words are)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from piccolo.querystring import QueryString

from groundswell.db import is_sqlite, placeholders, raw
from groundswell.vouching.queries import Audience, public_testimony, published_condition


class FeedSort(StrEnum):
    NEWEST = "newest"  # newest words first
    ORGANISER = "organiser"  # by organiser name, then newest first within each organiser


# The keyset each sort pages on, as (python types) for the opaque cursor.
FEED_KEY_SHAPES: dict[FeedSort, tuple[type, ...]] = {
    FeedSort.NEWEST: (datetime, int),
    FeedSort.ORGANISER: (str, int, datetime, int),
}


@dataclass(frozen=True)
class FeedFilters:
    """Which published testimony to list. None means "any" for every field."""

    locality_in: tuple[int, ...] | None = None  # a pool's places; None = any place
    locality_id: int | None = None
    organiser_id: int | None = None
    host_id: int | None = None
    theme: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    search: str | None = None
    # Whose eyes: the public reads only words shared publicly, never with names.
    audience: Audience = Audience.PUBLIC


_PAGE_COLUMNS = (
    "endorsement.id, endorsement.public_ref, endorsement.testimony, endorsement.theme, "
    "endorsement.display_name, endorsement.neighbourhood, endorsement.show_funders, "
    "endorsement.updated_at"
)
_PLACE_COLUMNS = (
    "o.id AS organiser_id, o.code AS organiser_code, o.name AS organiser_name, "
    "loc.id AS locality_id, loc.name AS locality_name, "
    "host.id AS host_id, host.name AS host_name"
)
_NEWEST = "ORDER BY endorsement.updated_at DESC, endorsement.id DESC"
_FEED_ORDER = {
    FeedSort.NEWEST: _NEWEST,
    FeedSort.ORGANISER: "ORDER BY o.name, o.id, endorsement.updated_at DESC, endorsement.id DESC",
}
# One plain query, for any filters, on both engines.
# (Only constant SQL is formatted into these; every value is a bound parameter.)
_FEED_SQL = (
    f"SELECT {_PAGE_COLUMNS}, {_PLACE_COLUMNS} FROM endorsement "  # noqa: S608
    "JOIN organiser o ON o.id = endorsement.organiser "
    "JOIN locality loc ON loc.id = o.locality "
    "JOIN host_organisation host ON host.id = o.host "
    "WHERE {} AND {} %s LIMIT {}"
)
# PostgreSQL, newest first, when the filters leave a modest set of organisers (a place, a
# host, a pool's places): each organiser's newest voices come straight off the
# (organiser, updated_at, id) index, and only those few rows are merged and sorted. Walking
# all voices newest first and skipping other places' would read far more when a place is
# small.
_FEED_PER_ORGANISER_SQL = (
    f"SELECT {_PAGE_COLUMNS}, {_PLACE_COLUMNS} FROM organiser o "  # noqa: S608
    "CROSS JOIN LATERAL ("
    f"SELECT {_PAGE_COLUMNS} FROM endorsement "
    f"WHERE endorsement.organiser = o.id AND {{}} {_NEWEST} LIMIT {{}}"
    ") endorsement "
    "JOIN locality loc ON loc.id = o.locality "
    "JOIN host_organisation host ON host.id = o.host "
    f"WHERE {{}} {_NEWEST} LIMIT {{}}"
)
# PostgreSQL, searching: the newest voices that pass the other filters, then the words.
_RECENT_MATCHES_SQL = (
    f"SELECT {_PAGE_COLUMNS}, {_PLACE_COLUMNS} FROM ("  # noqa: S608
    f"SELECT {_PAGE_COLUMNS}, endorsement.organiser, endorsement.search_vector "
    f"FROM endorsement WHERE {{}} {_NEWEST} LIMIT {{}}"
    ") endorsement "
    "JOIN organiser o ON o.id = endorsement.organiser "
    "JOIN locality loc ON loc.id = o.locality "
    "JOIN host_organisation host ON host.id = o.host "
    f"WHERE {{}} AND {{}} {_NEWEST} LIMIT {{}}"
)
PER_ORGANISER_MAX = 200  # more organisers than this: walking newest first finds a page sooner
SEARCH_WINDOW = 8000  # how many of the newest voices to look through for common words
SEARCH_CANDIDATES_MAX = 5000  # more matches than this: filter on the words instead


@functools.cache
def _published(audience: Audience) -> QueryString:
    """What this audience may read, built once: Piccolo builds the condition anew on every
    call, and the feed asks for it on every page."""
    querystring: QueryString = published_condition(audience).querystring
    return querystring


def _all_of(conditions: list[QueryString]) -> QueryString:
    if not conditions:
        return QueryString("TRUE" if not is_sqlite() else "1")
    return QueryString(" AND ".join(["({})"] * len(conditions)), *conditions)


def _tsquery(search: str) -> QueryString:
    return QueryString(
        "endorsement.search_vector @@ websearch_to_tsquery('english'::regconfig, {})", search
    )


_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def fts5_query(search: str) -> str | None:
    """The resident-safe subset of web search syntax as an FTS5 query.

    Words must all appear ("and"); "quoted words" are a phrase; -word leaves out what has
    it. Every term is quoted, so FTS5's own operators and columns typed by a user are plain
    words. None when nothing searchable is left."""
    wanted: list[str] = []
    unwanted: list[str] = []
    for match in _TERM.finditer(search):
        negated = bool(match.group(1) or match.group(3))
        text = match.group(2) if match.group(2) is not None else match.group(4)
        words = re.findall(r"\w+", text)
        if not words:
            continue
        term = '"' + " ".join(words) + '"'
        (unwanted if negated else wanted).append(term)
    if not wanted:
        return None
    query = " AND ".join(wanted)
    if unwanted:
        query += " NOT " + " NOT ".join(unwanted)
    return query


def _fts5_condition(search: str) -> QueryString | None:
    query = fts5_query(search)
    if query is None:
        return None
    return QueryString(
        "endorsement.id IN (SELECT rowid FROM endorsement_fts WHERE endorsement_fts MATCH {})",
        query,
    )


def _feed_conditions(
    filters: FeedFilters,
) -> tuple[list[QueryString], list[QueryString]] | None:
    """WHERE clauses on the voice and on its organiser (search apart: it is planned by
    engine); None when they can match nothing."""
    voice: list[QueryString] = [_published(filters.audience)]
    organiser: list[QueryString] = []
    if filters.locality_in is not None:
        if not filters.locality_in:
            return None
        organiser.append(
            QueryString(
                f"o.locality IN ({placeholders(len(filters.locality_in))})",
                *filters.locality_in,
            )
        )
    if filters.locality_id is not None:
        organiser.append(QueryString("o.locality = {}", filters.locality_id))
    if filters.host_id is not None:
        organiser.append(QueryString("o.host = {}", filters.host_id))
    if filters.organiser_id is not None:
        voice.append(QueryString("endorsement.organiser = {}", filters.organiser_id))
    if filters.theme is not None:
        voice.append(QueryString("endorsement.theme = {}", filters.theme))
    if filters.since is not None:
        voice.append(QueryString("endorsement.updated_at >= {}", filters.since))
    if filters.until is not None:
        voice.append(QueryString("endorsement.updated_at < {}", filters.until))
    return voice, organiser


def _after(sort: FeedSort, key: tuple[Any, ...]) -> QueryString:
    """Rows strictly after `key` in the sort's order (row-value comparisons use the indexes)."""
    if sort is FeedSort.NEWEST:
        return QueryString("(endorsement.updated_at, endorsement.id) < ({}, {})", *key)
    name, organiser_id, at, last_id = key
    # The first comparison is implied by the rest; it lets the organiser (name, id) index
    # start at the right organiser instead of reading every name before it.
    return QueryString(
        "(o.name, o.id) >= ({}, {}) AND ((o.name, o.id) > ({}, {}) OR "
        "(endorsement.updated_at, endorsement.id) < ({}, {}))",
        name,
        organiser_id,
        name,
        organiser_id,
        at,
        last_id,
    )


def feed_key(sort: FeedSort, row: dict[str, Any]) -> tuple[Any, ...]:
    if sort is FeedSort.NEWEST:
        return (row["at"], row["id"])
    return (row["organiser_name"], row["organiser_id"], row["at"], row["id"])


async def _organiser_ids(organiser: list[QueryString]) -> list[int] | None:
    """The organisers the filters leave, when they are few; None when there are many."""
    rows = await raw(
        "SELECT o.id FROM organiser o WHERE {} LIMIT {}",
        _all_of(organiser),
        PER_ORGANISER_MAX + 1,
    )
    if len(rows) > PER_ORGANISER_MAX:
        return None
    return [row["id"] for row in rows]


async def _plain(
    voice: list[QueryString], organiser: list[QueryString], sort: FeedSort, limit: int
) -> Sequence[Mapping[str, Any]]:
    return await raw(_FEED_SQL % _FEED_ORDER[sort], _all_of(voice), _all_of(organiser), limit + 1)


async def _recent_matches(
    voice: list[QueryString], organiser: list[QueryString], search: str, limit: int
) -> Sequence[Mapping[str, Any]]:
    """Newest first among only the newest SEARCH_WINDOW voices that pass the other filters.

    When this finds more than a page, its first page is exactly the page (nothing newer was
    skipped); when it does not, the words are rare and the GIN index is asked instead."""
    return await raw(
        _RECENT_MATCHES_SQL,
        _all_of(voice),
        SEARCH_WINDOW,
        _tsquery(search),
        _all_of(organiser),
        limit + 1,
    )


async def _search_candidates(search: str, audience: Audience) -> list[int] | None:
    """Every published voice with these words, by the GIN index; None when there are more
    than SEARCH_CANDIDATES_MAX (then the words are common enough to filter on)."""
    rows = await raw(
        "SELECT endorsement.id FROM endorsement WHERE {} AND {} LIMIT {}",
        _tsquery(search),
        _published(audience),
        SEARCH_CANDIDATES_MAX + 1,
    )
    if len(rows) > SEARCH_CANDIDATES_MAX:
        return None
    return [row["id"] for row in rows]


async def _postgres_rows(
    filters: FeedFilters,
    voice: list[QueryString],
    organiser: list[QueryString],
    after: QueryString | None,
    sort: FeedSort,
    limit: int,
) -> Sequence[Mapping[str, Any]]:
    """How to read a page on PostgreSQL. Each path was chosen from EXPLAIN ANALYZE on the
    large demo (README, Benchmarks): the planner alone cannot know how rare a searched word
    is when it has no statistics for it (a typo, a name), and would then walk every voice."""
    search = filters.search
    ids = await _organiser_ids(organiser) if organiser else None
    if ids is not None:
        if not ids:
            return []
        organiser = [QueryString("o.id = ANY({})", ids)]
    keyset = [after] if after is not None else []
    if search and (ids is not None or filters.organiser_id is not None):
        # A few organisers: their voices are few, and the planner ANDs the GIN index's
        # matches with the organisers' index (or simply reads their voices).
        if ids is not None:
            voice = [*voice, QueryString("endorsement.organiser = ANY({})", ids)]
        return await _plain([*voice, _tsquery(search), *keyset], organiser, sort, limit)
    if search:
        newest_keyset = keyset if sort is FeedSort.NEWEST else []
        recent = await _recent_matches([*voice, *newest_keyset], organiser, search, limit)
        if len(recent) > limit:
            if sort is FeedSort.NEWEST:
                return recent
            # Common words: organiser by organiser in name order, checking each voice's
            # words as a filter (ts_match_vq is @@ that the planner will not take to the
            # GIN index, which would fetch every match to sort them).
            words = QueryString(
                "ts_match_vq(endorsement.search_vector, "
                "websearch_to_tsquery('english'::regconfig, {}))",
                search,
            )
            return await _plain([*voice, words, *keyset], organiser, sort, limit)
        candidates = await _search_candidates(search, filters.audience)
        if candidates is not None and not candidates:
            return []
        matches = (
            _tsquery(search)
            if candidates is None
            else QueryString("endorsement.id = ANY({})", candidates)
        )
        return await _plain([*voice, matches, *keyset], organiser, sort, limit)
    if sort is FeedSort.NEWEST and ids is not None:
        # A place, a host or a pool's places: each organiser's newest voices straight off
        # the (organiser, updated_at, id) index, merged.
        return await raw(
            _FEED_PER_ORGANISER_SQL,
            _all_of([*voice, *keyset]),
            limit + 1,
            _all_of(organiser),
            limit + 1,
        )
    return await _plain([*voice, *keyset], organiser, sort, limit)


async def published_feed(
    filters: FeedFilters,
    *,
    sort: FeedSort = FeedSort.NEWEST,
    after: tuple[Any, ...] | None = None,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], tuple[Any, ...] | None]:
    """Published testimony (verified, consented, visible; redacted) for the listening page.

    Keyset-paginated: `after` is the key of the last row already shown, so testimony that
    arrives meanwhile never shifts or repeats what follows. Returns the page and the key to
    continue from (None on the last page)."""
    conditions = _feed_conditions(filters)
    if conditions is None:
        return [], None
    voice, organiser = conditions
    keyset = _after(sort, after) if after is not None else None
    if is_sqlite():
        if filters.search:
            condition = _fts5_condition(filters.search)
            if condition is None:
                return [], None
            voice.append(condition)
        if keyset is not None:
            voice.append(keyset)
        rows = await _plain(voice, organiser, sort, limit)
    else:
        rows = await _postgres_rows(filters, voice, organiser, keyset, sort, limit)
    page = [
        {
            **public_testimony(row, filters.audience),
            "organiser_id": row["organiser_id"],
            "organiser_code": row["organiser_code"],
            "organiser_name": row["organiser_name"],
            "locality_id": row["locality_id"],
            "locality_name": row["locality_name"],
            "host_id": row["host_id"],
            "host_name": row["host_name"],
        }
        for row in rows[:limit]
    ]
    next_key = feed_key(sort, page[-1]) if len(rows) > limit else None
    return page, next_key
