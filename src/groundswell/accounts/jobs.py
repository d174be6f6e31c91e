"""Expired sessions are removed, so a stolen cookie stops working even if never used again."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger

from groundswell.accounts.tables import UserSession
from groundswell.core.clock import now
from groundswell.core.jobs import JobRegistry
from groundswell.settings import Settings


async def purge_expired_sessions(settings: Settings) -> str:
    moment = now()
    idle_cutoff = moment - timedelta(minutes=settings.session_idle_minutes)
    sessions = (
        await UserSession.delete()
        .where((UserSession.expires_at <= moment) | (UserSession.last_seen_at <= idle_cutoff))
        .returning(UserSession.id)
    )
    return f"removed {len(sessions)} sessions"


def register(registry: JobRegistry) -> None:
    registry.add(
        "sessions",
        purge_expired_sessions,
        IntervalTrigger(minutes=15),
        "Remove expired sessions",
    )
