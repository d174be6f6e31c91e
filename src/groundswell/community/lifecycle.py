"""An organiser's life after they are added (issue #16): details edited, paused and unpaused,
ended (left the role), moved to another host from a date, bursary dates corrected.

Each change is one function: it reads the form, locks the organiser's row, compares with what
is there now, returns early when nothing would change, and writes the change with its audit
entry (core/audit.py) in one transaction. The audit entries are the organiser's history.

Who may do what: programme staff (administrators) everything; a host only the public details
(name and the words about their work) of organisers it hosts. Dates, status, place and host
decide who gets money, so only staff change them.

Each function takes `apply`: False checks the form and says what would change (the "check
your answers" page) without writing; True writes. The same code does both, so what the check
page shows is what is written, unless someone else changed the organiser in between, which
the locked re-read catches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from groundswell import db
from groundswell.community.codes import normalise_code
from groundswell.community.services import ORGANISER_PUBLIC_COLUMNS
from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import Locality, Organiser
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.dates import read_date
from groundswell.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id
from groundswell.core.principal import Principal
from groundswell.core.tables import AuditEntry
from groundswell.db import write_transaction

SUBJECT = "organiser"
REASON_MAX = 500

# Everything the manage page shows and the changes compare: the public columns.
COLUMNS = ORGANISER_PUBLIC_COLUMNS


@dataclass
class Plan:
    """What a change would do: (what, before, after) rows for the check page."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)
    applied: bool = False  # written (False: checked only, or nothing to change)
    outcome: str = ""  # which confirmation to show, when not the action's own (a scheduled move)

    @property
    def changes(self) -> bool:
        return bool(self.rows)


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%-d %B %Y")


async def read_organiser(code: str, *, lock: bool) -> dict[str, Any]:
    canonical = normalise_code(code)
    row = None
    if canonical is not None:
        if lock:
            # The row alone: PostgreSQL cannot lock the outer-joined host and place, and
            # once the lock is held the joined read below is current.
            await db.locked(Organiser.select(Organiser.id).where(Organiser.code == canonical))
        row = await Organiser.select(*COLUMNS).where(Organiser.code == canonical).first()
    if row is None:
        raise NotFound(f"There is no organiser with the code {code[:20]}.")
    return row


async def organiser_for_manager(principal: Principal, code: str) -> dict[str, Any]:
    """The organiser, for someone who may manage them: staff, or a member of their host."""
    row = await read_organiser(code, lock=False)
    if not principal.can_manage_host(row["host_id"]):
        raise Forbidden("You can only manage organisers your own host organisation hosts.")
    return row


def staff_only(principal: Principal, what: str) -> None:
    if not principal.is_admin:
        raise Forbidden(f"Only programme staff {what}.")


def read_reason(fields: FieldReader, name: str = "reason", *, required: bool = False) -> str:
    return fields.text(name, required=required, max_length=REASON_MAX)


async def write_change(
    principal: Principal,
    code: str,
    plan_for: Any,
    apply: bool,
    also: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
) -> Plan:
    """Plan against the organiser as it is now; when `apply`, plan again under the row lock
    (someone may have changed it since) and write. `plan_for(row)` returns the Plan, the
    values to update (none: the organiser's row stays as it is) and the audit action and
    detail; `also(row)` writes anything else in the same transaction."""
    if not apply:
        plan, _, _, _ = await plan_for(await read_organiser(code, lock=False))
        return plan
    async with write_transaction():
        row = await read_organiser(code, lock=True)
        plan, values, action, detail = await plan_for(row)
        if not plan.changes:
            return plan
        if values:
            await Organiser.update(values).where(Organiser.id == row["id"])
        if also is not None:
            await also(row)
        await audit.record(principal, action, SUBJECT, row["id"], **detail)
        plan.applied = True
    return plan


# --------------------------------------------------------------------------------------------
# Public details: staff, and the organiser's own host
# --------------------------------------------------------------------------------------------


