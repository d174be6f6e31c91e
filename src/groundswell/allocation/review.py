"""Review: during a round's review window (pool.review_days) the funder may pause and resume
the whole round, never edit a line. A scheduled job approves rounds whose window has passed
and that are not paused; approved lines are what payments transfers."""

from __future__ import annotations

from typing import Any

from groundswell import db
from groundswell.allocation.rounds import can_see_round
from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, NotFound
from groundswell.core.principal import Principal
from groundswell.db import write_transaction


async def _locked_round(round_id: int) -> dict[str, Any]:
    row = await db.locked(
        Round.select(Round.id, Round.status, Round.review_until, Round.pool).where(
            Round.id == round_id
        )
    ).first()
    if row is None:
        raise NotFound(f"There is no round {round_id}.")
    return row


async def _audit(actor: int | None, action: str, round_id: int, **detail: Any) -> None:
    await audit.record(actor, action, "round", round_id, **detail)


async def pause_round(principal: Principal, round_id: int) -> bool:
    """Hold the whole round during its review; False when it was paused already."""
    await can_see_round(principal, round_id)
    async with write_transaction():
        row = await _locked_round(round_id)
        status = RoundStatus(row["status"])
        if status is RoundStatus.PAUSED:
            return False
        if status is not RoundStatus.COMPUTED:
            raise Conflict(
                "This round has been approved and handed to payments; it can no longer be paused."
            )
        await Round.update({Round.status: RoundStatus.PAUSED.value, Round.paused_at: now()}).where(
            Round.id == round_id
        )
        await _audit(principal.user_id, "round.pause", round_id)
    return True


async def resume_round(principal: Principal, round_id: int) -> bool:
    """Put a paused round back in review; False when it was not paused.

    The review deadline stays as it was: a round resumed after it is approved at the
    scheduler's next look.
    """
    await can_see_round(principal, round_id)
    async with write_transaction():
        row = await _locked_round(round_id)
        status = RoundStatus(row["status"])
        if status is RoundStatus.COMPUTED:
            return False
        if status is not RoundStatus.PAUSED:
            raise Conflict("This round has been approved already; there is nothing to resume.")
        await Round.update({Round.status: RoundStatus.COMPUTED.value, Round.paused_at: None}).where(
            Round.id == round_id
        )
        await _audit(principal.user_id, "round.resume", round_id)
    return True


async def approve_round(round_id: int) -> bool:
    """Approve a round whose review window has passed and that is not paused.

    False (and nothing changes) when it is paused, still in review or approved already.
    Its funded lines become `approved`: payments transfers those.
    """
    async with write_transaction():
        row = await _locked_round(round_id)
        if RoundStatus(row["status"]) is not RoundStatus.COMPUTED or row["review_until"] > now():
            return False
        moment = now()
        await Round.update(
            {Round.status: RoundStatus.APPROVED.value, Round.approved_at: moment}
        ).where(Round.id == round_id)
        await Allocation.update(
            {Allocation.state: AllocationState.APPROVED.value, Allocation.updated_at: moment}
        ).where(
            (Allocation.round == round_id) & (Allocation.state == AllocationState.PROPOSED.value)
        )
        await _audit(None, "round.approve", round_id)
    return True


async def rounds_due_for_approval() -> list[int]:
    rows = (
        await Round.select(Round.id)
        .where((Round.status == RoundStatus.COMPUTED.value) & (Round.review_until <= now()))
        .order_by(Round.id)
    )
    return [row["id"] for row in rows]
