"""The grant programme's services: the only code that writes bids, grants and reminders.

Every state change is one function here that opens a write transaction, locks the row
(PostgreSQL: SELECT ... FOR UPDATE; SQLite: the IMMEDIATE transaction already holds the
write lock), checks the current state and returns early when the change is already made.
Input arrives as a mapping (a form, where amounts are pounds, or API JSON, where they are
pence) and is checked here, so forms and the API refuse the same things with the same words.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from groundswell import db
from groundswell.community.identifiers import normalise_postcode, validate_org_id
from groundswell.community.tables import HostOrganisation, Locality
from groundswell.core import audit
from groundswell.core.clock import now, today
from groundswell.core.dates import read_date
from groundswell.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id
from groundswell.core.money import format_money
from groundswell.core.principal import Principal
from groundswell.core.tables import varchar_length
from groundswell.funders.tables import Pool
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind, TransactionKind
from groundswell.outbox.services import enqueue_email
from groundswell.programme.clocks import (
    AssetBidDates,
    AssetBidDeadlines,
    ClockDurations,
    Duration,
    asset_bid_date_problems,
    asset_bid_deadlines,
    deadline,
    human_date,
    service_bid_date_problems,
)
from groundswell.programme.deadlines import (
    ADVICE,
    ASSET_DEADLINE_LABELS,
    REMINDER_DAYS_BEFORE,
    SERVICE_DEADLINE_LABELS,
    Deadline,
    asset_bid_live_deadlines,
    days_left_phrase,
    due_reminder,
    service_bid_live_deadlines,
)
from groundswell.programme.states import (
    ASSET_MANUAL_STAGES,
    ASSET_TRANSITIONS,
    SERVICE_MANUAL_STAGES,
    SERVICE_TRANSITIONS,
    AssetBidStage,
    GrantKind,
    GrantStatus,
    ServiceBidStage,
    ServiceDecision,
    asset_stage_after,
    asset_stage_needs,
    grant_ledger_steps,
    service_stage_after,
    service_stage_needs,
)
from groundswell.programme.tables import AssetBid, ProgrammeGrant, ProgrammeReminder, ServiceBid
from groundswell.settings import Settings

ASSET_DATE_FIELDS = ("nominated_on", "listed_on", "disposal_notice_on", "bidder_request_on")
SERVICE_DATE_FIELDS = (
    "window_opens_on",
    "window_closes_on",
    "eoi_on",
    "decided_on",
    "procurement_starts_on",
    "procurement_ends_on",
)
GROUP_FIELDS = ("nominating_group", "group_host_id", "group_org_id", "contact_emails")
ASSET_FIELDS = (
    "asset_name",
    "address",
    "postcode",
    "owner",
    "local_authority",
    "locality_id",
    *GROUP_FIELDS,
    *ASSET_DATE_FIELDS,
    "fundraising_target",
    "amount_raised",
    "notes",
)
SERVICE_FIELDS = (
    "service_name",
    "local_authority",
    "locality_id",
    *GROUP_FIELDS,
    *SERVICE_DATE_FIELDS,
    "decision_period_amount",
    "decision_period_unit",
    "decision",
    "rejection_grounds",
    "notes",
)
# Input names that are stored under another column name.
_COLUMN_FOR = {
    "nominating_group": "group_name",
    "group_host_id": "group_host",
    "locality_id": "locality",
}
DECISION_PERIOD_UNITS = ("days", "weeks", "months")
REGRANT_TYPES = {
    "FRG010": "Common Regrant",
    "FRG020": "Transfer to intermediary",
    "FRG030": "Match funding",
    "FRG040": "Funder collaboration",
    "FRG050": "Fiscal sponsor",
    "FRG060": "Endowment",
    "FRG070": "Multipurpose",
}
_EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_DATE_HELP = "Enter a date as YYYY-MM-DD, for example 2024-08-31."

_Reader = Callable[[FieldReader, set[str], dict[str, Any], bool], None]


@dataclass(frozen=True)
class BidKind:
    """What differs between a Right to Bid case (an asset) and a Right to Challenge case (a
    service). Reading, checking, storing, moving and showing a bid are written once, over this;
    the two kinds are ASSET_BID and SERVICE_BID below."""

    key: str  # "asset" or "service": in URLs, reminders and a grant's link to its bid
    noun: str  # in messages: "There is no asset bid 7."
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


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Only programme staff change bids and grants.")


async def _locked(table: Any, row_id: int) -> dict[str, Any] | None:
    """The row, locked until the transaction ends; call inside `db.write_transaction()`."""
    row: dict[str, Any] | None = await db.locked(table.select().where(table.id == row_id)).first()
    return row


async def _audit(
    principal: Principal | None, action: str, subject: str, subject_id: int, **detail: Any
) -> None:
    await audit.record(principal, action, subject, subject_id, **detail)


# ---------------------------------------------------------------------------------------
# Reading input


def _read_date(fields: FieldReader, name: str) -> date | None:
    return read_date(fields, name, help=_DATE_HELP)


def _read_emails(fields: FieldReader, name: str) -> str:
    value = fields.raw.get(name)
    items: list[str]
    if value is None:
        items = []
    elif isinstance(value, (list, tuple)):
        items = [str(item) for item in value]
    else:
        items = re.split(r"[\s,;]+", str(value))
    emails: list[str] = []
    for item in items:
        email = item.strip().lower()
        if not email:
            continue
        if not _EMAIL_RE.match(email) or len(email) > 254:
            fields.errors[name] = (
                f"“{item.strip()[:60]}” is not an e-mail address like name@example.org."
            )
            continue
        if email not in emails:
            emails.append(email)
    if len(emails) > 10:
        fields.errors[name] = "Give at most 10 addresses."
    return "\n".join(emails)


def _read_optional_number(fields: FieldReader, name: str, *, maximum: int) -> int | None:
    value = fields.raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return fields.integer(name, minimum=1, maximum=maximum)


def _read_group(fields: FieldReader, present: set[str], values: dict[str, Any]) -> None:
    if "nominating_group" in present:
        # Optional when the group is a host organisation: its name is filled in from there.
        values["group_name"] = fields.text("nominating_group", required=False, max_length=200)
    if "group_host_id" in present:
        values["group_host"] = read_row_id(
            fields, "group_host_id", what="a host organisation", required=False
        )
    if "group_org_id" in present:
        raw = fields.text("group_org_id", required=False, max_length=60)
        values["group_org_id"] = None
        if raw:
            try:
                values["group_org_id"] = validate_org_id(raw)
            except ValueError as exc:
                fields.errors["group_org_id"] = str(exc)
    if "contact_emails" in present:
        values["contact_emails"] = _read_emails(fields, "contact_emails")


async def _check_links(values: dict[str, Any], errors: dict[str, str]) -> None:
    host = values.get("group_host")
    if host is not None:
        row = (
            await HostOrganisation.select(HostOrganisation.name)
            .where(HostOrganisation.id == host)
            .first()
        )
        if row is None:
            errors["group_host_id"] = "Choose a host organisation from the list."
        elif "group_name" in values and not values["group_name"]:
            values["group_name"] = row["name"]
    locality = values.get("locality")
    if locality is not None and not await Locality.exists().where(Locality.id == locality):
        errors["locality_id"] = "Choose a place from the list."


def _present(raw: Mapping[str, Any], allowed: Iterable[str], *, partial: bool) -> set[str]:
    """The input fields to read: all of them, or for a partial update (PATCH) those sent."""
    allowed = tuple(allowed)
    if not partial:
        return set(allowed)
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ValidationFailed(
            "The request has fields this resource does not have.",
            field_errors={name: "Unknown field." for name in unknown},
        )
    return set(raw)


def _read_asset_details(
    fields: FieldReader, present: set[str], values: dict[str, Any], minor_units: bool
) -> None:
    if "address" in present:
        values["address"] = fields.text("address", required=False, max_length=500)
    if "postcode" in present:
        postcode = fields.text("postcode", required=False, max_length=10)
        values["postcode"] = ""
        if postcode:
            try:
                values["postcode"] = normalise_postcode(postcode)
            except ValueError as exc:
                fields.errors["postcode"] = str(exc)
    if "owner" in present:
        values["owner"] = fields.text("owner", required=False, max_length=200)


def _read_asset_money(
    fields: FieldReader, present: set[str], values: dict[str, Any], minor_units: bool
) -> None:
    if "fundraising_target" in present:
        values["fundraising_target"] = fields.money(
            "fundraising_target", required=False, minor_units=minor_units
        )
    if "amount_raised" in present:
        values["amount_raised"] = (
            fields.money("amount_raised", required=False, minor_units=minor_units) or 0
        )


def _read_no_details(
    fields: FieldReader, present: set[str], values: dict[str, Any], minor_units: bool
) -> None:
    """A service bid has nothing between its name and the authority."""


def _read_service_decision(
    fields: FieldReader, present: set[str], values: dict[str, Any], minor_units: bool
) -> None:
    if "decision_period_amount" in present:
        values["decision_period_amount"] = _read_optional_number(
            fields, "decision_period_amount", maximum=366
        )
    if "decision_period_unit" in present:
        unit = fields.text("decision_period_unit", required=False, max_length=8).lower()
        if unit and unit not in DECISION_PERIOD_UNITS:
            fields.errors["decision_period_unit"] = "Choose days, weeks or months."
        values["decision_period_unit"] = unit
    if "decision" in present:
        decision = fields.raw.get("decision")
        values["decision"] = None
        if decision not in (None, ""):
            try:
                values["decision"] = ServiceDecision(str(decision)).value
            except ValueError:
                fields.errors["decision"] = "Choose accepted, modified or rejected."
    if "rejection_grounds" in present:
        values["rejection_grounds"] = fields.text(
            "rejection_grounds", required=False, max_length=4000
        )


def _read_bid_values(
    kind: BidKind, raw: Mapping[str, Any], *, partial: bool, minor_units: bool
) -> tuple[dict[str, Any], FieldReader]:
    """The input, field by field in the form's order (the order errors are listed in)."""
    fields = FieldReader(raw)
    present = _present(raw, kind.fields, partial=partial)
    values: dict[str, Any] = {}
    if kind.name_field in present:
        values[kind.name_field] = fields.text(kind.name_field, max_length=200)
    kind.read_details(fields, present, values, minor_units)
    if "local_authority" in present:
        values["local_authority"] = fields.text("local_authority", max_length=120)
    if "locality_id" in present:
        values["locality"] = read_row_id(fields, "locality_id", what="a place", required=False)
    _read_group(fields, present, values)
    for name in kind.date_fields:
        if name in present:
            values[name] = _read_date(fields, name)
    kind.read_facts(fields, present, values, minor_units)
    if "notes" in present:
        values["notes"] = fields.text("notes", required=False, max_length=4000)
    return values, fields