async def edit_details(
    principal: Principal, code: str, raw: Mapping[str, Any], *, apply: bool = True
) -> Plan:
    """Name, the words about their work, and (staff only: it decides which pools can fund
    them) their place."""
    fields = FieldReader(raw)
    name = fields.text("name", max_length=120)
    bio = fields.text("bio", required=False, max_length=2000)
    locality_id = None
    if raw.get("locality_id") not in (None, ""):
        locality_id = read_row_id(fields, "locality_id", what="a place")
    fields.check("The organiser's details could not be saved.")
    current = await organiser_for_manager(principal, code)
    if locality_id is not None and locality_id != current["locality_id"]:
        staff_only(principal, "move an organiser to another place")
    locality_name = ""
    if locality_id is not None and locality_id != current["locality_id"]:
        place = await Locality.select(Locality.name).where(Locality.id == locality_id).first()
        if place is None:
            raise ValidationFailed(
                "The organiser's details could not be saved.",
                field_errors={"locality_id": "Choose a place from the list."},
            )
        locality_name = place["name"]

    async def plan_for(row: dict[str, Any]) -> Any:
        # The host is checked again under the lock: a move since the form was read ends a
        # host's right to edit.
        if not principal.can_manage_host(row["host_id"]):
            raise Forbidden("You can only manage organisers your own host organisation hosts.")
        plan = Plan()
        values: dict[Any, Any] = {}
        changed: dict[str, list[str]] = {}
        if name != row["name"]:
            plan.rows.append(("Name", row["name"], name))
            values[Organiser.name] = name
            values[Organiser.search_name] = _search_name(name, row["code"])
            changed["name"] = [row["name"], name]
        if bio != row["bio"]:
            plan.rows.append(("About their work", row["bio"] or "(none)", bio or "(none)"))
            values[Organiser.bio] = bio
            changed["bio"] = [row["bio"], bio]
        if locality_id is not None and locality_id != row["locality_id"]:
            plan.rows.append(("Place", row["locality_name"], locality_name))
            values[Organiser.locality] = locality_id
            changed["place"] = [row["locality_name"], locality_name]
        return plan, values, "organiser.details", {"changes": changed}

    return await write_change(principal, code, plan_for, apply)


def _search_name(name: str, code: str) -> str:
    from groundswell.core.text import search_folded

    return search_folded(f"{name} {code}")


# --------------------------------------------------------------------------------------------
# Status: pause, unpause, end (staff only)
# --------------------------------------------------------------------------------------------

STATUS_ACTIONS = {
    # action: (statuses it may start from, the status it makes, audit action)
    "pause": ({OrganiserStatus.ACTIVE.value}, OrganiserStatus.PAUSED.value, "organiser.pause"),
    "unpause": ({OrganiserStatus.PAUSED.value}, OrganiserStatus.ACTIVE.value, "organiser.unpause"),
    "end": (
        {OrganiserStatus.ACTIVE.value, OrganiserStatus.PAUSED.value},
        OrganiserStatus.LEFT.value,
        "organiser.end",
    ),
}

_STATUS_WORDS = {
    OrganiserStatus.ACTIVE.value: "Active",
    OrganiserStatus.PAUSED.value: "Paused",
    OrganiserStatus.LEFT.value: "Left the role",
}


async def change_status(
    principal: Principal, code: str, action: str, raw: Mapping[str, Any], *, apply: bool = True
) -> Plan:
    """Pause (voices still welcome; rounds leave them out), unpause, or end (they have left
    the role: future rounds leave them out, their history stays). Ending is final: someone
    who comes back is added again, with a new code."""
    staff_only(principal, "pause, unpause or end an organiser")
    if action not in STATUS_ACTIONS:
        raise NotFound(f"There is no organiser action {action[:20]}.")
    starts, makes, audit_action = STATUS_ACTIONS[action]
    fields = FieldReader(raw)
    reason = read_reason(fields)
    fields.check("The organiser could not be changed.")

    async def plan_for(row: dict[str, Any]) -> Any:
        status = row["status"]
        if status == makes:
            return Plan(), {}, audit_action, {}  # done already (a double submit): no change
        if status not in starts:
            if status == OrganiserStatus.LEFT.value:
                raise Conflict(f"{row['name']} has left the role; their record stays as it is.")
            raise Conflict(f"{row['name']} is not paused.")
        plan = Plan(rows=[("Status", _STATUS_WORDS[status], _STATUS_WORDS[makes])])
        if reason:
            plan.rows.append(("Reason", "", reason))
        values = {Organiser.status: makes, Organiser.status_since: now()}
        return plan, values, audit_action, {"from": status, "to": makes, "reason": reason}

    return await write_change(principal, code, plan_for, apply)


# --------------------------------------------------------------------------------------------
# Moving to another host (staff only): payments follow from the move
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Correcting bursary dates (staff only, with a reason)
# --------------------------------------------------------------------------------------------


