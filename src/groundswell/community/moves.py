"""Moving an organiser to another host (issue #16), staff only: now, or from a later date
(scheduled, applied on its day by `apply_due_moves`, cancellable until then). Payments follow
the move date: every round computed from then pays the new host, until then the old one.
The same pattern as community/lifecycle.py: plan, re-plan under the organiser's row lock,
write with the audit entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from groundswell import db
from groundswell.community.lifecycle import (
    COLUMNS,
    SUBJECT,
    Plan,
    audit_entries,
    day,
    read_reason,
    staff_only,
    write_change,
)
from groundswell.community.states import MoveStatus, OrganiserStatus
from groundswell.community.tables import HostOrganisation, Organiser, ScheduledMove
from groundswell.core import audit
from groundswell.core.clock import now, today
from groundswell.core.dates import read_date
from groundswell.core.errors import Conflict, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id
from groundswell.core.principal import Principal
from groundswell.db import write_transaction

MOVE_AHEAD_MAX = timedelta(days=366)


async def move_host(
    principal: Principal, code: str, raw: Mapping[str, Any], *, apply: bool = True
) -> Plan:
    """Move the organiser to another host organisation from a date. A move dated today or
    before happens now; a later one is scheduled (at most a year ahead), applied on its day
    by `apply_due_moves` and cancellable until then. Every round computed from the move
    date pays the new host, until then the old one; lines of rounds computed before keep the
    host they were computed for (a line never changes once written)."""
    staff_only(principal, "move an organiser to another host")
    fields = FieldReader(raw)
    host_id = read_row_id(fields, "host_id", what="a host organisation")
    moved_on = read_date(
        fields,
        "moved_on",
        help="Enter the date of the move as YYYY-MM-DD.",
        required=True,
        latest=(today() + MOVE_AHEAD_MAX, "Schedule a move at most a year ahead."),
    )
    reason = read_reason(fields)
    fields.check("The organiser could not be moved.")
    assert host_id is not None and moved_on is not None
    new_host = (
        await HostOrganisation.select(HostOrganisation.id, HostOrganisation.name)
        .where(HostOrganisation.id == host_id)
        .first()
    )
    if new_host is None:
        raise ValidationFailed(
            "The organiser could not be moved.",
            field_errors={"host_id": "Choose a host organisation from the list."},
        )
    ahead = moved_on > today()

    async def plan_for(row: dict[str, Any]) -> Any:
        if row["status"] == OrganiserStatus.LEFT.value:
            raise Conflict(f"{row['name']} has left the role; their record stays as it is.")
        waiting = await scheduled_move(row["id"])
        if waiting is not None:
            if ahead and (waiting["to_host"], waiting["moved_on"]) == (host_id, moved_on):
                return Plan(), {}, "organiser.move", {}  # scheduled already (a double submit)
            raise Conflict(
                f"A move to {waiting['to_host_name']} from {day(waiting['moved_on'])} is "
                "scheduled already: cancel it first."
            )
        if row["host_id"] == host_id:
            return Plan(), {}, "organiser.move", {}
        last = await last_move_date(row["id"])
        if last is not None and moved_on < last:
            raise ValidationFailed(
                "The organiser could not be moved.",
                field_errors={
                    "moved_on": f"The move date is on or after their last move, {day(last)}."
                },
            )
        plan = Plan(
            rows=[
                ("Host organisation", row["host_name"], new_host["name"]),
                ("From", "", day(moved_on) + (" (scheduled)" if ahead else "")),
            ]
        )
        if reason:
            plan.rows.append(("Reason", "", reason))
        detail = {
            "from_host": row["host_id"],
            "from_host_name": row["host_name"],
            "to_host": host_id,
            "to_host_name": new_host["name"],
            "moved_on": moved_on.isoformat(),
            "reason": reason,
        }
        if ahead:
            plan.outcome = "move-scheduled"
            return plan, {}, "organiser.move_scheduled", detail
        return plan, {Organiser.host: host_id}, "organiser.move", detail

    async def schedule(row: dict[str, Any]) -> None:
        await ScheduledMove.insert(
            ScheduledMove(organiser=row["id"], to_host=host_id, moved_on=moved_on, reason=reason)
        )

    return await write_change(principal, code, plan_for, apply, also=schedule if ahead else None)


async def scheduled_move(organiser_id: int) -> dict[str, Any] | None:
    """The organiser's move waiting for its date, if any (one at most)."""
    row: dict[str, Any] | None = (
        await ScheduledMove.select(
            ScheduledMove.id,
            ScheduledMove.to_host,
            ScheduledMove.to_host.name.as_alias("to_host_name"),
            ScheduledMove.moved_on,
            ScheduledMove.reason,
        )
        .where(
            (ScheduledMove.organiser == organiser_id)
            & (ScheduledMove.status == MoveStatus.SCHEDULED.value)
        )
        .first()
    )
    return row