def _asset_dates(row: Mapping[str, Any]) -> AssetBidDates:
    return AssetBidDates(**{name: row.get(name) for name in ASSET_DATE_FIELDS})


def _check_asset_facts(
    row: Mapping[str, Any], durations: ClockDurations, errors: dict[str, str]
) -> None:
    for problem in asset_bid_date_problems(_asset_dates(row), durations):
        errors.setdefault(problem.field, problem.message)


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


# ---------------------------------------------------------------------------------------
# Bids of either kind


async def create_bid(
    kind: BidKind,
    principal: Principal,
    raw: Mapping[str, Any],
    *,
    durations: ClockDurations,
    minor_units: bool,
) -> int:
    """Record a bid; its stage follows from the facts given. `minor_units`: amounts in pence."""
    _require_admin(principal)
    values, fields = _read_bid_values(kind, raw, partial=False, minor_units=minor_units)
    await _check_links(values, fields.errors)
    _check_bid_row(kind, values, durations, fields.errors)
    fields.check(f"The {kind.noun} could not be saved.")
    values["stage"] = kind.stage_after(kind.stages.PREPARING, values).value
    async with db.write_transaction():
        table: Any = kind.table  # mypy cannot pair a union's insert() with its own row type
        rows = await table.insert(table(**values)).returning(table.id)
        bid_id = int(rows[0]["id"])
        await _audit(
            principal,
            f"programme.{kind.subject}.created",
            kind.subject,
            bid_id,
            stage=values["stage"],
        )
    return bid_id


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
    _require_admin(principal)
    values, fields = _read_bid_values(kind, raw, partial=partial, minor_units=minor_units)
    fields.check(f"The {kind.noun} could not be saved.")
    async with db.write_transaction():
        current = await _locked(kind.table, bid_id)
        if current is None:
            raise NotFound(f"There is no {kind.noun} {bid_id}.")
        errors: dict[str, str] = {}
        await _check_links(values, errors)  # may fill in the group's name from its host
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
            await _audit(
                principal,
                f"programme.{kind.subject}.stage",
                kind.subject,
                bid_id,
                **{"from": stage.value, "to": new_stage.value, "by": kind.moved_by},
            )
    return True


