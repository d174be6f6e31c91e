"""Voices over time: counting voices per organiser (in a window and the one before), per
calendar month and per theme, for the organiser and place pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from piccolo.querystring import QueryString

from groundswell.db import is_sqlite, placeholders
from groundswell.vouching.queries import counting_condition
from groundswell.vouching.tables import Endorsement


def months_ending(last: date, count: int) -> list[date]:
    """The first days of `count` calendar months, oldest first, ending with `last`'s month."""
    year, month = last.year, last.month
    months = []
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


@dataclass(frozen=True)
class VoiceTrend:
    recent: int  # counting voices in the last `window`
    previous: int  # in the `window` before that
    total: int  # counting voices now, at any date


@dataclass(frozen=True)
class VoiceTally:
    trends: dict[int, VoiceTrend]  # per organiser
    months: list[tuple[date, int]]  # oldest month first
    themes: dict[str, int]


def _month_key() -> str:
    """The UTC calendar month of updated_at as 'YYYY-MM' (SQLite stores UTC text)."""
    if is_sqlite():
        return "substr(endorsement.updated_at, 1, 7)"
    return "to_char(endorsement.updated_at AT TIME ZONE 'UTC', 'YYYY-MM')"


async def voice_tally(
    organiser_ids: list[int], *, as_of: datetime, window: timedelta, months: int = 12
) -> VoiceTally:
    """Counting voices for one organiser or a place's: per organiser in the last window, the
    window before and in all; per calendar month (UTC) of when the words were last given;
    and per theme. Counted in the database (index-only on PostgreSQL: see the "listening
    counts" migration), so a busy place costs a few small rows, not every voice."""
    buckets = dict.fromkeys(months_ending(as_of.date(), months), 0)
    if not organiser_ids:
        return VoiceTally(trends={}, months=list(buckets.items()), themes={})
    middle, start = as_of - window, as_of - 2 * window
    first = min(buckets)
    counting = counting_condition().querystring
    among = QueryString(
        f"endorsement.organiser IN ({placeholders(len(organiser_ids))})", *organiser_ids
    )
    # Only constant SQL is formatted in; every value is a bound parameter.
    per_organiser = await Endorsement.raw(
        "SELECT endorsement.organiser AS organiser, "
        "SUM(CASE WHEN endorsement.updated_at >= {} AND endorsement.updated_at <= {} "
        "THEN 1 ELSE 0 END) AS recent, "
        "SUM(CASE WHEN endorsement.updated_at >= {} AND endorsement.updated_at < {} "
        "THEN 1 ELSE 0 END) AS previous, COUNT(*) AS total "
        "FROM endorsement WHERE {} AND {} GROUP BY endorsement.organiser",
        middle,
        as_of,
        start,
        middle,
        counting,
        among,
    )
    per_month = await Endorsement.raw(
        f"SELECT {_month_key()} AS month, COUNT(*) AS voices FROM endorsement "  # noqa: S608
        "WHERE {} AND {} AND endorsement.updated_at >= {} AND endorsement.updated_at <= {} "
        "GROUP BY 1",
        counting,
        among,
        datetime(first.year, first.month, 1, tzinfo=UTC),
        as_of,
    )
    per_theme = await Endorsement.raw(
        "SELECT endorsement.theme AS theme, COUNT(*) AS voices FROM endorsement "
        "WHERE {} AND {} GROUP BY endorsement.theme",
        counting,
        among,
    )
    trends = {organiser: VoiceTrend(0, 0, 0) for organiser in organiser_ids}
    for row in per_organiser:
        trends[row["organiser"]] = VoiceTrend(
            recent=int(row["recent"] or 0),
            previous=int(row["previous"] or 0),
            total=int(row["total"] or 0),
        )
    for row in per_month:
        year, month = (int(part) for part in str(row["month"]).split("-"))
        key = date(year, month, 1)
        if key in buckets:
            buckets[key] += int(row["voices"])
    return VoiceTally(
        trends=trends,
        months=list(buckets.items()),
        themes={row["theme"]: int(row["voices"]) for row in per_theme},
    )
