"""What is particular to each kind of bid: an asset (Community Right to Bid) or a service
(Community Right to Challenge). Their fields, the facts only one of them records, the checks
and deadlines those facts bring, and the two `BidKind`s that `bids.py` works over.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from groundswell.community.identifiers import normalise_postcode
from groundswell.core.forms import FieldReader
from groundswell.programme.bids import BidKind
from groundswell.programme.clocks import (
    AssetBidDates,
    ClockDurations,
    Duration,
    asset_bid_date_problems,
    asset_bid_deadlines,
    deadline,
    human_date,
    service_bid_date_problems,
)
from groundswell.programme.deadlines import asset_bid_live_deadlines, service_bid_live_deadlines
from groundswell.programme.inputs import GROUP_FIELDS, read_optional_number
from groundswell.programme.states import (
    ASSET_MANUAL_STAGES,
    ASSET_TRANSITIONS,
    SERVICE_MANUAL_STAGES,
    SERVICE_TRANSITIONS,
    AssetBidStage,
    ServiceBidStage,
    ServiceDecision,
    asset_stage_after,
    asset_stage_needs,
    service_stage_after,
    service_stage_needs,
)
from groundswell.programme.tables import AssetBid, ServiceBid

# ---------------------------------------------------------------------------------------
# Assets (Right to Bid)

_ASSET_DATE_FIELDS = ("nominated_on", "listed_on", "disposal_notice_on", "bidder_request_on")
_ASSET_FIELDS = (
    "asset_name",
    "address",
    "postcode",
    "owner",
    "local_authority",
    "locality_id",
    *GROUP_FIELDS,
    *_ASSET_DATE_FIELDS,
    "fundraising_target",
    "amount_raised",
    "notes",
)


def _read_asset_details(
    fields: FieldReader, present: set[str], values: dict[str, Any], minor_units: bool
) -> None:
    if "address" in present:
        values["address"] = fields.text("address", required=False, max_length=500)
    if "postcode" in present:
        values["postcode"] = fields.normalised("postcode", normalise_postcode, max_length=10) or ""
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


def _asset_dates(row: Mapping[str, Any]) -> AssetBidDates:
    return AssetBidDates(**{name: row.get(name) for name in _ASSET_DATE_FIELDS})


def _check_asset_facts(
    row: Mapping[str, Any], durations: ClockDurations, errors: dict[str, str]
) -> None:
    for problem in asset_bid_date_problems(_asset_dates(row), durations):
        errors.setdefault(problem.field, problem.message)


def _add_asset_deadlines(row: dict[str, Any], stage: Any, durations: ClockDurations) -> None:
    deadlines = asset_bid_deadlines(_asset_dates(row), durations)
    row["deadlines"] = deadlines
    row["live_deadlines"] = asset_bid_live_deadlines(stage, deadlines)


# ---------------------------------------------------------------------------------------
# Services (Right to Challenge)

_SERVICE_DATE_FIELDS = (
    "window_opens_on",
    "window_closes_on",
    "eoi_on",
    "decided_on",
    "procurement_starts_on",
    "procurement_ends_on",
)
_SERVICE_FIELDS = (
    "service_name",
    "local_authority",
    "locality_id",
    *GROUP_FIELDS,
    *_SERVICE_DATE_FIELDS,
    "decision_period_amount",
    "decision_period_unit",
    "decision",
    "rejection_grounds",
    "notes",
)
_DECISION_PERIOD_UNITS = ("days", "weeks", "months")


def _read_no_details(
    fields: FieldReader, present: set[str], values: dict[str, Any], minor_units: bool
) -> None:
    """A service bid has nothing between its name and the authority."""


def _read_service_decision(
    fields: FieldReader, present: set[str], values: dict[str, Any], minor_units: bool
) -> None:
    if "decision_period_amount" in present:
        values["decision_period_amount"] = read_optional_number(
            fields, "decision_period_amount", maximum=366
        )
    if "decision_period_unit" in present:
        unit = fields.text("decision_period_unit", required=False, max_length=8).lower()
        if unit and unit not in _DECISION_PERIOD_UNITS:
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


def _decision_period(row: Mapping[str, Any]) -> Duration | None:
    amount, unit = row.get("decision_period_amount"), row.get("decision_period_unit")
    if not amount or unit not in _DECISION_PERIOD_UNITS:
        return None
    return Duration(int(amount), unit)


def _service_decision_due(row: Mapping[str, Any]) -> date | None:
    period = _decision_period(row)
    if period is None or row.get("eoi_on") is None:
        return None
    return deadline(row["eoi_on"], period)


def _add_service_deadlines(row: dict[str, Any], stage: Any, durations: ClockDurations) -> None:
    row["decision_due"] = _service_decision_due(row)
    row["decision_label"] = ServiceDecision(row["decision"]).label if row.get("decision") else ""
    period = _decision_period(row)
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


# ---------------------------------------------------------------------------------------
# The two kinds


ASSET_BID = BidKind(
    key="asset",
    noun="asset bid",
    right="Right to Bid",
    table=AssetBid,
    name_field="asset_name",
    fields=_ASSET_FIELDS,
    date_fields=_ASSET_DATE_FIELDS,
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
    right="Right to Challenge",
    table=ServiceBid,
    name_field="service_name",
    fields=_SERVICE_FIELDS,
    date_fields=_SERVICE_DATE_FIELDS,
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