async def transition_bid(
    kind: BidKind, principal: Principal, bid_id: int, to: str, *, note: str = ""
) -> bool:
    """Move a bid to a stage reached by decision (a bid submitted, purchased, won, withdrawn).

    Returns False when the bid is already there (a repeated click changes nothing).
    """
    _require_admin(principal)
    target = _parse_stage(to, kind.stages, kind.manual_stages)
    note = note.strip()[:2000]
    async with db.write_transaction():
        current = await _locked(kind.table, bid_id)
        if current is None:
            raise NotFound(f"There is no {kind.noun} {bid_id}.")
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
        await _audit(
            principal,
            f"programme.{kind.subject}.stage",
            kind.subject,
            bid_id,
            **{"from": stage.value, "to": target.value, "note": note},
        )
    return True


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


# ---------------------------------------------------------------------------------------
# What is particular to each kind


def asset_deadlines(row: Mapping[str, Any], durations: ClockDurations) -> AssetBidDeadlines:
    return asset_bid_deadlines(_asset_dates(row), durations)


def _add_asset_deadlines(row: dict[str, Any], stage: Any, durations: ClockDurations) -> None:
    deadlines = asset_deadlines(row, durations)
    row["deadlines"] = deadlines
    row["live_deadlines"] = asset_bid_live_deadlines(stage, deadlines)


def decision_period(row: Mapping[str, Any]) -> Duration | None:
    amount, unit = row.get("decision_period_amount"), row.get("decision_period_unit")
    if not amount or unit not in DECISION_PERIOD_UNITS:
        return None
    return Duration(int(amount), unit)


def service_decision_due(row: Mapping[str, Any]) -> date | None:
    period = decision_period(row)
    if period is None or row.get("eoi_on") is None:
        return None
    return deadline(row["eoi_on"], period)


def _add_service_deadlines(row: dict[str, Any], stage: Any, durations: ClockDurations) -> None:
    row["decision_due"] = service_decision_due(row)
    row["decision_label"] = ServiceDecision(row["decision"]).label if row.get("decision") else ""
    period = decision_period(row)
    row["decision_period"] = str(period) if period else ""
    row["live_deadlines"] = service_bid_live_deadlines(
        stage, window_closes_on=row.get("window_closes_on"), decision_due=row["decision_due"]
    )


def _check_service_facts(
    row: Mapping[str, Any], durations: ClockDurations, errors: dict[str, str]
) -> None:
    for problem in service_bid_date_problems(
        row.get("eoi_on"), row.get("window_opens_on"), row.get("window_closes_on")
    ):
        errors.setdefault(problem.field, problem.message)
    if bool(row.get("decision_period_amount")) != bool(row.get("decision_period_unit")):
        field = (
            "decision_period_unit"
            if row.get("decision_period_amount")
            else "decision_period_amount"
        )
        errors.setdefault(field, "Give both the number and the unit of the decision period.")
    eoi, decided = row.get("eoi_on"), row.get("decided_on")
    decision = row.get("decision")
    if decision and eoi is None:
        errors.setdefault("eoi_on", "A decision answers an expression of interest: enter its date.")
    if decision and decided is None:
        errors.setdefault("decided_on", "Enter the date of the authority's decision.")
    if decided is not None and not decision:
        errors.setdefault("decision", "Say what the authority decided.")
    if decided is not None and eoi is not None and decided < eoi:
        errors.setdefault(
            "decided_on",
            f"The decision ({human_date(decided)}) is before the expression of interest "
            f"({human_date(eoi)}).",
        )
    if (
        decision == ServiceDecision.REJECTED.value
        and not (row.get("rejection_grounds") or "").strip()
    ):
        errors.setdefault("rejection_grounds", "Give the grounds the authority stated.")
    starts, ends = row.get("procurement_starts_on"), row.get("procurement_ends_on")
    if (starts or ends) and decision not in (
        ServiceDecision.ACCEPTED.value,
        ServiceDecision.MODIFIED.value,
    ):
        field = "procurement_starts_on" if starts else "procurement_ends_on"
        errors.setdefault(field, "Procurement follows an accepted expression of interest.")
    if ends is not None and starts is None:
        errors.setdefault("procurement_starts_on", "Enter when procurement started.")
    if starts is not None and ends is not None and ends < starts:
        errors.setdefault(
            "procurement_ends_on",
            f"Procurement ends ({human_date(ends)}) before it starts ({human_date(starts)}).",
        )
    if starts is not None and decided is not None and starts < decided:
        errors.setdefault(
            "procurement_starts_on",
            f"Procurement starts ({human_date(starts)}) before the decision "
            f"({human_date(decided)}).",
        )


