"""Processing texts behind the webhook: batches of waiting messages, each in the same
transaction as everything it causes (vouches, the reply queued in the outbox, the message
marked processed), so a processor killed at any moment leaves each message either wholly
processed or still waiting, never half done or done twice.

`groundswell sms process` runs `run` (a loop; `--once` drains and stops); the scheduler runs
`process_job` every second. Several processors, and several workers in one, may run on
PostgreSQL (claims skip rows another holds, and a phone's later text waits for its earlier
one); on SQLite one writer runs at a time anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from groundswell.db import write_transaction
from groundswell.settings import Settings
from groundswell.vouching import inbound
from groundswell.vouching.sms import process_texts

log = logging.getLogger("groundswell.vouching.processor")

BATCH = 25
# Concurrent claimers on PostgreSQL (each holds one pooled connection while its batch runs).
WORKERS = 4
IDLE_SECONDS = 0.2  # how long an idle processor waits before looking again
JOB_MAX_BATCHES = 50  # the scheduler's run stops after this many, to run again a second later


async def process_waiting(settings: Settings, *, limit: int = BATCH) -> int:
    """Process one batch of waiting messages; returns how many were processed."""
    if not await inbound.any_waiting():
        # No write transaction (and on SQLite no write lock) just to find nothing.
        return 0
    claimed: list[dict[str, Any]] = []
    try:
        async with write_transaction():
            claimed = await inbound.claim_waiting(limit)
            await process_texts(settings, claimed)
        return len(claimed)
    except Exception:
        if not claimed:
            raise
        log.exception("sms processor: a batch of %d failed; processing it one by one", len(claimed))
    # The batch rolled back whole: each message again in its own transaction, so only the
    # one that fails is set aside (processed, with its error, no reply).
    done = 0
    for _ in claimed:
        row: dict[str, Any] | None = None
        try:
            async with write_transaction():
                rows = await inbound.claim_waiting(1)
                if not rows:
                    break
                row = rows[0]
                await process_texts(settings, [row])
            done += 1
        except Exception as exc:
            if row is None:
                raise
            log.exception("sms processor: message #%s failed", row["id"])
            async with write_transaction():
                await inbound.fail_if_waiting([row["id"]], f"{type(exc).__name__}: {exc}")
    return done


def default_workers(settings: Settings) -> int:
    """Concurrent claimers in one processor: on PostgreSQL a message's processing mostly waits
    on the database, so several batches overlap; SQLite writes one transaction at a time."""
    return 1 if settings.is_sqlite else WORKERS


async def drain(
    settings: Settings,
    *,
    limit: int = BATCH,
    workers: int = 1,
    max_batches: int | None = None,
) -> int:
    """Process batches until none is waiting (or each worker ran `max_batches`); returns how
    many messages were processed."""

    async def one() -> int:
        total, batches = 0, 0
        while max_batches is None or batches < max_batches:
            count = await process_waiting(settings, limit=limit)
            total += count
            batches += 1
            if count == 0:
                break
        return total

    return sum(await asyncio.gather(*(one() for _ in range(workers))))


async def run(
    settings: Settings,
    *,
    limit: int = BATCH,
    workers: int = 1,
    idle_seconds: float = IDLE_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """Process for ever, `workers` batches at a time: a batch is followed at once by the
    next, nothing waiting by a short wait. A failing database is logged and tried again."""
    stopping = stop or asyncio.Event()

    async def one() -> None:
        while not stopping.is_set():
            try:
                count = await process_waiting(settings, limit=limit)
            except Exception:
                log.exception("sms processor: could not process; trying again")
                count = 0
            if count == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=idle_seconds)

    await asyncio.gather(*(one() for _ in range(workers)))


async def process_job(settings: Settings) -> str:
    """The scheduler's job: what is waiting, up to JOB_MAX_BATCHES batches per worker."""
    count = await drain(settings, workers=default_workers(settings), max_batches=JOB_MAX_BATCHES)
    return f"processed {count} texts"
