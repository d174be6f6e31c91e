"""Review: during a round's review window (pool.review_days) the funder may pause and resume
the whole round, never edit a line, and say why each time (the reason is kept in the audit
log and shown on the round page). A scheduled job approves rounds whose window has passed
and that are not paused; approved lines are what payments transfers. A paused round may
also be cancelled (allocation/cancel.py)."""

from __future__ import annotations

from typing import Any

from groundswell import db
from groundswell.accounts.tables import User
from groundswell.allocation.periods import Period
from groundswell.allocation.rounds import can_review_round
from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Conflict, NotFound
from groundswell.core.forms import FieldReader
from groundswell.core.principal import Principal
from groundswell.core.tables import AuditEntry
from groundswell.db import write_transaction

REASON_MAX = 500
# What each audited step of a round reads as on its page.
HISTORY_WORDS = {
    "round.pause": "Paused",
    "round.resume": "Resumed",
    "round.cancel": "Cancelled",
    "round.approve": "Approved",
}


def read_reason(raw: Any, *, title: str = "Say why.") -> str:
    """The reason a person gives for pausing, resuming or cancelling: required, at most
    REASON_MAX characters; a ValidationFailed naming the `reason` field otherwise."""
    form = FieldReader({"reason": raw})
    reason = form.text("reason", max_length=REASON_MAX)
    if "reason" in form.errors and form.errors["reason"] == "This is required.":
        form.errors["reason"] = "Say why, in a few words: it is kept with the round's history."
    form.check(title)
    return reason


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


async def pause_round(principal: Principal, round_id: int, reason: str) -> bool:
    """Hold the whole round during its review; False when it was paused already."""
    await can_review_round(principal, round_id)
    reason = read_reason(reason)
    async with write_transaction():
        row = await _locked_round(round_id)
        status = RoundStatus(row["status"])
        if status is RoundStatus.PAUSED:
            return False
        if status is RoundStatus.CANCELLED:
            raise Conflict("This round was cancelled; there is nothing to pause.")
        if status is not RoundStatus.COMPUTED:
            raise Conflict(
                "This round has been approved and handed to payments; it can no longer be paused."
            )
        await Round.update({Round.status: RoundStatus.PAUSED.value, Round.paused_at: now()}).where(
            Round.id == round_id
        )
        await _audit(principal.user_id, "round.pause", round_id, reason=reason)
    return True


async def resume_round(principal: Principal, round_id: int, reason: str) -> bool:
    """Put a paused round back in review; False when it was not paused.

    The review deadline stays as it was: a round resumed after it is approved at the
    scheduler's next look (the page asks first: `resume_approves_at_once`).
    """
    await can_review_round(principal, round_id)
    reason = read_reason(reason)
    async with write_transaction():
        row = await _locked_round(round_id)
        status = RoundStatus(row["status"])
        if status is RoundStatus.COMPUTED:
            return False
        if status is RoundStatus.CANCELLED:
            raise Conflict("This round was cancelled; it cannot be resumed.")
        if status is not RoundStatus.PAUSED:
            raise Conflict("This round has been approved already; there is nothing to resume.")
        await Round.update({Round.status: RoundStatus.COMPUTED.value, Round.paused_at: None}).where(
            Round.id == round_id
        )
        await _audit(principal.user_id, "round.resume", round_id, reason=reason)
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


def resume_approves_at_once(round_row: dict[str, Any]) -> bool:
    """Resuming this paused round would approve it at the scheduler's next run."""
    return round_row["status"] == RoundStatus.PAUSED.value and round_row["review_until"] <= now()


async def round_history(round_id: int) -> list[dict[str, Any]]:
    """The round's audited steps, oldest first: what, who (None: the system), when, why."""
    entries = (
        await AuditEntry.select(
            AuditEntry.action, AuditEntry.actor, AuditEntry.at, AuditEntry.detail
        )
        .where(
            (AuditEntry.subject_type == "round")
            & (AuditEntry.subject_id == str(round_id))
            & AuditEntry.action.is_in(list(HISTORY_WORDS))
        )
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    actors = {e["actor"] for e in entries if e["actor"] is not None}
    names = {
        row["id"]: row["name"] or row["email"]
        for row in (
            await User.select(User.id, User.name, User.email).where(User.id.is_in(list(actors)))
            if actors
            else []
        )
    }
    return [
        {
            "action": entry["action"],
            "what": HISTORY_WORDS[entry["action"]],
            "who": names.get(entry["actor"], "Groundswell") if entry["actor"] else "Groundswell",
            "at": entry["at"],
            "reason": (entry["detail"] or {}).get("reason", ""),
        }
        for entry in entries
    ]


async def rounds_in_review_for(organiser_ids: list[int]) -> list[dict[str, Any]]:
    """Rounds still in review (or paused) with a line for any of these organisers, soonest
    deadline first: what a moderator's pending decisions bear on before the money is approved."""
    if not organiser_ids:
        return []
    rows = (
        await Round.select(
            Round.id,
            Round.status,
            Round.period_start,
            Round.period_end,
            Round.review_until,
            Round.pool.name.as_alias("pool_name"),
        )
        .where(
            Round.status.is_in([RoundStatus.COMPUTED.value, RoundStatus.PAUSED.value])
            & Round.id.is_in(
                Allocation.select(Allocation.round).where(Allocation.organiser.is_in(organiser_ids))
            )
        )
        .order_by(Round.review_until)
        .order_by(Round.id)
    )
    for row in rows:
        row["period"] = Period(row["period_start"], row["period_end"])
    return rows