def _service_stage_for(current: ServiceBidStage, row: Mapping[str, Any]) -> ServiceBidStage:
    return service_stage_after(
        current,
        eoi_on=row.get("eoi_on"),
        decision=ServiceDecision(row["decision"]) if row.get("decision") else None,
        procurement_starts_on=row.get("procurement_starts_on"),
    )


def _no_needs(stage: Any) -> tuple[str, ...]:
    return ()


ASSET_BID = BidKind(
    key="asset",
    noun="asset bid",
    table=AssetBid,
    name_field="asset_name",
    fields=ASSET_FIELDS,
    date_fields=ASSET_DATE_FIELDS,
    read_details=_read_asset_details,
    read_facts=_read_asset_money,
    check_facts=_check_asset_facts,
    horizon_days=366,
    horizon_message="That date is more than a year away: check the year.",
    stages=AssetBidStage,
    transitions=ASSET_TRANSITIONS,
    manual_stages=ASSET_MANUAL_STAGES,
    stage_after=asset_stage_after,
    stage_needs=asset_stage_needs,
    needs="this date",
    # Buying or bidding needs the owner's notice: checked before the move too.
    transition_needs=asset_stage_needs,
    moved_by="dates",
    add_deadlines=_add_asset_deadlines,
)
SERVICE_BID = BidKind(
    key="service",
    noun="service bid",
    table=ServiceBid,
    name_field="service_name",
    fields=SERVICE_FIELDS,
    date_fields=SERVICE_DATE_FIELDS,
    read_details=_read_no_details,
    read_facts=_read_service_decision,
    check_facts=_check_service_facts,
    horizon_days=3 * 366,
    horizon_message="That date is more than three years away: check the year.",
    stages=ServiceBidStage,
    transitions=SERVICE_TRANSITIONS,
    manual_stages=SERVICE_MANUAL_STAGES,
    stage_after=_service_stage_for,
    stage_needs=service_stage_needs,
    needs="this",
    # Won and lost follow procurement, whose facts are recorded to get there.
    transition_needs=_no_needs,
    moved_by="facts",
    add_deadlines=_add_service_deadlines,
)
BID_KINDS = (ASSET_BID, SERVICE_BID)


# ---------------------------------------------------------------------------------------
# Programme grants


TITLE_MAX = varchar_length(ProgrammeGrant.title)


def _default_title(title: str) -> str:
    """A grant's title from its bid's name, cut to fit programme_grant.title (Varchar(200))."""
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class GrantProposal:
    grant_id: int
    created: bool  # False: the same grant was proposed already (a repeated submit)


async def propose_grant(principal: Principal, raw: Mapping[str, Any], *, minor_units: bool) -> int:
    """Record a grant the programme means to make; `award_grant` makes it."""
    return (await propose_grant_once(principal, raw, minor_units=minor_units)).grant_id


async def propose_grant_once(
    principal: Principal, raw: Mapping[str, Any], *, minor_units: bool
) -> GrantProposal:
    """Propose a grant, unless the same one (bid, pool, kind, amount, title) is still proposed.

    A form sent twice (a double click, a retried request) would otherwise make two proposed
    grants that could each be awarded. The pool's lock serialises concurrent proposals.
    """
    _require_admin(principal)
    fields = FieldReader(raw)
    pool_id = read_row_id(fields, "pool_id", what="a pool")
    asset_bid_id = read_row_id(fields, "asset_bid_id", what="a bid", required=False)
    service_bid_id = read_row_id(fields, "service_bid_id", what="a bid", required=False)
    kind = fields.choice("kind", GrantKind, default=None)
    if kind is None and "kind" not in fields.errors:
        fields.errors["kind"] = "Choose the kind of grant."
    amount = fields.money("amount", minor_units=minor_units)
    if amount == 0:
        fields.errors["amount"] = "A grant is for more than nothing."
    title = fields.text("title", required=False, max_length=TITLE_MAX)
    description = fields.text("description", required=False, max_length=4000)
    regrant_type = fields.text("regrant_type", required=False, max_length=8).upper()
    if regrant_type and regrant_type not in REGRANT_TYPES:
        fields.errors["regrant_type"] = "Choose a regrant type from the 360Giving codelist."
    if (asset_bid_id is None) == (service_bid_id is None) and not (
        {"asset_bid_id", "service_bid_id"} & fields.errors.keys()
    ):
        fields.errors["asset_bid_id"] = "A grant supports exactly one bid."
    fields.check("The grant could not be saved.")
    assert pool_id is not None and amount is not None
    pool = await Pool.select(Pool.id, Pool.currency).where(Pool.id == pool_id).first()
    if pool is None:
        raise ValidationFailed(
            "The grant could not be saved.",
            field_errors={"pool_id": "Choose a pool from the list."},
        )
    bid_kind, bid_id = (
        (ASSET_BID, asset_bid_id) if asset_bid_id is not None else (SERVICE_BID, service_bid_id)
    )
    table = bid_kind.table
    bid = await table.select(getattr(table, bid_kind.name_field)).where(table.id == bid_id).first()
    if bid is None:
        raise ValidationFailed(
            "The grant could not be saved.",
            field_errors={f"{bid_kind.key}_bid_id": "There is no such bid."},
        )
    bid_name = bid[bid_kind.name_field]
    title = title or _default_title(f"{kind.label} grant: {bid_name}")
    async with db.write_transaction():
        await ledger.lock_pool(pool_id)
        same = (
            await ProgrammeGrant.select(ProgrammeGrant.id)
            .where(
                (ProgrammeGrant.pool == pool_id)
                & (getattr(ProgrammeGrant, f"{bid_kind.key}_bid") == bid_id)
                & (ProgrammeGrant.kind == kind.value)
                & (ProgrammeGrant.amount == amount)
                & (ProgrammeGrant.title == title)
                & (ProgrammeGrant.status == GrantStatus.PROPOSED.value)
            )
            .first()
        )
        if same is not None:
            return GrantProposal(grant_id=int(same["id"]), created=False)
        rows = await ProgrammeGrant.insert(
            ProgrammeGrant(
                pool=pool_id,
                asset_bid=asset_bid_id,
                service_bid=service_bid_id,
                kind=kind.value,
                title=title,
                description=description,
                amount=amount,
                currency=pool["currency"],
                regrant_type=regrant_type,
            )
        ).returning(ProgrammeGrant.id)
        grant_id = int(rows[0]["id"])
        await _audit(
            principal,
            "programme.grant.proposed",
            "programme_grant",
            grant_id,
            amount=amount,
            currency=pool["currency"],
            pool=pool_id,
        )
    return GrantProposal(grant_id=grant_id, created=True)


