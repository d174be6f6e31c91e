"""Bids of either kind: a Right to Bid case (an asset) or a Right to Challenge case (a
service), recorded, changed, moved from stage to stage and read back with their deadlines.

Everything here is written once over a `BidKind`; what differs between the two kinds is in
`kinds.py` (ASSET_BID and SERVICE_BID). Every change opens a write transaction, locks the
bid's row (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the IMMEDIATE transaction already holds
the write lock), checks the current stage and returns early when the change is already made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from groundswell import db
from groundswell.core import audit
from groundswell.core.clock import now, today
from groundswell.core.errors import Conflict, NotFound, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id
from groundswell.core.principal import Principal
from groundswell.programme.building_voices import give_building_a_code
from groundswell.programme.clocks import ClockDurations
from groundswell.programme.inputs import check_links, present_fields, read_date, read_group
from groundswell.programme.staff import require_staff
from groundswell.programme.tables import AssetBid, ServiceBid
from groundswell.settings import Settings

_Reader = Callable[[FieldReader, set[str], dict[str, Any], bool], None]


@dataclass(frozen=True)
class BidKind:
    """What differs between a Right to Bid case (an asset) and a Right to Challenge case (a
    service). Reading, checking, storing, moving and showing a bid are written once, over this;
    the two kinds are ASSET_BID and SERVICE_BID in `kinds.py`."""

    key: str  # "asset" or "service": in URLs, reminders and a grant's link to its bid
    noun: str  # in messages: "There is no asset bid 7."
    right: str  # the law it is a case of: "Right to Bid", "Right to Challenge"
    table: type[AssetBid] | type[ServiceBid]
    name_field: str
    fields: tuple[str, ...]  # every input field
    date_fields: tuple[str, ...]
    read_details: _Reader  # the fields between the name and the authority
    read_facts: _Reader  # the fields after the dates (`minor_units`: amounts in pence)
    check_facts: Callable[[Mapping[str, Any], ClockDurations, dict[str, str]], None]
    horizon_days: int  # a date further ahead than this is refused as a typo
    horizon_message: str
    stages: Any  # the stage enum
    transitions: Mapping[Any, frozenset[Any]]
    manual_stages: tuple[Any, ...]  # reached only by an explicit transition
    stage_after: Callable[[Any, Mapping[str, Any]], Any]  # the stage the recorded facts imply
    stage_needs: Callable[[Any], tuple[str, ...]]  # facts a stage needs kept recorded
    needs: str  # what such a fact is called in the message
    transition_needs: Callable[[Any], tuple[str, ...]]  # dates checked before a transition
    moved_by: str  # the audit's word for a stage an edit moved
    add_deadlines: Callable[[dict[str, Any], Any, ClockDurations], None]  # and live_deadlines

    @property
    def subject(self) -> str:
        return f"{self.key}_bid"


def durations_from(settings: Settings) -> ClockDurations:
    """The statutory periods in force: settings, with the law's defaults."""
    return ClockDurations(
        nomination_decision_weeks=settings.nomination_decision_weeks,
        listing_years=settings.listing_years,
        interim_moratorium_weeks=settings.interim_moratorium_weeks,
        full_moratorium_months=settings.full_moratorium_months,
        protected_period_months=settings.protected_period_months,
    )


def _read_bid_values(
    kind: BidKind, raw: Mapping[str, Any], *, partial: bool, minor_units: bool
) -> tuple[dict[str, Any], FieldReader]:
    """The input, field by field in the form's order (the order errors are listed in)."""
    fields = FieldReader(raw)
    present = present_fields(raw, kind.fields, partial=partial)
    values: dict[str, Any] = {}
    if kind.name_field in present:
        values[kind.name_field] = fields.text(kind.name_field, max_length=200)
    kind.read_details(fields, present, values, minor_units)
    if "local_authority" in present:
        values["local_authority"] = fields.text("local_authority", max_length=120)
    if "locality_id" in present:
        values["locality"] = read_row_id(fields, "locality_id", what="a place", required=False)
    read_group(fields, present, values)
    for name in kind.date_fields:
        if name in present:
            values[name] = read_date(fields, name)
    kind.read_facts(fields, present, values, minor_units)
    if "notes" in present:
        values["notes"] = fields.text("notes", required=False, max_length=4000)
    return values, fields


