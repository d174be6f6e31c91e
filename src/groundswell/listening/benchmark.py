"""How an organiser's (or a place's organisers') voices compare with the pool's median organiser.

For each active pool that covers the place (it names the locality, or names none), the figures
are read over that pool's own window (its `window_days`, 180 by default: the voices its round
would read) and compared with the median across the organisers the pool could fund this
period (allocation.inputs.candidates: active, bursary year ended or ending, in its places):

- voices: verified residents whose voice counts now (vouching.queries.counting_condition:
  verified, not withdrawn, hidden or waiting for a moderator), their words given in the window;
  one resident is one voice per organiser (one row per resident and organiser, the latest);
- net score: from the optional 0-10 answers (listening.netscore) of voices that count, always
  over the last DEFAULT_WINDOW_DAYS whatever the pool's window, so that no two figures on a
  page are made of answers that differ by one resident (whose answer the difference would
  show); shown only from `Settings.listening_min_answers` answers; the median is over the
  organisers that reach it;
- share of voices per theme (whole percent); the median is over organisers with any voice.

Nothing here reads or returns who a resident is: only counts per organiser leave the database.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Count

from groundswell.allocation import inputs
from groundswell.allocation.periods import Period, period_containing
from groundswell.core.clock import now
from groundswell.funders.tables import Pool, PoolLocality
from groundswell.listening.netscore import NetScore, half_up, net_score
from groundswell.listening.services import THEME_LABELS
from groundswell.settings import Environment, Settings
from groundswell.vouching.queries import counting_condition
from groundswell.vouching.tables import Endorsement

DEFAULT_WINDOW_DAYS = 180  # the pools' default window; every net score is read over it


@dataclass(frozen=True)
class Figures:
    """One organiser's listening figures over a window: counts only, never who."""

    voices: int
    themes: dict[str, int]  # voices per theme
    net: NetScore | None  # None below the threshold

    @property
    def shares(self) -> dict[str, int | None]:
        """Share of voices per theme, whole percent; None when there are no voices."""
        return {
            theme: (round(100 * self.themes.get(theme, 0) / self.voices) if self.voices else None)
            for theme in THEME_LABELS
        }


@dataclass(frozen=True)
class Median:
    """The median organiser of a pool: each figure the median over the organisers it applies to."""

    organisers: int  # eligible organisers compared
    voices: float | None  # may be a half
    net: int | None  # rounded half away from zero, like each organiser's
    net_organisers: int  # of them, those with enough answers for a net score
    shares: dict[str, int | None]  # whole percent
    theme_organisers: int  # of them, those with any voice


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _whole(value: float | None) -> int | None:
    return None if value is None else half_up(value)


def median_of(figures: Iterable[Figures]) -> Median:
    """The pool's median organiser (pure): voices over all eligible organisers; net score over
    those that reach the threshold; each theme's share over those with any voice."""
    rows = list(figures)
    with_net = [f.net.net for f in rows if f.net is not None]
    heard = [f for f in rows if f.voices]
    return Median(
        organisers=len(rows),
        voices=_median([f.voices for f in rows]),
        net=_whole(_median(with_net)),
        net_organisers=len(with_net),
        shares={
            theme: _whole(_median([f.shares[theme] or 0 for f in heard])) for theme in THEME_LABELS
        },
        theme_organisers=len(heard),
    )