@dataclass(frozen=True)
class AwardResult:
    grant_id: int
    awarded_now: bool  # False: it was awarded before, and nothing changed


def _grant_memo(grant: Mapping[str, Any], what: str) -> str:
    return f"{what}: {grant['title']} (programme grant {grant['id']})"[:500]


async def _post_grant(
    grant: Mapping[str, Any],
    step: str,
    kind: TransactionKind,
    source: AccountKind,
    target: AccountKind,
    memo: str,
) -> None:
    """Post one step of a grant's money; the caller holds the grant's row and its pool."""
    accounts = await ledger.pool_grant_accounts(grant["pool"])
    reference = ledger.grant_reference(grant["id"], step)
    posted = await ledger.post(
        kind,
        reference,
        [
            ledger.Posting(accounts[source], -int(grant["amount"])),
            ledger.Posting(accounts[target], int(grant["amount"])),
        ],
        memo=memo,
    )
    if posted is None:
        # The reference is taken, yet the grant's status says this step has not happened:
        # the ledger and the grant disagree, and moving the money again would hide it.
        raise Conflict(
            f"The ledger already has {reference} but the grant is {grant['status']}. "
            "Nothing was changed; run `groundswell ledger check`."
        )


async def award_grant(principal: Principal, grant_id: int) -> AwardResult:
    """Award a proposed grant: the pool's money set aside for the group (ledger transaction
    "grant:<id>:award", available → grant awarded), status, date and audit entry in one
    transaction. Refused with nothing written when the pool has not that much available.
    """
    _require_admin(principal)
    async with db.write_transaction():
        grant = await _locked(ProgrammeGrant, grant_id)
        if grant is None:
            raise NotFound(f"There is no programme grant {grant_id}.")
        status = GrantStatus(grant["status"])
        if status is GrantStatus.AWARDED:
            return AwardResult(grant_id, awarded_now=False)
        if status is not GrantStatus.PROPOSED:
            raise Conflict(f"This grant was {status.value}; it cannot be awarded.")
        await ledger.lock_pool(grant["pool"])
        available = await ledger.locked_available(grant["pool"])
        if available < grant["amount"]:
            pool = await Pool.select(Pool.name).where(Pool.id == grant["pool"]).first()
            raise Conflict(
                f"{(pool or {}).get('name', 'The pool')} has "
                f"{format_money(available, grant['currency'])} available and this grant is for "
                f"{format_money(grant['amount'], grant['currency'])}, so it was not awarded. "
                "Record a deposit into the pool, or propose a smaller grant."
            )
        await _post_grant(
            grant,
            "award",
            TransactionKind.GRANT_AWARD,
            AccountKind.AVAILABLE,
            AccountKind.GRANT_AWARDED,
            _grant_memo(grant, "Grant awarded"),
        )
        awarded_on = today()
        await ProgrammeGrant.update(
            {
                ProgrammeGrant.status: GrantStatus.AWARDED.value,
                ProgrammeGrant.awarded_on: awarded_on,
                ProgrammeGrant.awarded_by: principal.user_id,
                ProgrammeGrant.updated_at: now(),
            }
        ).where(ProgrammeGrant.id == grant_id)
        await _audit(
            principal,
            "programme.grant.awarded",
            "programme_grant",
            grant_id,
            amount=grant["amount"],
            currency=grant["currency"],
            pool=grant["pool"],
            awarded_on=awarded_on.isoformat(),
            ledger_reference=ledger.grant_reference(grant_id, "award"),
        )
    return AwardResult(grant_id, awarded_now=True)


async def mark_grant_paid(principal: Principal, grant_id: int, raw: Mapping[str, Any]) -> bool:
    """Record that the group was paid an awarded grant (a bank transfer, say): ledger
    transaction "grant:<id>:paid" (grant awarded → grant paid), status, payment details and
    audit entry in one transaction. False when it was recorded as paid already.

    `raw`: "payment_reference" (required: the bank's or finance system's reference) and
    "paid_on" (YYYY-MM-DD; today when left out), neither before the award nor in the future.
    """
    _require_admin(principal)
    fields = FieldReader(raw)
    reference = fields.text("payment_reference", max_length=100)
    paid_on = _read_date(fields, "paid_on") or today()
    if paid_on > today():
        fields.errors["paid_on"] = "A payment already made has a date today or earlier."
    fields.check("The payment could not be recorded.")
    async with db.write_transaction():
        grant = await _locked(ProgrammeGrant, grant_id)
        if grant is None:
            raise NotFound(f"There is no programme grant {grant_id}.")
        status = GrantStatus(grant["status"])
        if status is GrantStatus.PAID:
            return False
        if status is not GrantStatus.AWARDED:
            raise Conflict(
                f"This grant is {status.value}; only an awarded grant can be marked paid."
            )
        if grant["awarded_on"] is not None and paid_on < grant["awarded_on"]:
            raise ValidationFailed(
                "The payment could not be recorded.",
                field_errors={
                    "paid_on": f"The grant was awarded on {human_date(grant['awarded_on'])}; "
                    "it was paid on that day or later."
                },
            )
        await ledger.lock_pool(grant["pool"])
        await _post_grant(
            grant,
            "paid",
            TransactionKind.GRANT_PAYMENT,
            AccountKind.GRANT_AWARDED,
            AccountKind.GRANT_PAID,
            _grant_memo(grant, f"Grant paid on {paid_on.isoformat()}, ref. {reference}"),
        )
        await ProgrammeGrant.update(
            {
                ProgrammeGrant.status: GrantStatus.PAID.value,
                ProgrammeGrant.paid_on: paid_on,
                ProgrammeGrant.paid_by: principal.user_id,
                ProgrammeGrant.payment_reference: reference,
                ProgrammeGrant.updated_at: now(),
            }
        ).where(ProgrammeGrant.id == grant_id)
        await _audit(
            principal,
            "programme.grant.paid",
            "programme_grant",
            grant_id,
            amount=grant["amount"],
            currency=grant["currency"],
            pool=grant["pool"],
            paid_on=paid_on.isoformat(),
            payment_reference=reference,
            ledger_reference=ledger.grant_reference(grant_id, "paid"),
        )
    return True


