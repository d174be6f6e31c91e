from datetime import date

import pytest

from groundswell.allocation.periods import Period, next_period, period_containing, previous_period


@pytest.mark.parametrize(
    ("day", "cadence", "start", "end"),
    [
        (date(2025, 1, 1), "quarterly", date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 3, 31), "quarterly", date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), "quarterly", date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 12, 31), "quarterly", date(2025, 10, 1), date(2025, 12, 31)),
        (date(2024, 2, 10), "monthly", date(2024, 2, 1), date(2024, 2, 29)),
        (date(2025, 2, 28), "monthly", date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 12, 5), "monthly", date(2025, 12, 1), date(2025, 12, 31)),
    ],
)
def test_calendar_periods(day: date, cadence: str, start: date, end: date) -> None:
    period = period_containing(day, cadence)
    assert period == Period(start, end)
    assert day in period


def test_neighbouring_periods_touch_without_gaps() -> None:
    period = period_containing(date(2025, 11, 15), "quarterly")
    after = next_period(period, "quarterly")
    assert after == Period(date(2026, 1, 1), date(2026, 3, 31))
    assert previous_period(after, "quarterly") == period
    assert previous_period(Period(date(2025, 1, 1), date(2025, 1, 31)), "monthly") == Period(
        date(2024, 12, 1), date(2024, 12, 31)
    )
    assert Period(date(2025, 1, 1), date(2025, 3, 31)).label() == "Jan–Mar 2025"
    assert Period(date(2025, 2, 1), date(2025, 2, 28)).label() == "February 2025"


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (date(2026, 9, 1), date(2026, 9, 30), "September 2026"),
        (date(2026, 7, 1), date(2026, 9, 30), "July to September 2026"),
        (date(2026, 12, 1), date(2027, 2, 28), "December 2026 to February 2027"),
    ],
)
def test_a_period_in_words_never_repeats_its_month(start: date, end: date, words: str) -> None:
    assert Period(start, end).in_words() == words