def _check_bid_row(
    kind: BidKind, row: Mapping[str, Any], durations: ClockDurations, errors: dict[str, str]
) -> None:
    """Cross-field checks on the bid as it would be stored (after a partial update too)."""
    kind.check_facts(row, durations, errors)
    for name in kind.date_fields:
        if row.get(name) is not None and row[name] > today() + timedelta(days=kind.horizon_days):
            errors.setdefault(name, kind.horizon_message)
    if not row.get("group_name"):
        errors.setdefault("nominating_group", "Name the group, or choose a host organisation.")


async def create_bid(
    kind: BidKind,
    principal: Principal,
    raw: Mapping[str, Any],
    *,
    durations: ClockDurations,
    minor_units: bool,
) -> int:
    """Record a bid; its stage follows from the facts given. `minor_units`: amounts in pence."""
    require_staff(principal)
    values, fields = _read_bid_values(kind, raw, partial=False, minor_units=minor_units)
    await check_links(values, fields.errors)
    _check_bid_row(kind, values, durations, fields.errors)
    fields.check(f"The {kind.noun} could not be saved.")
    values["stage"] = kind.stage_after(kind.stages.PREPARING, values).value
    async with db.write_transaction():
        table: Any = kind.table  # mypy cannot pair a union's insert() with its own row type
        rows = await table.insert(table(**values)).returning(table.id)
        bid_id = int(rows[0]["id"])
        if kind.table is AssetBid:
            # Residents vouch for the building with this code from the start.
            await give_building_a_code(bid_id, str(values["asset_name"]))
        await audit.record(
            principal,
            f"programme.{kind.subject}.created",
            kind.subject,
            bid_id,
            stage=values["stage"],
        )
    return bid_id


async def _locked_bid(kind: BidKind, bid_id: int) -> dict[str, Any]:
    """The bid's row, locked until the transaction ends; call inside `db.write_transaction()`."""
    table: Any = kind.table
    row: dict[str, Any] | None = await db.locked(table.select().where(table.id == bid_id)).first()
    if row is None:
        raise NotFound(f"There is no {kind.noun} {bid_id}.")
    return row


async def update_bid(
    kind: BidKind,
    principal: Principal,
    bid_id: int,
    raw: Mapping[str, Any],
    *,
    durations: ClockDurations,
    minor_units: bool,
    partial: bool,
) -> bool:
    """Change what is recorded about a bid; facts move its stage. False if nothing changed."""
    require_staff(principal)
    values, fields = _read_bid_values(kind, raw, partial=partial, minor_units=minor_units)
    fields.check(f"The {kind.noun} could not be saved.")
    return await change_bid(kind, principal, bid_id, values, durations=durations)


async def change_bid(
    kind: BidKind,
    actor: Principal | None,
    bid_id: int,
    values: dict[str, Any],
    *,
    durations: ClockDurations,
    check: Callable[[dict[str, Any]], None] | None = None,
) -> bool:
    """Store checked `values` on the locked bid and move its stage as the facts say; False if
    nothing changed. `actor` is staff, or None for the bid's own group (who signs in by an
    e-mailed link, not as a user); `check` sees the locked row first and may refuse."""
    async with db.write_transaction():
        current = await _locked_bid(kind, bid_id)
        if check is not None:
            check(current)
        errors: dict[str, str] = {}
        await check_links(values, errors)  # may fill in the group's name from its host
        merged = {**current, **values}
        _check_bid_row(kind, merged, durations, errors)
        stage = kind.stages(current["stage"])
        for name in kind.stage_needs(stage):
            if not merged.get(name):
                errors.setdefault(
                    name, f"This bid is at the stage “{stage.label}”, which needs {kind.needs}."
                )
        if errors:
            raise ValidationFailed(f"The {kind.noun} could not be saved.", field_errors=errors)
        new_stage = kind.stage_after(stage, merged)
        changes = {key: value for key, value in values.items() if current.get(key) != value}
        if new_stage is not stage:
            changes["stage"] = new_stage.value
        if not changes:
            return False
        changes["updated_at"] = now()
        await kind.table.update({getattr(kind.table, k): v for k, v in changes.items()}).where(
            kind.table.id == bid_id
        )
        if new_stage is not stage:
            await _record_move(actor, kind, bid_id, stage, new_stage, by=kind.moved_by)
    return True


