"""Bar chart geometry for server-rendered SVG (pure: no web, no database).

The template draws what this computes with attributes and CSS classes only: the page's
Content-Security-Policy allows no inline styles."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 24, 44  # room for the scale, value labels and months


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str  # "Jan"
    sublabel: str  # the year, under January and the first month
    full_label: str  # "January 2026"
    centre: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    gridlines: list[tuple[float, int]]  # (y, value)
    baseline: float
    left: float
    right: float
    total: int
    peak: Bar | None


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `value` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def monthly_bar_chart(points: list[tuple[date, int]]) -> BarChart:
    """One bar per month, scaled to a round maximum with gridlines at 0, half and the top."""
    top = nice_ceiling(max((count for _, count in points), default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = plot_width / max(len(points), 1)
    bar_width = slot * 0.7
    bars = []
    for index, (month, count) in enumerate(points):
        height = plot_height * count / top
        x = LEFT + index * slot + (slot - bar_width) / 2
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(baseline - height, 1),
                width=round(bar_width, 1),
                height=round(height, 1),
                value=count,
                label=month.strftime("%b"),
                sublabel=str(month.year) if index == 0 or month.month == 1 else "",
                full_label=month.strftime("%B %Y"),
                centre=round(x + bar_width / 2, 1),
            )
        )
    halves = sorted({0, top // 2, top}) if top >= 2 else [0, top]
    gridlines = [(round(baseline - plot_height * value / top, 1), value) for value in halves]
    peak = max(bars, key=lambda bar: bar.value, default=None)
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        gridlines=gridlines,
        baseline=baseline,
        left=LEFT,
        right=WIDTH - RIGHT,
        total=sum(count for _, count in points),
        peak=peak if peak is not None and peak.value > 0 else None,
    )
