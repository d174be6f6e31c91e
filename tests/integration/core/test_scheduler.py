"""However many schedulers start, one leads; when it stops, another takes over."""

import asyncio
from collections.abc import Callable

import pytest

from groundswell import scheduler
from groundswell.core.jobs import JobRegistry
from groundswell.scheduler import SchedulerRunner, default_registry
from groundswell.settings import Settings


async def wait_until(condition: Callable[[], bool]) -> None:
    # Polling is what the runners do too; they expose no event to wait on.
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting")


async def test_two_schedulers_started_together_one_leads(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "LEADERSHIP_POLL_SECONDS", 0.1)
    runners = [SchedulerRunner(settings, JobRegistry()), SchedulerRunner(settings, JobRegistry())]
    for runner in runners:
        runner.start()
    try:
        await wait_until(lambda: any(r.is_leader for r in runners))
        await asyncio.sleep(0.5)  # several polls: the other must still be waiting
        assert [r.is_leader for r in runners].count(True) == 1
        leader = next(r for r in runners if r.is_leader)
        follower = next(r for r in runners if not r.is_leader)
        await leader.stop()
        await wait_until(lambda: follower.is_leader)
    finally:
        for runner in runners:
            await runner.stop()


def test_round_jobs_are_registered() -> None:
    jobs = {job.job_id for job in default_registry().jobs}
    assert {"rounds.compute", "rounds.approve"} <= jobs


async def test_job_interval_setting_runs_interval_jobs_that_often_and_leaves_daily_ones(
    settings: Settings,
) -> None:
    import dataclasses

    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    runner = SchedulerRunner(dataclasses.replace(settings, job_interval_seconds=7))
    runner._start_jobs()
    try:
        assert runner._scheduler is not None
        triggers = {job.id: job.trigger for job in runner._scheduler.get_jobs()}
        assert triggers["rounds.compute"].interval.total_seconds() == 7
        assert triggers["payments.pay"].interval.total_seconds() == 7
        assert isinstance(triggers["payments.reconcile"], CronTrigger)
        assert all(
            t.interval.total_seconds() == 7
            for t in triggers.values()
            if isinstance(t, IntervalTrigger)
        )
    finally:
        await runner.stop()