async def figures_for(
    organiser_ids: Sequence[int],
    *,
    as_of: datetime,
    window: timedelta,
    threshold: int,
    answers_window: timedelta = timedelta(days=DEFAULT_WINDOW_DAYS),
) -> dict[int, Figures]:
    """Each organiser's figures, counted in the database (GROUP BY organiser): voices per theme
    for voices that count and were given in (as_of − window, as_of], and answers per 0-10
    value for those given in (as_of − answers_window, as_of]."""
    ids = list(dict.fromkeys(organiser_ids))
    if not ids:
        return {}

    def given_within(span: timedelta) -> Any:
        return (
            counting_condition()
            & Endorsement.organiser.is_in(ids)
            & (Endorsement.updated_at > as_of - span)
            & (Endorsement.updated_at <= as_of)
        )

    condition = given_within(window)
    themes: dict[int, dict[str, int]] = {i: {} for i in ids}
    for row in (
        await Endorsement.select(Endorsement.organiser, Endorsement.theme, Count(alias="voices"))
        .where(condition)
        .group_by(Endorsement.organiser, Endorsement.theme)
    ):
        themes[row["organiser"]][row["theme"]] = int(row["voices"])
    answers: dict[int, list[int]] = {i: [] for i in ids}
    for row in (
        await Endorsement.select(Endorsement.organiser, Endorsement.score, Count(alias="answers"))
        .where(given_within(answers_window) & Endorsement.score.is_not_null())
        .group_by(Endorsement.organiser, Endorsement.score)
    ):
        answers[row["organiser"]].extend([int(row["score"])] * int(row["answers"]))
    return {
        i: Figures(
            voices=sum(themes[i].values()),
            themes=themes[i],
            net=net_score(answers[i], threshold=threshold),
        )
        for i in ids
    }


@dataclass(frozen=True)
class Compared:
    organiser: dict[str, Any]  # id, code, name
    figures: Figures


@dataclass(frozen=True)
class PoolBenchmark:
    pool_id: int
    pool_name: str
    window_days: int
    subjects: list[Compared]  # the organiser(s) on the page, in the page's order
    median: Median


@dataclass
class Benchmark:
    threshold: int
    pools: list[PoolBenchmark] = field(default_factory=list)
    own: Figures | None = None  # a single organiser over the default window (organiser page)
    window_days: int = DEFAULT_WINDOW_DAYS  # of `own`

    @property
    def themes(self) -> list[tuple[str, str]]:
        return list(THEME_LABELS.items())


async def pools_covering(locality_id: int) -> list[dict[str, Any]]:
    """Active pools that fund organisers in this locality: they name it, or name no place."""
    pools = (
        await Pool.select(Pool.id, Pool.name, Pool.cadence, Pool.window_days)
        .where(Pool.is_active == True)  # noqa: E712
        .order_by(Pool.id)
    )
    named = await PoolLocality.select(PoolLocality.pool, PoolLocality.locality)
    places: dict[int, set[int]] = {}
    for row in named:
        places.setdefault(row["pool"], set()).add(row["locality"])
    return [p for p in pools if not places.get(p["id"]) or locality_id in places[p["id"]]]


@dataclass
class _Reused:
    median: Median
    until: float  # time.monotonic() after which it is counted again
    refreshing: asyncio.Task[None] | None = None  # the recount in flight, if any


# Per process: (pool, period start, window days, threshold) → its median organiser. Counting
# it reads every voice of the pool (about a second at a million voices), so a page never waits
# for it while a recent one exists: a median past its time is still shown, up to
# STALE_FACTOR times its time, while one recount runs in the background. Readers may see a
# median a few minutes old; only the first reader of a pool in a worker, or after a quiet
# spell, waits for the count.
_MEDIANS: dict[tuple[int, Any, int, int], _Reused] = {}
STALE_FACTOR = 12

logger = logging.getLogger(__name__)


async def _count_median(
    pool: dict[str, Any], period: Period, *, as_of: datetime, threshold: int
) -> Median:
    eligible = [c.id for c in await inputs.candidates(pool["id"], period)]
    figures = await figures_for(
        eligible,
        as_of=as_of,
        window=timedelta(days=int(pool["window_days"])),
        threshold=threshold,
    )
    return median_of(figures[i] for i in eligible)


async def _recount(
    key: tuple[int, Any, int, int],
    pool: dict[str, Any],
    period: Period,
    *,
    as_of: datetime,
    threshold: int,
    median_seconds: int,
) -> None:
    try:
        median = await _count_median(pool, period, as_of=as_of, threshold=threshold)
    except Exception:
        # The stale median stays; the next reader tries again.
        logger.exception("Recounting the median organiser of pool %s failed", pool["id"])
        if (entry := _MEDIANS.get(key)) is not None:
            entry.refreshing = None
        return
    _MEDIANS[key] = _Reused(median, time.monotonic() + median_seconds)


