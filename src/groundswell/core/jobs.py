"""The job registry's types: each package's `jobs.register(registry)` adds its scheduled jobs,
and the scheduler (the face) runs whatever was registered. Jobs live with their package; the
registry lives here so that no package has to import the scheduler to describe a job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from apscheduler.triggers.base import BaseTrigger

from groundswell.settings import Settings

Job = Callable[[Settings], Awaitable[str | None]]


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    func: Job
    trigger: BaseTrigger
    description: str


@dataclass
class JobRegistry:
    jobs: list[JobSpec] = field(default_factory=list)

    def add(self, job_id: str, func: Job, trigger: BaseTrigger, description: str) -> None:
        self.jobs.append(JobSpec(job_id, func, trigger, description))


class RegistersJobs(Protocol):
    """A package's jobs module."""

    def register(self, registry: JobRegistry) -> None: ...