async def cancel_grant(principal: Principal, grant_id: int, reason: str) -> bool:
    """Withdraw a proposed grant, or cancel an award not yet paid: then the money goes back
    to the pool's available account (ledger transaction "grant:<id>:cancel") in the same
    transaction as the status and audit entry. False when it was already cancelled."""
    _require_admin(principal)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the grant is cancelled.", field_errors={"reason": "This is required."}
        )
    async with db.write_transaction():
        grant = await _locked(ProgrammeGrant, grant_id)
        if grant is None:
            raise NotFound(f"There is no programme grant {grant_id}.")
        status = GrantStatus(grant["status"])
        if status is GrantStatus.CANCELLED:
            return False
        if status is GrantStatus.PAID:
            raise Conflict(
                "This grant has been paid, so it cannot be cancelled: the money has left the pool."
            )
        if status is GrantStatus.AWARDED:
            await ledger.lock_pool(grant["pool"])
            await _post_grant(
                grant,
                "cancel",
                TransactionKind.GRANT_CANCELLATION,
                AccountKind.GRANT_AWARDED,
                AccountKind.AVAILABLE,
                _grant_memo(grant, f"Award cancelled ({reason[:200]})"),
            )
        await ProgrammeGrant.update(
            {
                ProgrammeGrant.status: GrantStatus.CANCELLED.value,
                ProgrammeGrant.cancelled_reason: reason[:2000],
                ProgrammeGrant.updated_at: now(),
            }
        ).where(ProgrammeGrant.id == grant_id)
        detail: dict[str, Any] = {"reason": reason[:500], "was": status.value}
        if status is GrantStatus.AWARDED:
            detail["ledger_reference"] = ledger.grant_reference(grant_id, "cancel")
            detail["amount"] = grant["amount"]
            detail["currency"] = grant["currency"]
            detail["pool"] = grant["pool"]
        await _audit(principal, "programme.grant.cancelled", "programme_grant", grant_id, **detail)
    return True


async def list_grants(
    *, asset_bid_id: int | None = None, service_bid_id: int | None = None
) -> list[dict[str, Any]]:
    query = ProgrammeGrant.select(
        *ProgrammeGrant.all_columns(),
        ProgrammeGrant.pool.name.as_alias("pool_name"),
        ProgrammeGrant.pool.funder.name.as_alias("funder_name"),  # type: ignore[union-attr]
        ProgrammeGrant.asset_bid.asset_name.as_alias("asset_name"),
        ProgrammeGrant.service_bid.service_name.as_alias("service_name"),
    ).order_by(ProgrammeGrant.id)
    if asset_bid_id is not None:
        query = query.where(ProgrammeGrant.asset_bid == asset_bid_id)
    if service_bid_id is not None:
        query = query.where(ProgrammeGrant.service_bid == service_bid_id)
    rows = await query
    for row in rows:
        row["kind_label"] = GrantKind(row["kind"]).label
    return rows


async def get_grant(grant_id: int) -> dict[str, Any]:
    grant = await ProgrammeGrant.select().where(ProgrammeGrant.id == grant_id).first()
    if grant is None:
        raise NotFound(f"There is no programme grant {grant_id}.")
    return grant


def grant_ledger_references(grant: Mapping[str, Any]) -> list[str]:
    """The ledger transactions a grant's status implies (what `ledger check` expects)."""
    steps = grant_ledger_steps(
        GrantStatus(grant["status"]), was_awarded=grant["awarded_on"] is not None
    )
    return [ledger.grant_reference(grant["id"], step) for step in steps]


_LEDGER_STEPS = {
    "award": "Grant awarded: set aside from available",
    "paid": "Grant paid to the group",
    "cancel": "Award cancelled: back to available",
}


async def grants_in_ledger(pool_id: int) -> dict[str, dict[str, str]]:
    """For the pool's ledger page: each grant reference it may hold, with the grant's title,
    what the step did and the bid's page."""
    rows = await ProgrammeGrant.select(
        ProgrammeGrant.id,
        ProgrammeGrant.title,
        ProgrammeGrant.asset_bid,
        ProgrammeGrant.service_bid,
        ProgrammeGrant.payment_reference,
    ).where(ProgrammeGrant.pool == pool_id)
    labels: dict[str, dict[str, str]] = {}
    for row in rows:
        bid_type = "asset" if row["asset_bid"] is not None else "service"
        url = f"/programme/{bid_type}-bids/{row[f'{bid_type}_bid']}#grants"
        for step, what in _LEDGER_STEPS.items():
            if step == "paid" and row["payment_reference"]:
                what = f"{what} (ref. {row['payment_reference']})"
            labels[ledger.grant_reference(row["id"], step)] = {
                "title": row["title"],
                "step": what,
                "url": url,
            }
    return labels


