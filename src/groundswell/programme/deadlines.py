"""Which deadlines matter for a bid at its stage, and which reminder of each is due.

Pure: no I/O. The clocks (clocks.py) say when each period ends; this module says which of
those ends a group still needs to hear about, in words they can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from groundswell.programme.clocks import AssetBidDeadlines
from groundswell.programme.states import AssetBidStage, ServiceBidStage

REMINDER_DAYS_BEFORE: tuple[int, ...] = (14, 3)

ASSET_DEADLINE_LABELS: Mapping[str, str] = {
    "decision_due": "The council's decision on the nomination is due",
    "listing_expires": "The listing expires",
    "interim_moratorium_end": "The interim moratorium ends",
    "full_moratorium_end": "The full moratorium ends",
    "protected_period_end": "The protected period ends",
}

SERVICE_DEADLINE_LABELS: Mapping[str, str] = {
    "eoi_window_closes": "The authority's window for expressions of interest closes",
    "decision_due": "The authority's decision is due",
}

# What a group can still do before each deadline: the reason the reminder is worth sending.
ADVICE: Mapping[tuple[str, str], str] = {
    ("asset", "decision_due"): (
        "By this day the council should have decided whether to list the asset. If you have "
        "heard nothing, ask the council's community rights officer."
    ),
    ("asset", "listing_expires"): (
        "After this day the asset is no longer listed and the moratorium rules stop applying. "
        "If the asset still matters to the community, prepare a new nomination now."
    ),
    ("asset", "interim_moratorium_end"): (
        "To be treated as a potential bidder, your group must ask the council in writing by "
        "the end of this day. A request in time starts the full moratorium; without one the "
        "owner may sell to anyone once this day has passed."
    ),
    ("asset", "full_moratorium_end"): (
        "The owner may sell only to a community interest group until the end of this day. "
        "Make sure your offer is with the owner before then."
    ),
    ("asset", "protected_period_end"): (
        "Until the end of this day the owner cannot start another moratorium by giving a new "
        "notice; after it, a new notice starts the clocks again."
    ),
    ("service", "eoi_window_closes"): (
        "The authority only considers expressions of interest received within its published "
        "window. Submit yours by the end of this day."
    ),
    ("service", "decision_due"): (
        "The authority said it would decide within this period. If you have heard nothing by "
        "the end of this day, ask for its decision and its reasons."
    ),
}


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: str
    label: str
    on: date


def asset_bid_live_deadlines(stage: AssetBidStage, deadlines: AssetBidDeadlines) -> list[Deadline]:
    """The deadlines a group bidding for an asset still needs to act on at ``stage``.

    A listing's expiry is moot once the owner has given notice, and the moratoria are moot
    once the bid has ended; reminding anyone of them would be noise.
    """
    kinds: tuple[str, ...] = ()
    if stage is AssetBidStage.NOMINATED:
        kinds = ("decision_due",)
    elif stage is AssetBidStage.LISTED:
        kinds = ("listing_expires",)
    elif stage is AssetBidStage.INTERIM_MORATORIUM:
        kinds = ("interim_moratorium_end",)
    elif stage in (AssetBidStage.FULL_MORATORIUM, AssetBidStage.BID_SUBMITTED):
        kinds = ("full_moratorium_end", "protected_period_end")
    return [
        Deadline(kind, ASSET_DEADLINE_LABELS[kind], on)
        for kind in kinds
        if (on := getattr(deadlines, kind)) is not None
    ]


def service_bid_live_deadlines(
    stage: ServiceBidStage, *, window_closes_on: date | None, decision_due: date | None
) -> list[Deadline]:
    found: list[Deadline] = []
    if stage is ServiceBidStage.PREPARING and window_closes_on is not None:
        found.append(
            Deadline(
                "eoi_window_closes", SERVICE_DEADLINE_LABELS["eoi_window_closes"], window_closes_on
            )
        )
    if stage is ServiceBidStage.EOI_SUBMITTED and decision_due is not None:
        found.append(
            Deadline("decision_due", SERVICE_DEADLINE_LABELS["decision_due"], decision_due)
        )
    return found


def due_reminder(
    deadline: date, today: date, days_before: Iterable[int] = REMINDER_DAYS_BEFORE
) -> int | None:
    """Which reminder of ``deadline`` is due on ``today``, as its days-before, or None.

    The due one is the latest whose date has come, while the deadline has not passed. So a
    missed day (the scheduler was down) is caught up the next day, and a bid entered late
    gets one reminder, not a burst of stale ones: entered 2 days before its deadline, only
    the 3-day reminder goes, never the 14-day one.
    """
    if today > deadline:
        return None
    due = [days for days in days_before if (deadline - today).days <= days]
    return min(due) if due else None


def days_left_phrase(deadline: date, today: date) -> str:
    days = (deadline - today).days
    if days < 0:
        return f"passed {-days} day{'s' if days != -1 else ''} ago"
    if days == 0:
        return "today is the last day"
    return f"{days} day{'s' if days != 1 else ''} left"
