"""The scheduler: APScheduler driven by one leader among however many processes run it.

Jobs are safe to run twice (the database decides what is due), but only the leader runs
them, so work is not done in parallel for nothing. Leadership is a PostgreSQL session
advisory lock on a dedicated connection, or a file lock beside the SQLite database: either
is released by the operating system when the leading process dies, and a waiting process
takes over within LEADERSHIP_POLL_SECONDS.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import socket
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from groundswell.core.clock import now
from groundswell.core.jobs import JobRegistry, JobSpec, RegistersJobs
from groundswell.core.logs import REQUEST_ID, new_request_id
from groundswell.core.metrics import JOB_RUNS
from groundswell.core.tables import SchedulerStatus
from groundswell.db import sqlite_path
from groundswell.settings import Settings

log = logging.getLogger("groundswell.scheduler")

LEADERSHIP_POLL_SECONDS = 5.0
LEADER_ROW = "leader"
HEARTBEAT_STALE_SECONDS = LEADERSHIP_POLL_SECONDS * 6
ADVISORY_LOCK_KEY = 0x47524F554E44  # "GROUND"


def default_registry() -> JobRegistry:
    """Every package's scheduled jobs; each package adds its own with `register(registry)`."""
    registry = JobRegistry()
    for module in _job_modules():
        module.register(registry)
    return registry


def _job_modules() -> list[RegistersJobs]:
    from groundswell.accounts import jobs as accounts_jobs
    from groundswell.allocation import jobs as allocation_jobs
    from groundswell.core import housekeeping
    from groundswell.outbox import jobs as outbox_jobs
    from groundswell.payments import jobs as payments_jobs
    from groundswell.programme import jobs as programme_jobs
    from groundswell.vouching import jobs as vouching_jobs

    return [
        housekeeping,
        accounts_jobs,
        outbox_jobs,
        vouching_jobs,
        programme_jobs,
        allocation_jobs,
        payments_jobs,
    ]