async def list_pools_for_grants() -> list[dict[str, Any]]:
    """Pools a grant can come from, each with what it has `available` (an award needs it)."""
    pools = await Pool.select(
        Pool.id, Pool.name, Pool.currency, Pool.funder.name.as_alias("funder_name")
    ).order_by(Pool.name)
    balances = await ledger.all_pool_balances()
    for pool in pools:
        pool["available"] = balances.get(pool["id"], {}).get("available", 0)
    return pools


# ---------------------------------------------------------------------------------------
# Deadlines and reminders


@dataclass(frozen=True)
class LiveDeadline:
    bid_type: str  # "asset" or "service"
    bid_id: int
    bid_name: str
    group_name: str
    deadline: Deadline
    recipients: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"/programme/{self.bid_type}-bids/{self.bid_id}"

    def days_left(self, on: date) -> int:
        return (self.deadline.on - on).days


def _recipients(row: Mapping[str, Any]) -> tuple[str, ...]:
    emails = [e for e in (row.get("contact_emails") or "").split("\n") if e]
    if not emails and row.get("group_host_email"):
        emails = [row["group_host_email"]]
    return tuple(emails)


async def live_deadlines(durations: ClockDurations) -> list[LiveDeadline]:
    """Every deadline a group still needs to act on, earliest first."""
    found: list[LiveDeadline] = []
    for kind in BID_KINDS:
        table = kind.table
        rows = await table.select(
            *table.all_columns(), table.group_host.contact_email.as_alias("group_host_email")
        ).where(table.stage.not_in([s.value for s in kind.stages if not kind.transitions[s]]))
        for row in rows:
            kind.add_deadlines(row, kind.stages(row["stage"]), durations)
            found.extend(
                LiveDeadline(
                    kind.key,
                    row["id"],
                    row[kind.name_field],
                    row["group_name"],
                    item,
                    _recipients(row),
                )
                for item in row["live_deadlines"]
            )
    return sorted(found, key=lambda d: (d.deadline.on, d.bid_type, d.bid_id, d.deadline.kind))


def _reminder_text(item: LiveDeadline, days_before: int, on: date) -> tuple[str, str]:
    deadline_on = item.deadline.on
    left = days_left_phrase(deadline_on, on)
    subject = (
        f"{item.bid_name}: {item.deadline.label.lower()} on {human_date(deadline_on)} ({left})"
    )
    body = "\n\n".join(
        [
            f"Hello {item.group_name},",
            f"{item.deadline.label} on {human_date(deadline_on)}: {left}. "
            "That date is the last day of the period.",
            ADVICE[(item.bid_type, item.deadline.kind)],
            f"This is the reminder {days_before} days before the deadline, sent once by the "
            "Groundswell grant programme. Reply to this e-mail if anything here is wrong.",
        ]
    )
    return subject[:200], body


async def send_due_reminders(settings: Settings, *, on: date | None = None) -> str:
    """The daily job: queue each due reminder once, to each of the group's contacts.

    The reminder's row and its e-mails are written in one transaction, and the row is unique
    per (bid, deadline kind, deadline date, days before): a second run, a restart or a second
    scheduler finds the row and sends nothing. A deadline whose date changes is a new
    deadline, and is reminded of afresh.
    """
    on = on or today()
    durations = durations_from(settings)
    sent = emails = no_contacts = 0
    for item in await live_deadlines(durations):
        days_before = due_reminder(item.deadline.on, on, REMINDER_DAYS_BEFORE)
        if days_before is None:
            continue
        if not item.recipients:
            # Not recorded: once someone adds a contact, the reminder can still go out.
            no_contacts += 1
            continue
        subject, body = _reminder_text(item, days_before, on)
        async with db.write_transaction():
            rows = (
                await ProgrammeReminder.insert(
                    ProgrammeReminder(
                        bid_type=item.bid_type,
                        bid_id=item.bid_id,
                        deadline_kind=item.deadline.kind,
                        deadline_on=item.deadline.on,
                        days_before=days_before,
                        recipients="\n".join(item.recipients),
                        sent_at=now(),
                    )
                )
                .on_conflict(action="DO NOTHING")
                .returning(ProgrammeReminder.id)
            )
            if not rows:
                continue
            key = (
                f"programme-reminder:{item.bid_type}:{item.bid_id}:{item.deadline.kind}:"
                f"{item.deadline.on.isoformat()}:{days_before}"
            )
            for email in item.recipients:
                await enqueue_email(
                    to=email,
                    subject=subject,
                    body=body,
                    purpose="programme_reminder",
                    dedupe_key=f"{key}:{hashlib.sha256(email.encode()).hexdigest()[:16]}",
                    ttl=timedelta(days=max((item.deadline.on - on).days, 1)),
                )
                emails += 1
        sent += 1
    message = f"{sent} reminders sent ({emails} e-mails)"
    if no_contacts:
        message += f"; {no_contacts} due but the group has no contact address"
    return message


async def recent_reminders(limit: int = 50) -> list[dict[str, Any]]:
    rows = (
        await ProgrammeReminder.select()
        .order_by(ProgrammeReminder.sent_at, ascending=False)
        .order_by(ProgrammeReminder.id, ascending=False)
        .limit(limit)
    )
    names: dict[tuple[str, int], str] = {}
    for kind in BID_KINDS:
        ids = {r["bid_id"] for r in rows if r["bid_type"] == kind.key}
        if ids:
            table = kind.table
            for bid in await table.select(table.id, getattr(table, kind.name_field)).where(
                table.id.is_in(list(ids))
            ):
                names[(kind.key, bid["id"])] = bid[kind.name_field]
    labels = {"asset": ASSET_DEADLINE_LABELS, "service": SERVICE_DEADLINE_LABELS}
    for row in rows:
        row["bid_name"] = names.get((row["bid_type"], row["bid_id"]), f"#{row['bid_id']}")
        row["deadline_label"] = labels[row["bid_type"]].get(
            row["deadline_kind"], row["deadline_kind"]
        )
        row["recipient_count"] = len([r for r in row["recipients"].split("\n") if r])
    return rows


