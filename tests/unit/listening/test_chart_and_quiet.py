from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.listening.chart import HEIGHT, WIDTH, monthly_bar_chart, nice_ceiling
from groundswell.listening.tally import VoiceTrend, months_ending
from groundswell.listening.trends import quiet


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (11, 20), (45, 50), (101, 200)]
)
def test_nice_ceiling(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling


def test_months_ending_cross_a_year() -> None:
    assert months_ending(date(2026, 2, 17), 4) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_bars_are_scaled_to_the_round_maximum_and_labelled() -> None:
    months = months_ending(date(2026, 3, 1), 12)
    chart = monthly_bar_chart([(m, i) for i, m in enumerate(months)])
    assert len(chart.bars) == 12 and chart.total == sum(range(12))
    tallest = chart.bars[-1]
    assert tallest.value == 11 and chart.peak == tallest
    # 11 rounds up to 20: the tallest bar reaches a bit over half the plot.
    assert [value for _, value in chart.gridlines] == [0, 10, 20]
    assert chart.bars[0].height == 0 and chart.bars[0].sublabel == "2025"
    assert chart.bars[9].label == "Jan" and chart.bars[9].sublabel == "2026"
    assert chart.bars[-1].full_label == "March 2026"


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=24))
def test_every_bar_fits_inside_the_picture(counts: list[int]) -> None:
    months = months_ending(date(2026, 6, 1), len(counts))
    chart = monthly_bar_chart(list(zip(months, counts, strict=True)))
    for bar in chart.bars:
        assert bar.x >= 0 and bar.x + bar.width <= WIDTH
        assert 0 <= bar.y <= chart.baseline <= HEIGHT and bar.height >= 0
        assert abs(bar.y + bar.height - chart.baseline) < 0.2
    assert chart.peak is None or chart.peak.value == max(counts)


@pytest.mark.parametrize(
    ("recent", "previous", "expected"),
    [
        (12, 10, None),
        (10, 12, None),  # a little down is not falling
        (9, 12, "9 voices in the last 90 days, down from 12 in the 90 days before."),
        (4, 3, "Only 4 voices in the last 90 days (3 in the 90 days before)."),
        (1, 0, "Only 1 voice in the last 90 days, and none in the 90 days before."),
        (0, 0, "No voices in the last 90 days, and none in the 90 days before."),
        (2, 20, "Only 2 voices in the last 90 days, down from 20 in the 90 days before."),
    ],
)
def test_quiet_organisers_have_few_or_falling_voices(
    recent: int, previous: int, expected: str | None
) -> None:
    result = quiet(VoiceTrend(recent=recent, previous=previous, total=recent + previous))
    assert (result.reason if result else None) == expected
