"""A round in one shape, whether just computed, a dry run or read back from the database;
and a pool's policy settings, as the policy takes them and as a round records them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from groundswell.allocation.periods import Period, period_containing
from groundswell.allocation.policy import PolicySettings, ScoreMethod
from groundswell.core.clock import today


@dataclass(frozen=True)
class Line:
    organiser: str  # code
    name: str
    amount: int
    endorsers: int
    score: float
    explanation: dict[str, Any]
    state: str | None = None  # None in a dry run


@dataclass(frozen=True)
class RoundReport:
    pool_id: int
    pool_name: str
    funder_id: int
    period: Period
    currency: str
    budget: int
    unallocated: int
    lines: list[Line]
    as_of: datetime
    round_id: int | None = None  # None in a dry run
    status: str | None = None
    review_until: datetime | None = None
    policy: dict[str, Any] = field(default_factory=dict)
    # Organisers left out by their status (paused, left): {"code", "name", "status", "reason"}.
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def allocated(self) -> int:
        return self.budget - self.unallocated

    @property
    def funded(self) -> int:
        return sum(1 for line in self.lines if line.amount > 0)

    def as_json(self) -> dict[str, Any]:
        """The shape `groundswell allocate --json` prints (and scripts rely on)."""
        return {
            "pool": self.pool_id,
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "currency": self.currency,
            "budget": self.budget,
            "unallocated": self.unallocated,
            "allocations": [
                {
                    "organiser": line.organiser,
                    "amount": line.amount,
                    "endorsers": line.endorsers,
                    "score": line.score,
                    "explanation": line.explanation,
                }
                for line in self.lines
            ],
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class Computed:
    report: RoundReport
    created: bool  # False: a dry run, or the period's round existed already (report is it)


def policy_settings(pool: Mapping[str, Any]) -> PolicySettings:
    return PolicySettings(
        score=ScoreMethod(pool["score_method"]),
        window_days=pool["window_days"],
        half_life_days=float(pool["half_life_days"]),
        min_endorsers=pool["min_endorsers"],
        floor=pool["floor_amount"],
        cap=pool["cap_amount"],
        pairwise_m=float(pool["pairwise_m"]),
    )


def settings_json(settings: PolicySettings) -> dict[str, Any]:
    return {
        "score": settings.score.value,
        "window_days": settings.window_days,
        "half_life_days": settings.half_life_days,
        "min_endorsers": settings.min_endorsers,
        "floor": settings.floor,
        "cap": settings.cap,
        "pairwise_m": settings.pairwise_m,
    }


def current_period(pool: Mapping[str, Any]) -> Period:
    return period_containing(today(), pool["cadence"])
