from __future__ import annotations

from apscheduler.triggers.interval import IntervalTrigger

from groundswell.core.jobs import JobRegistry
from groundswell.outbox.services import drain


def register(registry: JobRegistry) -> None:
    registry.add("outbox", drain, IntervalTrigger(seconds=10), "Send queued SMS and e-mail")
