"""Scheduled payment jobs; each is safe to run twice, or in two processes at once."""

from __future__ import annotations

import logging

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from groundswell.core.jobs import JobRegistry
from groundswell.payments import findings, payouts
from groundswell.settings import Settings

log = logging.getLogger("groundswell.payments")


async def reconcile_daily(settings: Settings) -> str:
    """Store, log and report (once, to administrators) each difference between the provider
    and the ledger."""
    differences = [d.text for d in await findings.reconcile_and_report(settings)]
    for difference in differences:
        log.error("payments reconcile: %s", difference)
    return f"{len(differences)} difference(s)" if differences else "clean"


def register(registry: JobRegistry) -> None:
    registry.add(
        "payments.pay",
        payouts.pay_approved,
        IntervalTrigger(minutes=5),
        "Transfer approved allocations to their hosts (and retry interrupted ones)",
    )
    registry.add(
        "payments.reconcile",
        reconcile_daily,
        CronTrigger(hour=4, minute=15),
        "Compare the provider's deposits, refunds, transfers and balance with the ledger",
    )
