"""The daily reminders of statutory deadlines (14 and 3 days before each)."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from groundswell.core.jobs import JobRegistry
from groundswell.programme.reminders import send_due_reminders
from groundswell.settings import Settings


async def reminders(settings: Settings) -> str:
    return await send_due_reminders(settings)


def register(registry: JobRegistry) -> None:
    # Daily is enough: reminders are dated by day, and a missed day is caught up the next.
    registry.add(
        "programme_reminders",
        reminders,
        CronTrigger(hour=7, minute=0, timezone="UTC"),
        "Remind groups of statutory deadlines",
    )
