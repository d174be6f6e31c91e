"""Scheduled jobs for rounds; each is safe to run twice, or in two processes at once."""

from __future__ import annotations

import logging

from apscheduler.triggers.interval import IntervalTrigger

from groundswell.allocation import review, rounds
from groundswell.allocation.cancel import remind_paused_rounds
from groundswell.allocation.loop import close_the_loop
from groundswell.community import moves
from groundswell.core.errors import Conflict
from groundswell.core.jobs import JobRegistry
from groundswell.settings import Settings

log = logging.getLogger("groundswell.allocation")


async def compute_due_rounds(settings: Settings) -> str:
    """Compute the current period's round of every active pool that has none yet."""
    computed, existed, waiting, failed = 0, 0, 0, 0
    for pool, period in await rounds.pools_due_a_round():
        try:
            outcome = await rounds.compute_round(
                pool["id"], period=period, public_url=settings.public_url
            )
        except Conflict:
            waiting += 1  # its money went since we looked; it waits for a deposit
            continue
        except Exception:
            # One pool's trouble must not hold up the others' rounds.
            log.exception("computing the %s round of pool %s failed", period, pool["id"])
            failed += 1
            continue
        if outcome.created:
            computed += 1
        else:
            existed += 1
    return (
        f"{computed} computed, {existed} already there, {waiting} waiting for money, "
        f"{failed} failed"
    )


async def approve_rounds(settings: Settings) -> str:
    """Approve every round whose review window has passed and that is not paused."""
    approved, failed = 0, 0
    for round_id in await review.rounds_due_for_approval():
        try:
            if await review.approve_round(round_id):
                approved += 1
        except Exception:
            log.exception("approving round %s failed", round_id)
            failed += 1
    return f"{approved} approved" + (f", {failed} failed" if failed else "")


async def apply_due_moves(settings: Settings) -> str:
    """Organisers' scheduled moves to another host whose date has come."""
    return f"{await moves.apply_due_moves()} moved"


def register(registry: JobRegistry) -> None:
    registry.add(
        "organisers.moves",
        apply_due_moves,
        IntervalTrigger(minutes=10),
        "Apply organisers' scheduled moves to another host on their date",
    )
    registry.add(
        "rounds.compute",
        compute_due_rounds,
        IntervalTrigger(minutes=10),
        "Compute the current period's round of each pool",
    )
    registry.add(
        "rounds.approve",
        approve_rounds,
        IntervalTrigger(minutes=10),
        "Approve rounds whose review window has passed",
    )
    registry.add(
        "rounds.paused_reminder",
        remind_paused_rounds,
        IntervalTrigger(hours=1),
        "Remind funders and administrators of rounds paused too long",
    )
    registry.add(
        "close_the_loop",
        close_the_loop,
        IntervalTrigger(minutes=10),
        "Tell residents who asked to hear back what their voices did",
    )
