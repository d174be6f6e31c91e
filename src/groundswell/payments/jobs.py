"""Scheduled payment jobs; each is safe to run twice, or in two processes at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apscheduler.triggers.interval import IntervalTrigger

from groundswell.payments import payouts

if TYPE_CHECKING:
    from groundswell.scheduler import JobRegistry


def register(registry: JobRegistry) -> None:
    registry.add(
        "payments.pay",
        payouts.pay_approved,
        IntervalTrigger(minutes=5),
        "Transfer approved allocations to their hosts (and retry interrupted ones)",
    )
