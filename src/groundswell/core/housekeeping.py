"""Housekeeping: stale rate-limit counters."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger

from groundswell.core.clock import now
from groundswell.core.jobs import JobRegistry
from groundswell.core.tables import RateLimitCounter
from groundswell.settings import Settings


async def purge_stale_counters(settings: Settings) -> str:
    day_ago = int((now() - timedelta(days=1)).timestamp())
    counters = (
        await RateLimitCounter.delete()
        .where(RateLimitCounter.window_epoch < day_ago)
        .returning(RateLimitCounter.id)
    )
    return f"removed {len(counters)} rate-limit counters"


def register(registry: JobRegistry) -> None:
    registry.add(
        "housekeeping",
        purge_stale_counters,
        IntervalTrigger(minutes=15),
        "Remove stale rate-limit counters",
    )