async def reminders_for(bid_type: str, bid_id: int) -> list[dict[str, Any]]:
    return (
        await ProgrammeReminder.select()
        .where((ProgrammeReminder.bid_type == bid_type) & (ProgrammeReminder.bid_id == bid_id))
        .order_by(ProgrammeReminder.sent_at)
    )


# ---------------------------------------------------------------------------------------
# The dashboard and the CSV export


async def dashboard(durations: ClockDurations, *, on: date | None = None) -> dict[str, Any]:
    on = on or today()
    asset_bids = await list_bids(ASSET_BID, durations=durations)
    service_bids = await list_bids(SERVICE_BID, durations=durations)
    sent = {
        (r["bid_type"], r["bid_id"], r["deadline_kind"], r["deadline_on"], r["days_before"]): r
        for r in await ProgrammeReminder.select()
    }
    upcoming = []
    for item in await live_deadlines(durations):
        if item.days_left(on) < 0 or item.days_left(on) > 120:
            continue
        plan = []
        for days in sorted(REMINDER_DAYS_BEFORE, reverse=True):
            key = (item.bid_type, item.bid_id, item.deadline.kind, item.deadline.on, days)
            reminder_on = item.deadline.on - timedelta(days=days)
            row = sent.get(key)
            plan.append(
                {
                    "days_before": days,
                    "on": reminder_on,
                    "sent_at": row["sent_at"] if row else None,
                }
            )
        upcoming.append(
            {
                "item": item,
                "days_left": item.days_left(on),
                "phrase": days_left_phrase(item.deadline.on, on),
                "reminders": plan,
            }
        )
    return {
        "asset_groups": _by_stage(asset_bids, list(AssetBidStage)),
        "service_groups": _by_stage(service_bids, list(ServiceBidStage)),
        "asset_count": len(asset_bids),
        "service_count": len(service_bids),
        "upcoming": upcoming,
        "reminders": await recent_reminders(),
        "grants": await list_grants(),
        "today": on,
    }


def _by_stage(rows: list[dict[str, Any]], stages: list[Any]) -> list[dict[str, Any]]:
    groups = []
    for stage in stages:
        members = [row for row in rows if row["stage"] == stage.value]
        if members:
            groups.append({"stage": stage, "label": stage.label, "bids": members})
    return groups


BID_CSV_COLUMNS = (
    "type",
    "id",
    "name",
    "nominating_group",
    "group_org_id",
    "local_authority",
    "postcode",
    "owner",
    "stage",
    "nominated_on",
    "listed_on",
    "disposal_notice_on",
    "bidder_request_on",
    "decision_due",
    "listing_expires",
    "interim_moratorium_end",
    "full_moratorium_end",
    "protected_period_end",
    "window_opens_on",
    "window_closes_on",
    "eoi_on",
    "decision_period",
    "decision",
    "decided_on",
    "procurement_starts_on",
    "procurement_ends_on",
    "currency",
    "fundraising_target",
    "amount_raised",
    "next_deadline",
    "next_deadline_on",
)


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def major_units(minor: int | None) -> str:
    """'1234.50' for 123450: no symbol or separator, so spreadsheets read it as a number."""
    if minor is None:
        return ""
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 100)
    return f"{sign}{whole}.{fraction:02d}"


async def bid_csv_rows(durations: ClockDurations) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for bid in await list_bids(ASSET_BID, durations=durations):
        deadlines: AssetBidDeadlines = bid["deadlines"]
        nxt = bid["live_deadlines"][0] if bid["live_deadlines"] else None
        rows.append(
            {
                "type": "asset",
                "id": str(bid["id"]),
                "name": bid["asset_name"],
                "nominating_group": bid["group_name"],
                "group_org_id": bid["group_org_id"] or "",
                "local_authority": bid["local_authority"],
                "postcode": bid["postcode"],
                "owner": bid["owner"],
                "stage": bid["stage"],
                **{name: _iso(bid[name]) for name in ASSET_DATE_FIELDS},
                "decision_due": _iso(deadlines.decision_due),
                "listing_expires": _iso(deadlines.listing_expires),
                "interim_moratorium_end": _iso(deadlines.interim_moratorium_end),
                "full_moratorium_end": _iso(deadlines.full_moratorium_end),
                "protected_period_end": _iso(deadlines.protected_period_end),
                "currency": bid["currency"],
                "fundraising_target": major_units(bid["fundraising_target"]),
                "amount_raised": major_units(bid["amount_raised"]),
                "next_deadline": nxt.kind if nxt else "",
                "next_deadline_on": _iso(nxt.on) if nxt else "",
            }
        )
    for bid in await list_bids(SERVICE_BID, durations=durations):
        nxt = bid["live_deadlines"][0] if bid["live_deadlines"] else None
        rows.append(
            {
                "type": "service",
                "id": str(bid["id"]),
                "name": bid["service_name"],
                "nominating_group": bid["group_name"],
                "group_org_id": bid["group_org_id"] or "",
                "local_authority": bid["local_authority"],
                "stage": bid["stage"],
                "decision_due": _iso(bid["decision_due"]),
                **{name: _iso(bid[name]) for name in SERVICE_DATE_FIELDS},
                "decision_period": bid["decision_period"],
                "decision": bid["decision"] or "",
                "next_deadline": nxt.kind if nxt else "",
                "next_deadline_on": _iso(nxt.on) if nxt else "",
            }
        )
    return [{column: row.get(column, "") for column in BID_CSV_COLUMNS} for row in rows]


async def pools_with_grants() -> set[int]:
    """Pools that have made Community Rights programme grants (the programme pool): an
    inactive one runs no allocation rounds, so it has no amount "each round"."""
    rows = await ProgrammeGrant.select(ProgrammeGrant.pool).distinct()
    return {row["pool"] for row in rows}