async def correct_dates(
    principal: Principal, code: str, raw: Mapping[str, Any], *, apply: bool = True
) -> Plan:
    """Correct the bursary year's dates. They decide which rounds can fund the organiser,
    so staff give a reason, kept in the history."""
    staff_only(principal, "correct an organiser's bursary dates")
    fields = FieldReader(raw)
    start = read_date(fields, "bursary_start", help="Enter a date as YYYY-MM-DD.", required=True)
    end = read_date(fields, "bursary_end", help="Enter a date as YYYY-MM-DD.", required=True)
    reason = read_reason(fields, required=True)
    if "reason" in fields.errors and not reason:
        fields.errors["reason"] = "Say why the dates are being corrected."
    if start and end and end <= start:
        fields.errors["bursary_end"] = "The bursary ends after it starts."
    fields.check("The bursary dates could not be corrected.")
    assert start is not None and end is not None

    async def plan_for(row: dict[str, Any]) -> Any:
        plan, values = Plan(), {}
        if start != row["bursary_start"]:
            plan.rows.append(("Bursary year starts", day(row["bursary_start"]), day(start)))
            values[Organiser.bursary_start] = start
        if end != row["bursary_end"]:
            plan.rows.append(("Bursary year ends", day(row["bursary_end"]), day(end)))
            values[Organiser.bursary_end] = end
        if plan.rows:
            plan.rows.append(("Reason", "", reason))
        detail = {
            "bursary_start": [row["bursary_start"].isoformat(), start.isoformat()],
            "bursary_end": [row["bursary_end"].isoformat(), end.isoformat()],
            "reason": reason,
        }
        return plan, values, "organiser.dates", detail

    return await write_change(principal, code, plan_for, apply)


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    what: str
    reason: str


async def audit_entries(organiser_id: int, actions: tuple[str, ...] | None = None) -> list[Any]:
    query = (
        AuditEntry.select(
            AuditEntry.at,
            AuditEntry.action,
            AuditEntry.detail,
            AuditEntry.actor.name.as_alias("actor_name"),
        )
        .where((AuditEntry.subject_type == SUBJECT) & (AuditEntry.subject_id == str(organiser_id)))
        .order_by(AuditEntry.at)
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    if actions is not None:
        query = query.where(AuditEntry.action.is_in(list(actions)))
    return list(await query)


def _describe(action: str, detail: Mapping[str, Any]) -> str:
    if action == "organiser.create":
        return (
            f"Added, hosted by {detail.get('host_name', '')}, bursary year "
            f"{_iso_day(detail.get('bursary_start'))} to {_iso_day(detail.get('bursary_end'))}"
            + (
                " (a year from that day, until programme staff correct it)"
                if detail.get("default_dates")
                else ""
            )
        )
    if action == "organiser.details":
        changes = detail.get("changes", {})
        parts = []
        if "name" in changes:
            parts.append(f"name from {changes['name'][0]} to {changes['name'][1]}")
        if "bio" in changes:
            parts.append("the words about their work")
        if "place" in changes:
            parts.append(f"place from {changes['place'][0]} to {changes['place'][1]}")
        return "Changed " + (", ".join(parts) or "details")
    if action == "organiser.pause":
        return "Paused: left out of funding rounds"
    if action == "organiser.unpause":
        return "Unpaused: back in funding rounds"
    if action == "organiser.end":
        return "Ended: left the organiser role"
    if action == "organiser.move":
        return (
            f"Moved from {detail.get('from_host_name', '')} to {detail.get('to_host_name', '')} "
            f"from {_iso_day(detail.get('moved_on'))}"
        )
    if action == "organiser.move_scheduled":
        return (
            f"Move from {detail.get('from_host_name', '')} to {detail.get('to_host_name', '')} "
            f"scheduled from {_iso_day(detail.get('moved_on'))}"
        )
    if action == "organiser.move_cancel":
        return (
            f"Scheduled move to {detail.get('to_host_name', '')} from "
            f"{_iso_day(detail.get('moved_on'))} cancelled"
        )
    if action == "organiser.dates":
        start, end = detail.get("bursary_start", ["", ""]), detail.get("bursary_end", ["", ""])
        return (
            f"Bursary year corrected from {_iso_day(start[0])} – {_iso_day(end[0])} "
            f"to {_iso_day(start[1])} – {_iso_day(end[1])}"
        )
    if action == "organiser.phone":
        return "Their own phone recorded (so their own voice never counts)"
    return action


def _iso_day(value: Any) -> str:
    try:
        return day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


async def history(organiser_id: int) -> list[HistoryEntry]:
    """Every change to the organiser, oldest first: who (programme staff, the host's member
    by name, or "The system"), when, what and why."""
    return [
        HistoryEntry(
            at=row["at"],
            who=row["actor_name"] or "The system",
            what=_describe(row["action"], row["detail"] or {}),
            reason=str((row["detail"] or {}).get("reason") or ""),
        )
        for row in await audit_entries(organiser_id)
    ]