async def pool_median(
    pool: dict[str, Any], *, as_of: datetime, threshold: int, median_seconds: int = 0
) -> Median:
    """The pool's median organiser now; reused for `median_seconds` (0: always counted)."""
    period = period_containing(as_of.date(), pool["cadence"])
    if median_seconds <= 0:
        return await _count_median(pool, period, as_of=as_of, threshold=threshold)
    key = (int(pool["id"]), period.start, int(pool["window_days"]), threshold)
    clock = time.monotonic()
    reused = _MEDIANS.get(key)
    if reused is not None and reused.until > clock:
        return reused.median
    if reused is not None and clock - reused.until < median_seconds * (STALE_FACTOR - 1):
        if reused.refreshing is None:
            reused.refreshing = asyncio.create_task(
                _recount(
                    key,
                    pool,
                    period,
                    as_of=as_of,
                    threshold=threshold,
                    median_seconds=median_seconds,
                ),
                # Its own context: never the reader's transaction, which ends with the page.
                context=contextvars.Context(),
            )
        return reused.median
    median = await _count_median(pool, period, as_of=as_of, threshold=threshold)
    _MEDIANS[key] = _Reused(median, time.monotonic() + median_seconds)
    return median


async def benchmark(
    locality_id: int,
    organisers: Sequence[dict[str, Any]],
    *,
    threshold: int,
    as_of: datetime | None = None,
    median_seconds: int = 0,
) -> Benchmark:
    """The figures of `organisers` (all in `locality_id`) beside each covering pool's median."""
    moment = as_of or now()
    result = Benchmark(threshold=threshold)
    subject_ids = [o["id"] for o in organisers]
    for pool in await pools_covering(locality_id):
        figures = await figures_for(
            subject_ids,
            as_of=moment,
            window=timedelta(days=int(pool["window_days"])),
            threshold=threshold,
        )
        result.pools.append(
            PoolBenchmark(
                pool_id=pool["id"],
                pool_name=pool["name"],
                window_days=int(pool["window_days"]),
                subjects=[Compared(o, figures[o["id"]]) for o in organisers],
                median=await pool_median(
                    pool, as_of=moment, threshold=threshold, median_seconds=median_seconds
                ),
            )
        )
    return result


async def organiser_benchmark(
    organiser: dict[str, Any],
    *,
    threshold: int,
    as_of: datetime | None = None,
    median_seconds: int = 0,
) -> Benchmark:
    """The organiser page: their own spread and net score over the default window, and their
    figures beside each covering pool's median organiser."""
    moment = as_of or now()
    result = await benchmark(
        organiser["locality_id"],
        [organiser],
        threshold=threshold,
        as_of=moment,
        median_seconds=median_seconds,
    )
    # A pool reading the default window has already counted exactly these figures.
    same_window = [p for p in result.pools if p.window_days == DEFAULT_WINDOW_DAYS]
    if same_window:
        result.own = same_window[0].subjects[0].figures
    else:
        own = await figures_for(
            [organiser["id"]],
            as_of=moment,
            window=timedelta(days=DEFAULT_WINDOW_DAYS),
            threshold=threshold,
        )
        result.own = own[organiser["id"]]
    return result


async def locality_benchmark(
    locality_id: int,
    organisers: Sequence[dict[str, Any]],
    *,
    threshold: int,
    as_of: datetime | None = None,
    median_seconds: int = 0,
) -> Benchmark:
    """The locality page: each organiser here (those who have not left) beside each covering
    pool's median organiser."""
    here = [o for o in organisers if o.get("status") != "left"]
    return await benchmark(
        locality_id, here, threshold=threshold, as_of=as_of, median_seconds=median_seconds
    )


def median_seconds_for(settings: Settings) -> int:
    """How long pages reuse a pool's median: never in tests, which change voices between
    two requests and expect to see it."""
    return 0 if settings.env is Environment.TEST else settings.listening_median_seconds