class Leadership:
    """Held by at most one process per database at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._file: Any = None
        self._connection: Any = None

    async def try_acquire(self) -> bool:
        if self.settings.is_sqlite:
            return self._try_file_lock()
        return await self._try_advisory_lock()

    def _try_file_lock(self) -> bool:
        path = sqlite_path(self.settings.database_url) + ".scheduler.lock"
        handle = open(path, "a+")  # noqa: SIM115 - held open for as long as we lead
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    async def _try_advisory_lock(self) -> bool:
        import asyncpg

        connection = await asyncpg.connect(self.settings.database_url)
        got = await connection.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_KEY)
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        if self._file is not None:
            return True
        if self._connection is None or self._connection.is_closed():
            return False
        try:
            await self._connection.fetchval("SELECT 1")
        except Exception:
            return False
        return True

    async def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


class SchedulerRunner:
    """Waits for leadership, then runs the registered jobs until stopped."""

    def __init__(self, settings: Settings, registry: JobRegistry | None = None) -> None:
        self.settings = settings
        self.registry = registry or default_registry()
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self.leadership = Leadership(settings)
        self.is_leader = False
        self._scheduler: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="groundswell-scheduler")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        await self.leadership.release()
        self.is_leader = False  # stop() may be called again, e.g. by a lifespan after a test

    async def run_forever(self) -> None:
        self.start()
        assert self._task is not None
        await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            if not self.is_leader:
                if await self.leadership.try_acquire():
                    self.is_leader = True
                    log.info("scheduler %s leads", self.identity)
                    self._start_jobs()
            elif not await self.leadership.still_held():
                log.warning("scheduler %s lost leadership", self.identity)
                self.is_leader = False
                if self._scheduler is not None:
                    self._scheduler.shutdown(wait=False)
                    self._scheduler = None
            if self.is_leader:
                await self._heartbeat()
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=LEADERSHIP_POLL_SECONDS)
            except TimeoutError:
                continue

    def _start_jobs(self) -> None:
        scheduler = AsyncIOScheduler(timezone="UTC")
        for spec in self.registry.jobs:
            trigger = spec.trigger
            if self.settings.job_interval_seconds and isinstance(trigger, IntervalTrigger):
                # Fault drills and load tests: every interval job runs this often instead.
                trigger = IntervalTrigger(seconds=self.settings.job_interval_seconds)
            scheduler.add_job(
                self._run_job,
                trigger=trigger,
                args=[spec],
                id=spec.job_id,
                name=spec.description,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=300,
            )
        scheduler.start()
        self._scheduler = scheduler

    async def _heartbeat(self) -> None:
        await _upsert_status(LEADER_ROW, holder=self.identity, last_finished_at=now(), last_ok=True)
        if self._scheduler is not None:
            for job in self._scheduler.get_jobs():
                await _upsert_status(job.id, holder=self.identity, next_run_at=job.next_run_time)

    async def _run_job(self, spec: JobSpec) -> None:
        await _upsert_status(spec.job_id, holder=self.identity, last_started_at=now())
        await run_and_record(spec, self.settings)


async def run_and_record(spec: JobSpec, settings: Settings) -> None:
    """Run one job and record how it went, counting failures in a row (for /health)."""
    # Each run's log lines share an id, as a request's do ("job-<name>-<id>").
    run_id = REQUEST_ID.set(f"job-{spec.job_id}-{new_request_id()[:12]}")
    try:
        await _run_and_record(spec, settings)
    finally:
        REQUEST_ID.reset(run_id)


async def _run_and_record(spec: JobSpec, settings: Settings) -> None:
    try:
        message = await spec.func(settings)
    except Exception as exc:
        log.exception("job %s failed", spec.job_id)
        JOB_RUNS.labels(job=spec.job_id, result="failed").inc()
        row = (
            await SchedulerStatus.select(SchedulerStatus.failures_in_a_row)
            .where(SchedulerStatus.job_id == spec.job_id)
            .first()
        )
        await _upsert_status(
            spec.job_id,
            last_finished_at=now(),
            last_ok=False,
            last_message=f"{type(exc).__name__}: {exc}"[:500],
            failures_in_a_row=(row["failures_in_a_row"] if row else 0) + 1,
        )
        return
    JOB_RUNS.labels(job=spec.job_id, result="ok").inc()
    await _upsert_status(
        spec.job_id,
        last_finished_at=now(),
        last_ok=True,
        last_message=(message or "ok")[:500],
        failures_in_a_row=0,
    )


async def _upsert_status(job_id: str, **values: Any) -> None:
    columns = {getattr(SchedulerStatus, key): value for key, value in values.items()}
    updated = (
        await SchedulerStatus.update(columns)
        .where(SchedulerStatus.job_id == job_id)
        .returning(SchedulerStatus.id)
    )
    if not updated:
        await SchedulerStatus.insert(SchedulerStatus(job_id=job_id, **values))


async def scheduler_state(settings: Settings) -> dict[str, Any]:
    """The scheduler as every process sees it: who leads, when it last beat, each job's last run."""
    rows = await SchedulerStatus.select().order_by(SchedulerStatus.job_id)
    leader = next((row for row in rows if row["job_id"] == LEADER_ROW), None)
    heartbeat = leader["last_finished_at"] if leader else None
    # A leader beats every LEADERSHIP_POLL_SECONDS; a few missed beats mean none leads, in
    # this process or any other (a web worker started with --no-scheduler looks here too).
    alive = heartbeat is not None and (now() - heartbeat).total_seconds() < HEARTBEAT_STALE_SECONDS
    return {
        "leader": leader["holder"] if leader and alive else None,
        "healthy": alive,
        "last_heartbeat": heartbeat.isoformat() if heartbeat else None,
        "jobs": [
            {
                "id": row["job_id"],
                "next_run": row["next_run_at"].isoformat() if row["next_run_at"] else None,
                "last_finished": row["last_finished_at"].isoformat()
                if row["last_finished_at"]
                else None,
                "last_ok": row["last_ok"],
                "last_message": row["last_message"],
                "failures_in_a_row": row["failures_in_a_row"],
            }
            for row in rows
            if row["job_id"] != LEADER_ROW
        ],
    }
