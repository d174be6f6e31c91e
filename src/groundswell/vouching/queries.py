"""What may be read: published testimony and counts of voices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from piccolo.query.functions.aggregate import Count
from piccolo.querystring import QueryString

from groundswell.db import is_sqlite
from groundswell.vouching.redact import redact
from groundswell.vouching.states import EndorsementState, ModerationStatus, Verification
from groundswell.vouching.tables import Endorsement

VERIFIED = [Verification.SMS_INBOUND.value, Verification.SMS_CODE.value]


def counting_condition() -> Any:
    """Voices that count: verified, active, and not waiting for a moderator."""
    return (
        Endorsement.verification.is_in(VERIFIED)
        & (Endorsement.state == EndorsementState.ACTIVE.value)
        & (Endorsement.moderation != ModerationStatus.FLAGGED.value)
    )


def published_condition() -> Any:
    return counting_condition() & (Endorsement.consent_to_publish == True)  # noqa: E712


async def endorser_count(organiser_id: int) -> int:
    return int(
        await Endorsement.count().where(
            counting_condition() & (Endorsement.organiser == organiser_id)
        )
    )


def public_testimony(row: dict[str, Any]) -> dict[str, Any]:
    """Anonymous by default: first name and neighbourhood only with consent; always redacted."""
    return {
        "id": row["id"],
        "testimony": redact(row["testimony"]),
        "theme": row["theme"],
        "display_name": redact(row["display_name"]),
        "neighbourhood": redact(row["neighbourhood"]),
        "at": row["updated_at"],
    }


async def published_for_organiser(
    organiser_id: int, *, before: tuple[datetime, int] | None = None, limit: int = 20
) -> tuple[list[dict[str, Any]], tuple[datetime, int] | None]:
    """Newest first, keyset-paginated on (updated_at, id) so new testimony never shifts pages."""
    condition = published_condition() & (Endorsement.organiser == organiser_id)
    if before is not None:
        at, last_id = before
        condition &= (Endorsement.updated_at < at) | (
            (Endorsement.updated_at == at) & (Endorsement.id < last_id)
        )
    rows = (
        await Endorsement.select(
            Endorsement.id,
            Endorsement.testimony,
            Endorsement.theme,
            Endorsement.display_name,
            Endorsement.neighbourhood,
            Endorsement.updated_at,
        )
        .where(condition)
        .order_by(Endorsement.updated_at, ascending=False)
        .order_by(Endorsement.id, ascending=False)
        .limit(limit + 1)
    )
    page = [public_testimony(row) for row in rows[:limit]]
    next_key = (rows[limit - 1]["updated_at"], rows[limit - 1]["id"]) if len(rows) > limit else None
    return page, next_key


# ---------------------------------------------------------------- the listening feed


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


_FEED_COLUMNS = (
    "endorsement.id, endorsement.testimony, endorsement.theme, endorsement.display_name, "
    "endorsement.neighbourhood, endorsement.updated_at, "
    "o.id AS organiser_id, o.code AS organiser_code, o.name AS organiser_name, "
    "loc.id AS locality_id, loc.name AS locality_name, "
    "host.id AS host_id, host.name AS host_name"
)
_FEED_FROM = (
    "FROM endorsement "
    "JOIN organiser o ON o.id = endorsement.organiser "
    "JOIN locality loc ON loc.id = o.locality "
    "JOIN host_organisation host ON host.id = o.host"
)
_FEED_ORDER = {
    FeedSort.NEWEST: "ORDER BY endorsement.updated_at DESC, endorsement.id DESC",
    FeedSort.ORGANISER: ("ORDER BY o.name, o.id, endorsement.updated_at DESC, endorsement.id DESC"),
}


def _placeholders(count: int) -> str:
    return ", ".join(["{}"] * count)


def _all_of(conditions: list[QueryString]) -> QueryString:
    return QueryString(" AND ".join(["({})"] * len(conditions)), *conditions)


def search_condition(search: str) -> QueryString | None:
    """Full-text match on the redacted words (see redact.search_text), per engine."""
    if is_sqlite():
        query = fts5_query(search)
        if query is None:
            return None
        return QueryString(
            "endorsement.id IN (SELECT rowid FROM endorsement_fts WHERE endorsement_fts MATCH {})",
            query,
        )
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


def _feed_conditions(filters: FeedFilters) -> list[QueryString] | None:
    """The WHERE clauses for the filters; None when they can match nothing."""
    conditions: list[QueryString] = [published_condition().querystring]
    if filters.locality_in is not None:
        if not filters.locality_in:
            return None
        conditions.append(
            QueryString(
                f"o.locality IN ({_placeholders(len(filters.locality_in))})",
                *filters.locality_in,
            )
        )
    if filters.locality_id is not None:
        conditions.append(QueryString("o.locality = {}", filters.locality_id))
    if filters.organiser_id is not None:
        conditions.append(QueryString("endorsement.organiser = {}", filters.organiser_id))
    if filters.host_id is not None:
        conditions.append(QueryString("o.host = {}", filters.host_id))
    if filters.theme is not None:
        conditions.append(QueryString("endorsement.theme = {}", filters.theme))
    if filters.since is not None:
        conditions.append(QueryString("endorsement.updated_at >= {}", filters.since))
    if filters.until is not None:
        conditions.append(QueryString("endorsement.updated_at < {}", filters.until))
    if filters.search:
        condition = search_condition(filters.search)
        if condition is None:
            return None
        conditions.append(condition)
    return conditions


def _after(sort: FeedSort, key: tuple[Any, ...]) -> QueryString:
    """Rows strictly after `key` in the sort's order (row-value comparisons use the indexes)."""
    if sort is FeedSort.NEWEST:
        return QueryString("(endorsement.updated_at, endorsement.id) < ({}, {})", *key)
    name, organiser_id, at, last_id = key
    return QueryString(
        "((o.name, o.id) > ({}, {}) OR (o.name = {} AND o.id = {} "
        "AND (endorsement.updated_at, endorsement.id) < ({}, {})))",
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
    if after is not None:
        conditions.append(_after(sort, after))
    rows = await Endorsement.raw(
        f"SELECT {_FEED_COLUMNS} {_FEED_FROM} WHERE {{}} {_FEED_ORDER[sort]} LIMIT {{}}",
        _all_of(conditions),
        limit + 1,
    )
    page = [
        {
            **public_testimony(row),
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


# ---------------------------------------------------------------- voices over time


def month_start(moment: date) -> date:
    return date(moment.year, moment.month, 1)


def months_ending(last: date, count: int) -> list[date]:
    """The first days of `count` calendar months, oldest first, ending with `last`'s month."""
    year, month = last.year, last.month
    months = []
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


async def monthly_voices(
    organiser_ids: list[int], *, as_of: datetime, months: int = 12
) -> list[tuple[date, int]]:
    """Counting voices per calendar month (UTC) of when their words were last given, for
    one organiser or a place's organisers, oldest month first."""
    buckets = dict.fromkeys(months_ending(as_of.date(), months), 0)
    if not organiser_ids:
        return list(buckets.items())
    first = min(buckets)
    rows = await Endorsement.select(Endorsement.updated_at).where(
        counting_condition()
        & Endorsement.organiser.is_in(organiser_ids)
        & (Endorsement.updated_at >= datetime(first.year, first.month, 1, tzinfo=UTC))
        & (Endorsement.updated_at <= as_of)
    )
    for row in rows:
        key = month_start(row["updated_at"].astimezone(UTC).date())
        if key in buckets:
            buckets[key] += 1
    return list(buckets.items())


async def theme_counts(organiser_ids: list[int]) -> dict[str, int]:
    """Counting voices per theme, for one organiser or a place's organisers."""
    if not organiser_ids:
        return {}
    rows = (
        await Endorsement.select(Endorsement.theme, Count(Endorsement.id, alias="voices"))
        .where(counting_condition() & Endorsement.organiser.is_in(organiser_ids))
        .group_by(Endorsement.theme)
    )
    return {row["theme"]: int(row["voices"]) for row in rows}


@dataclass(frozen=True)
class VoiceTrend:
    recent: int  # counting voices in the last `window`
    previous: int  # in the `window` before that
    total: int  # counting voices now, at any date


async def voice_trends(
    organiser_ids: list[int], *, as_of: datetime, window: timedelta
) -> dict[int, VoiceTrend]:
    """Per organiser: counting voices in the last window, the window before, and in all."""
    if not organiser_ids:
        return {}
    middle, start = as_of - window, as_of - 2 * window
    # Only "{}" placeholders are formatted into the text; every value is a bound parameter.
    rows = await Endorsement.raw(
        "SELECT endorsement.organiser AS organiser, "  # noqa: S608
        "SUM(CASE WHEN endorsement.updated_at >= {} AND endorsement.updated_at <= {} "
        "THEN 1 ELSE 0 END) AS recent, "
        "SUM(CASE WHEN endorsement.updated_at >= {} AND endorsement.updated_at < {} "
        "THEN 1 ELSE 0 END) AS previous, "
        "COUNT(*) AS total "
        f"FROM endorsement WHERE {{}} AND endorsement.organiser IN "
        f"({_placeholders(len(organiser_ids))}) GROUP BY endorsement.organiser",
        middle,
        as_of,
        start,
        middle,
        counting_condition().querystring,
        *organiser_ids,
    )
    trends = {oid: VoiceTrend(0, 0, 0) for oid in organiser_ids}
    for row in rows:
        trends[row["organiser"]] = VoiceTrend(
            recent=int(row["recent"] or 0),
            previous=int(row["previous"] or 0),
            total=int(row["total"] or 0),
        )
    return trends
