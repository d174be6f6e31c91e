"""Geometry for a bid's timeline, drawn as server-side SVG (no JavaScript, no inline style).

Pure: dates in, coordinates out. One row per period, a label column on the left, a
linear time axis on the right with ticks, markers for the events that started the clocks,
and a line for today. The template draws exactly what this computes, and the same rows
fill the table that is the chart's text alternative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from groundswell.programme.clocks import AssetBidDeadlines

WIDTH = 760
LABEL_WIDTH = 210
RIGHT_PAD = 24
ROW_HEIGHT = 40
TOP = 36  # room for the tick labels and event markers
BAR_HEIGHT = 14
MIN_BAR = 3.0  # a six-week bar beside a five-year one still shows


@dataclass(frozen=True, slots=True)
class Period:
    kind: str
    label: str
    start: date
    end: date  # the last day, included


@dataclass(frozen=True, slots=True)
class Event:
    label: str
    on: date


@dataclass(frozen=True, slots=True)
class Bar:
    period: Period
    x: float
    y: float
    width: float
    label_y: float
    state: str  # "past", "running" or "future" relative to today


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Marker:
    event: Event
    x: float


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    height: int
    axis_x: int
    axis_end: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    today_x: float | None
    first: date
    last: date


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def build_timeline(
    periods: Sequence[Period], events: Sequence[Event], today: date
) -> Timeline | None:
    """Lay out ``periods`` on one time axis; None when there is nothing to draw yet."""
    if not periods:
        return None
    first = min([p.start for p in periods] + [e.on for e in events])
    # The axis runs to the day after the last deadline, so the last day has width too.
    last = max(p.end for p in periods) + timedelta(days=1)
    span_days = max((last - first).days, 1)
    axis_x = LABEL_WIDTH
    axis_width = WIDTH - LABEL_WIDTH - RIGHT_PAD

    def x_of(day: date) -> float:
        return round(axis_x + axis_width * (day - first).days / span_days, 1)

    bars = []
    for index, period in enumerate(periods):
        x = x_of(period.start)
        width = max(x_of(period.end + timedelta(days=1)) - x, MIN_BAR)
        y = TOP + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        if period.end < today:
            state = "past"
        elif period.start <= today:
            state = "running"
        else:
            state = "future"
        bars.append(Bar(period, x, y, round(width, 1), y + BAR_HEIGHT - 3, state))
    height = TOP + len(periods) * ROW_HEIGHT + 8
    today_x = x_of(today) if first <= today <= last else None
    return Timeline(
        width=WIDTH,
        height=height,
        axis_x=axis_x,
        axis_end=axis_x + axis_width,
        bars=tuple(bars),
        ticks=tuple(Tick(x_of(day), text) for day, text in _ticks(first, last)),
        markers=tuple(Marker(event, x_of(event.on)) for event in events),
        today_x=today_x,
        first=first,
        last=last - timedelta(days=1),
    )


def _ticks(first: date, last: date) -> list[tuple[date, str]]:
    """Year ticks for long spans, otherwise month ticks, at most about eight of them."""
    span = (last - first).days
    if span > 3 * 365:
        step_years = max(1, round(span / 365 / 7))
        return [
            (date(year, 1, 1), str(year))
            for year in range(first.year + 1, last.year + 1, step_years)
        ]
    months = []
    year, month = first.year, first.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = date(year, month, 1)
        if day > last:
            break
        months.append(day)
    step = max(1, -(-len(months) // 8))
    return [
        (
            day,
            f"{_MONTHS[day.month - 1]} {day.year}"
            if day.month == 1 or i == 0
            else _MONTHS[day.month - 1],
        )
        for i, day in enumerate(months[::step])
    ]


# The periods of each kind of bid, from a bid as the services return it.


def asset_timeline(bid: Mapping[str, Any], on: date) -> Timeline | None:
    deadlines: AssetBidDeadlines = bid["deadlines"]
    periods: list[Period] = []
    events: list[Event] = []
    if bid["nominated_on"]:
        events.append(Event("Nominated", bid["nominated_on"]))
        if deadlines.decision_due:
            periods.append(
                Period(
                    "decision_due", "Council decides", bid["nominated_on"], deadlines.decision_due
                )
            )
    if bid["listed_on"]:
        events.append(Event("Listed", bid["listed_on"]))
        if deadlines.listing_expires:
            periods.append(
                Period("listing_expires", "Listed", bid["listed_on"], deadlines.listing_expires)
            )
    notice = bid["disposal_notice_on"]
    if notice:
        events.append(Event("Notice of disposal", notice))
        if deadlines.interim_moratorium_end:
            periods.append(
                Period(
                    "interim_moratorium_end",
                    "Interim moratorium",
                    notice,
                    deadlines.interim_moratorium_end,
                )
            )
        if deadlines.full_moratorium_end:
            periods.append(
                Period(
                    "full_moratorium_end", "Full moratorium", notice, deadlines.full_moratorium_end
                )
            )
        if deadlines.protected_period_end:
            periods.append(
                Period(
                    "protected_period_end",
                    "Protected period",
                    notice,
                    deadlines.protected_period_end,
                )
            )
    if bid["bidder_request_on"]:
        events.append(Event("Request to bid", bid["bidder_request_on"]))
    return build_timeline(periods, events, on)


def service_timeline(bid: Mapping[str, Any], on: date) -> Timeline | None:
    periods: list[Period] = []
    events: list[Event] = []
    if bid["window_opens_on"] and bid["window_closes_on"]:
        periods.append(
            Period(
                "eoi_window_closes",
                "Window for interest",
                bid["window_opens_on"],
                bid["window_closes_on"],
            )
        )
    if bid["eoi_on"]:
        events.append(Event("Expression of interest", bid["eoi_on"]))
        if bid["decision_due"]:
            periods.append(
                Period("decision_due", "Authority decides", bid["eoi_on"], bid["decision_due"])
            )
    if bid["decided_on"]:
        events.append(Event("Decision", bid["decided_on"]))
    if bid["procurement_starts_on"]:
        end = bid["procurement_ends_on"] or bid["procurement_starts_on"]
        periods.append(Period("procurement", "Procurement", bid["procurement_starts_on"], end))
    return build_timeline(periods, events, on)
