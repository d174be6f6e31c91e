"""The programme's dashboard (bids by stage, the deadlines coming up with their reminders,
grants) and its CSV export of every bid with its deadlines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from groundswell.core.clock import today
from groundswell.core.dates import iso_or_blank
from groundswell.core.money import major_amount
from groundswell.programme.bids import BidKind, list_bids
from groundswell.programme.clocks import AssetBidDeadlines, ClockDurations
from groundswell.programme.deadlines import REMINDER_DAYS_BEFORE, days_left_phrase
from groundswell.programme.grants import list_grants
from groundswell.programme.kinds import ASSET_BID, SERVICE_BID
from groundswell.programme.reminders import live_deadlines, recent_reminders
from groundswell.programme.states import AssetBidStage, ServiceBidStage
from groundswell.programme.tables import ProgrammeReminder


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


def _csv_row(kind: BidKind, bid: dict[str, Any]) -> dict[str, str]:
    """The columns every bid has: what and whose it is, its stage, dates and next deadline."""
    nxt = bid["live_deadlines"][0] if bid["live_deadlines"] else None
    return {
        "type": kind.key,
        "id": str(bid["id"]),
        "name": bid[kind.name_field],
        "nominating_group": bid["group_name"],
        "group_org_id": bid["group_org_id"] or "",
        "local_authority": bid["local_authority"],
        "stage": bid["stage"],
        **{name: iso_or_blank(bid[name]) for name in kind.date_fields},
        "next_deadline": nxt.kind if nxt else "",
        "next_deadline_on": iso_or_blank(nxt.on if nxt else None),
    }


async def bid_csv_rows(durations: ClockDurations) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for bid in await list_bids(ASSET_BID, durations=durations):
        deadlines: AssetBidDeadlines = bid["deadlines"]
        rows.append(
            {
                **_csv_row(ASSET_BID, bid),
                "postcode": bid["postcode"],
                "owner": bid["owner"],
                "decision_due": iso_or_blank(deadlines.decision_due),
                "listing_expires": iso_or_blank(deadlines.listing_expires),
                "interim_moratorium_end": iso_or_blank(deadlines.interim_moratorium_end),
                "full_moratorium_end": iso_or_blank(deadlines.full_moratorium_end),
                "protected_period_end": iso_or_blank(deadlines.protected_period_end),
                "currency": bid["currency"],
                "fundraising_target": major_amount(bid["fundraising_target"]),
                "amount_raised": major_amount(bid["amount_raised"]),
            }
        )
    for bid in await list_bids(SERVICE_BID, durations=durations):
        rows.append(
            {
                **_csv_row(SERVICE_BID, bid),
                "decision_due": iso_or_blank(bid["decision_due"]),
                "decision_period": bid["decision_period"],
                "decision": bid["decision"] or "",
            }
        )
    return [{column: row.get(column, "") for column in BID_CSV_COLUMNS} for row in rows]
