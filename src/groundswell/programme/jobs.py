"""The daily reminders of statutory deadlines (14 and 3 days before each), and forgetting
groups' expired sign-in links and sessions."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from groundswell.core.jobs import JobRegistry
from groundswell.programme.groups import forget_expired
from groundswell.programme.reminders import send_due_reminders
from groundswell.settings import Settings


async def reminders(settings: Settings) -> str:
    return await send_due_reminders(settings)


async def group_sign_ins(settings: Settings) -> str:
    return f"removed {await forget_expired()} expired group sign-in links and sessions"


def register(registry: JobRegistry) -> None:
    # Daily is enough: reminders are dated by day, and a missed day is caught up the next.
    registry.add(
        "programme_reminders",
        reminders,
        CronTrigger(hour=7, minute=0, timezone="UTC"),
        "Remind groups of statutory deadlines",
    )
    registry.add(
        "programme_group_sign_ins",
        group_sign_ins,
        IntervalTrigger(hours=1),
        "Forget groups' expired sign-in links and sessions",
    )
