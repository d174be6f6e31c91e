from datetime import date

from groundswell.programme.timeline import (
    LABEL_WIDTH,
    MIN_BAR,
    WIDTH,
    Event,
    Period,
    build_timeline,
)


def test_nothing_to_draw() -> None:
    assert build_timeline([], [], date(2024, 1, 1)) is None


def test_bars_share_one_axis_and_today_is_marked() -> None:
    notice = date(2023, 8, 31)
    timeline = build_timeline(
        [
            Period("listing_expires", "Listed", date(2023, 1, 5), date(2028, 1, 4)),
            Period("interim_moratorium_end", "Interim moratorium", notice, date(2023, 10, 11)),
        ],
        [Event("Notice of disposal", notice)],
        date(2023, 9, 20),
    )
    assert timeline is not None
    listed, interim = timeline.bars
    assert listed.x == LABEL_WIDTH and listed.x + listed.width <= WIDTH
    assert interim.width >= MIN_BAR  # six weeks beside five years still shows
    assert interim.state == "running" and listed.state == "running"
    assert timeline.markers[0].x == interim.x
    assert timeline.today_x is not None and interim.x < timeline.today_x < interim.x + interim.width
    assert [tick.label for tick in timeline.ticks][:2] == ["2024", "2025"]
    assert timeline.first == date(2023, 1, 5) and timeline.last == date(2028, 1, 4)


def test_short_spans_get_month_ticks_and_past_bars() -> None:
    timeline = build_timeline(
        [Period("decision_due", "Council decides", date(2024, 1, 10), date(2024, 3, 5))],
        [],
        date(2024, 6, 1),
    )
    assert timeline is not None
    assert timeline.bars[0].state == "past" and timeline.today_x is None
    assert [tick.label for tick in timeline.ticks] == ["Feb 2024", "Mar"]