async def cancel_move(
    principal: Principal, code: str, raw: Mapping[str, Any], *, apply: bool = True
) -> Plan:
    """Cancel a scheduled move before its date; the organiser stays with their host."""
    staff_only(principal, "cancel a scheduled move")
    fields = FieldReader(raw)
    reason = read_reason(fields)
    fields.check("The scheduled move could not be cancelled.")

    waiting: dict[str, Any] = {}

    async def plan_for(row: dict[str, Any]) -> Any:
        found = await scheduled_move(row["id"])
        if found is None:
            return Plan(), {}, "organiser.move_cancel", {}  # none waiting (cancelled, applied)
        waiting.update(found)
        plan = Plan(
            rows=[
                (
                    "Scheduled move",
                    f"to {found['to_host_name']} from {day(found['moved_on'])}",
                    "Cancelled",
                ),
                ("Host organisation", row["host_name"], row["host_name"]),
            ]
        )
        if reason:
            plan.rows.append(("Reason", "", reason))
        detail = {
            "to_host_name": found["to_host_name"],
            "moved_on": found["moved_on"].isoformat(),
            "reason": reason,
        }
        return plan, {}, "organiser.move_cancel", detail

    async def cancel(_: dict[str, Any]) -> None:
        await ScheduledMove.update(
            {ScheduledMove.status: MoveStatus.CANCELLED.value, ScheduledMove.decided_at: now()}
        ).where(ScheduledMove.id == waiting["id"])

    return await write_change(principal, code, plan_for, apply, also=cancel)


async def apply_due_moves() -> int:
    """Apply every scheduled move whose date has come: the organiser's host changes, audited
    as the move itself (by the system). Safe to run twice or in two processes: each move is
    re-read under its organiser's lock. An organiser who left first keeps their host (the
    move is cancelled). Returns how many moved."""
    due = await ScheduledMove.select(ScheduledMove.id, ScheduledMove.organiser).where(
        (ScheduledMove.status == MoveStatus.SCHEDULED.value) & (ScheduledMove.moved_on <= today())
    )
    moved = 0
    for item in due:
        async with write_transaction():
            await db.locked(Organiser.select(Organiser.id).where(Organiser.id == item["organiser"]))
            move = (
                await ScheduledMove.select(
                    ScheduledMove.status,
                    ScheduledMove.to_host,
                    ScheduledMove.to_host.name.as_alias("to_host_name"),
                    ScheduledMove.moved_on,
                    ScheduledMove.reason,
                )
                .where(ScheduledMove.id == item["id"])
                .first()
            )
            if move is None or move["status"] != MoveStatus.SCHEDULED.value:
                continue
            row = await Organiser.select(*COLUMNS).where(Organiser.id == item["organiser"]).first()
            assert row is not None
            left = row["status"] == OrganiserStatus.LEFT.value
            status = MoveStatus.CANCELLED if left else MoveStatus.DONE
            await ScheduledMove.update(
                {ScheduledMove.status: status.value, ScheduledMove.decided_at: now()}
            ).where(ScheduledMove.id == item["id"])
            if left:
                await audit.record(
                    None,
                    "organiser.move_cancel",
                    SUBJECT,
                    row["id"],
                    to_host_name=move["to_host_name"],
                    moved_on=move["moved_on"].isoformat(),
                    reason="They left the role before the move date.",
                )
                continue
            await Organiser.update({Organiser.host: move["to_host"]}).where(
                Organiser.id == row["id"]
            )
            await audit.record(
                None,
                "organiser.move",
                SUBJECT,
                row["id"],
                from_host=row["host_id"],
                from_host_name=row["host_name"],
                to_host=move["to_host"],
                to_host_name=move["to_host_name"],
                moved_on=move["moved_on"].isoformat(),
                reason=move["reason"],
                scheduled=True,
            )
            moved += 1
    return moved


async def last_move_date(organiser_id: int) -> date | None:
    rows = await audit_entries(organiser_id, actions=("organiser.move",))
    dates = [date.fromisoformat(r["detail"]["moved_on"]) for r in rows if r["detail"]]
    return max(dates) if dates else None


@dataclass(frozen=True)
class Hosting:
    host: str
    since: date | None  # None: from when they were added
    until: date | None  # None: still hosted there
    scheduled: bool = False  # a move ahead of its date: not their host yet


async def hostings(organiser: Mapping[str, Any], *, scheduled: bool = True) -> list[Hosting]:
    """The hosts the organiser has had, with dates: from their moves; with `scheduled`, also
    a move still ahead (for staff and the organiser's host only: it may yet be cancelled)."""
    moves = await audit_entries(organiser["id"], actions=("organiser.move",))
    result = []
    since: date | None = None
    for move in moves:
        moved_on = date.fromisoformat(move["detail"]["moved_on"])
        result.append(Hosting(move["detail"]["from_host_name"], since, moved_on))
        since = moved_on
    waiting = await scheduled_move(organiser["id"]) if scheduled else None
    if waiting is None:
        result.append(Hosting(organiser["host_name"], since, None))
    else:
        result.append(Hosting(organiser["host_name"], since, waiting["moved_on"]))
        result.append(Hosting(waiting["to_host_name"], waiting["moved_on"], None, scheduled=True))
    return result
