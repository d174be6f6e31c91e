"""/api/v1/pools/{id}/rounds: a pool's rounds with their state, and for a paused or
cancelled round who did it, when and why, as the round page shows them. For the pool's
funder and administrators, like the round page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, get
from msgspec import Struct

from groundswell.allocation import review, rounds
from groundswell.allocation.states import RoundStatus, round_status_label
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role
from groundswell.funders.api import _manages_the_pool

# The states whose latest step the API explains: what holds or ended the round.
EXPLAINED = {
    RoundStatus.PAUSED.value: "round.pause",
    RoundStatus.CANCELLED.value: "round.cancel",
}


class StatusChange(Struct):
    what: str  # Paused, Cancelled
    who: str
    at: dt.datetime
    reason: str


class RoundOut(Struct):
    id: int
    period_start: dt.date
    period_end: dt.date
    status: str  # computed (in review), paused, cancelled, approved, paying, paid
    status_label: str
    currency: str
    budget: int  # minor units
    allocated: int  # a cancelled round's went back to the pool, unpaid
    funded: int
    candidates: int
    computed_at: dt.datetime
    review_until: dt.datetime
    paused_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    approved_at: dt.datetime | None
    status_change: StatusChange | None  # paused or cancelled: the step that made it so


async def _status_change(row: dict[str, Any]) -> StatusChange | None:
    action = EXPLAINED.get(row["status"])
    if action is None:
        return None
    steps = [s for s in await review.round_history(row["id"]) if s["action"] == action]
    if not steps:
        return None
    last = steps[-1]
    return StatusChange(what=last["what"], who=last["who"], at=last["at"], reason=last["reason"])


class RoundApi(Controller):
    path = "/api/v1/pools/{pool_id:int}/rounds"
    tags = ("rounds",)

    @get("/", guards=[requires_role(Role.ADMIN, Role.FUNDER), _manages_the_pool])
    async def list_rounds(self, pool_id: RowId) -> list[RoundOut]:
        """The pool's rounds, newest first (the latest 50)."""
        return [
            RoundOut(
                id=row["id"],
                period_start=row["period_start"],
                period_end=row["period_end"],
                status=row["status"],
                status_label=round_status_label(row["status"]),
                currency=row["currency"],
                budget=row["budget"],
                allocated=row["allocated"],
                funded=row["funded"],
                candidates=row["candidates"],
                computed_at=row["computed_at"],
                review_until=row["review_until"],
                paused_at=row["paused_at"],
                cancelled_at=row["cancelled_at"],
                approved_at=row["approved_at"],
                status_change=await _status_change(row),
            )
            for row in await rounds.list_rounds(pool_id=pool_id)
        ]
