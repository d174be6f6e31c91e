"""Housekeeping jobs: expired sessions and stale rate-limit counters."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.interval import IntervalTrigger

from groundswell.accounts.tables import UserSession
from groundswell.core.clock import now
from groundswell.core.tables import RateLimitCounter
from groundswell.settings import Settings

if TYPE_CHECKING:
    from groundswell.scheduler import JobRegistry


async def purge_expired(settings: Settings) -> str:
    moment = now()
    idle_cutoff = moment - timedelta(minutes=settings.session_idle_minutes)
    sessions = (
        await UserSession.delete()
        .where((UserSession.expires_at <= moment) | (UserSession.last_seen_at <= idle_cutoff))
        .returning(UserSession.id)
    )
    day_ago = int((moment - timedelta(days=1)).timestamp())
    counters = (
        await RateLimitCounter.delete()
        .where(RateLimitCounter.window_epoch < day_ago)
        .returning(RateLimitCounter.id)
    )
    return f"removed {len(sessions)} sessions, {len(counters)} rate-limit counters"


def register(registry: JobRegistry) -> None:
    registry.add(
        "housekeeping",
        purge_expired,
        IntervalTrigger(minutes=15),
        "Remove expired sessions and counters",
    )
