"""Simulation: the current period's amounts under other settings, from the same voices and
the same budget, beside what the pool's own settings give. Nothing is written."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from groundswell.allocation import inputs
from groundswell.allocation.periods import Period
from groundswell.allocation.policy import PolicySettings, ScoreMethod, allocate
from groundswell.allocation.reports import current_period, policy_settings, settings_json
from groundswell.core.clock import now
from groundswell.core.forms import FieldReader
from groundswell.funders import services as funders


@dataclass(frozen=True)
class SimulationRow:
    organiser: str
    name: str
    current: int
    simulated: int
    endorsers: int
    summary: str

    @property
    def change(self) -> int:
        return self.simulated - self.current


@dataclass(frozen=True)
class Simulation:
    period: Period
    budget: int
    currency: str
    current: dict[str, Any]
    proposed: dict[str, Any]
    rows: list[SimulationRow]
    current_unallocated: int
    simulated_unallocated: int


def read_simulation_input(
    raw: Mapping[str, Any], pool: Mapping[str, Any]
) -> tuple[PolicySettings, int]:
    """The settings to try, defaulting to the pool's own; amounts in pounds."""
    values = {
        "score_method": pool["score_method"],
        "window_days": pool["window_days"],
        "half_life_days": pool["half_life_days"],
        "min_endorsers": pool["min_endorsers"],
        "pairwise_m": pool["pairwise_m"],
        **{k: v for k, v in raw.items() if v not in (None, "")},
    }
    fields = FieldReader(values)
    method = fields.choice("score_method", ScoreMethod, default=ScoreMethod(pool["score_method"]))
    window_days = fields.integer("window_days", minimum=7, maximum=730)
    half_life_days = fields.number("half_life_days", default=90.0, minimum=1.0, maximum=3650.0)
    min_endorsers = fields.integer("min_endorsers", minimum=1, maximum=1000)
    pairwise_m = fields.number("pairwise_m", default=1.0, minimum=0.001, maximum=1000.0)
    budget = pool["round_budget"]
    if "budget" in raw and str(raw["budget"]).strip():
        budget = fields.money("budget")
    floor = pool["floor_amount"]
    if "floor_amount" in raw:
        floor = fields.money("floor_amount", required=False) or 0
    cap = pool["cap_amount"]
    if "cap_amount" in raw:
        cap = fields.money("cap_amount", required=False)
    fields.check("The simulation could not run.")
    assert window_days is not None and min_endorsers is not None and budget is not None
    return (
        PolicySettings(
            score=method,
            window_days=window_days,
            half_life_days=half_life_days,
            min_endorsers=min_endorsers,
            floor=floor,
            cap=cap or None,
            pairwise_m=pairwise_m,
        ),
        budget,
    )


async def simulate(pool_id: int, proposed: PolicySettings, budget: int) -> Simulation:
    """The current period's amounts under the pool's settings and under `proposed`, side by
    side, from the same voices and the same budget. Reads only."""
    pool = await funders.get_pool(pool_id)
    period = current_period(pool)
    current = policy_settings(pool)
    as_of = now()
    candidates = await inputs.candidates(pool_id, period)
    endorsements = await inputs.endorsements(pool_id, period, candidates)
    codes = [c.code for c in candidates]
    before = await asyncio.to_thread(allocate, codes, endorsements, current, as_of, budget)
    after = await asyncio.to_thread(allocate, codes, endorsements, proposed, as_of, budget)
    names = {c.code: c.name for c in candidates}
    rows = [
        SimulationRow(
            organiser=old.organiser,
            name=names.get(old.organiser, ""),
            current=old.amount,
            simulated=new.amount,
            endorsers=new.endorsers,
            summary=str(new.explanation.get("summary", "")),
        )
        for old, new in zip(before.allocations, after.allocations, strict=True)
    ]
    rows.sort(key=lambda r: (-r.simulated, -r.current, r.organiser))
    return Simulation(
        period=period,
        budget=budget,
        currency=pool["currency"],
        current=settings_json(current),
        proposed=settings_json(proposed),
        rows=rows,
        current_unallocated=before.unallocated,
        simulated_unallocated=after.unallocated,
    )