async def transition_bid(
    kind: BidKind, principal: Principal, bid_id: int, to: str, *, note: str = ""
) -> bool:
    """Move a bid to a stage reached by decision (a bid submitted, purchased, won, withdrawn).

    Returns False when the bid is already there (a repeated click changes nothing).
    """
    require_staff(principal)
    target = _parse_stage(to, kind.stages, kind.manual_stages)
    note = note.strip()[:2000]
    async with db.write_transaction():
        current = await _locked_bid(kind, bid_id)
        stage = kind.stages(current["stage"])
        if stage is target:
            return False
        if target not in kind.transitions[stage]:
            raise Conflict(
                f"A bid at the stage “{stage.label}” cannot move to “{target.label}”."
                + (" It has ended." if not kind.transitions[stage] else "")
            )
        missing = [name for name in kind.transition_needs(target) if current.get(name) is None]
        if missing:
            raise ValidationFailed(
                "Record the dates first.",
                field_errors={name: "Record this date first." for name in missing},
            )
        await kind.table.update(
            {kind.table.stage: target.value, kind.table.updated_at: now()}
        ).where(kind.table.id == bid_id)
        await _record_move(principal, kind, bid_id, stage, target, note=note)
    return True


async def _record_move(
    principal: Principal | None, kind: BidKind, bid_id: int, stage: Any, to: Any, **why: str
) -> None:
    """The audit entry for a bid that moved stage, by an edit (`by`) or a decision (`note`)."""
    await audit.record(
        principal,
        f"programme.{kind.subject}.stage",
        kind.subject,
        bid_id,
        **{"from": stage.value, "to": to.value, **why},
    )


def _parse_stage(value: str, kind: Any, allowed: Iterable[Any]) -> Any:
    allowed = tuple(allowed)
    try:
        target = kind(str(value or "").strip())
    except ValueError:
        target = None
    if target not in allowed:
        choices = ", ".join(stage.value for stage in allowed)
        raise ValidationFailed(
            "Choose where the bid goes next.",
            field_errors={"to": f"Choose one of: {choices}."},
        )
    return target


async def get_bid(kind: BidKind, bid_id: int, *, durations: ClockDurations) -> dict[str, Any]:
    table = kind.table
    row = (
        await table.select(
            *table.all_columns(),
            table.group_host.name.as_alias("group_host_name"),
            table.group_host.org_id.as_alias("group_host_org_id"),
            table.group_host.contact_email.as_alias("group_host_email"),
            table.locality.name.as_alias("locality_name"),
        )
        .where(table.id == bid_id)
        .first()
    )
    if row is None:
        raise NotFound(f"There is no {kind.noun} {bid_id}.")
    return _with_extras(kind, row, durations)


def _with_extras(kind: BidKind, row: dict[str, Any], durations: ClockDurations) -> dict[str, Any]:
    stage = kind.stages(row["stage"])
    row["stage_label"] = stage.label
    kind.add_deadlines(row, stage, durations)
    row["is_terminal"] = not kind.transitions[stage]
    row["next_stages"] = [s for s in kind.manual_stages if s in kind.transitions[stage]]
    row["emails"] = [e for e in (row.get("contact_emails") or "").split("\n") if e]
    return row


async def list_bids(kind: BidKind, *, durations: ClockDurations) -> list[dict[str, Any]]:
    table = kind.table
    rows = await table.select(
        *table.all_columns(), table.group_host.name.as_alias("group_host_name")
    ).order_by(getattr(table, kind.name_field))
    return [_with_extras(kind, row, durations) for row in rows]
