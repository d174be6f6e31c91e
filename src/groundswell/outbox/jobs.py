from __future__ import annotations

from typing import TYPE_CHECKING

from apscheduler.triggers.interval import IntervalTrigger

from groundswell.outbox.services import drain

if TYPE_CHECKING:
    from groundswell.scheduler import JobRegistry


def register(registry: JobRegistry) -> None:
    registry.add("outbox", drain, IntervalTrigger(seconds=10), "Send queued SMS and e-mail")
