from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.programme.clocks import (
    AssetBidDates,
    AssetBidDeadlines,
    ClockDurations,
    Duration,
    add_days_deadline,
    add_months_deadline,
    add_weeks_deadline,
    add_years_deadline,
    asset_bid_deadlines,
    deadline,
    reminder_dates,
    service_bid_deadlines,
    validate_asset_bid_dates,
    validate_service_bid_dates,
)

D = date
dates = st.dates(min_value=D(1990, 1, 1), max_value=D(2200, 12, 31))


@pytest.mark.parametrize(
    ("start", "weeks", "expected"),
    [
        (D(2023, 8, 31), 6, D(2023, 10, 11)),
        (D(2024, 1, 1), 1, D(2024, 1, 7)),
        (D(2024, 2, 1), 8, D(2024, 3, 27)),
        (D(2023, 12, 25), 2, D(2024, 1, 7)),
    ],
)
def test_weeks(start, weeks, expected):
    assert add_weeks_deadline(start, weeks) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2023, 8, 31), 6, D(2024, 2, 29)),  # leap year: last day of February
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2023, 8, 30), 6, D(2024, 2, 29)),  # 30 Feb does not exist either
        (D(2023, 8, 29), 6, D(2024, 2, 28)),  # 29 Feb 2024 exists: the day before
        (D(2024, 8, 29), 6, D(2025, 2, 28)),  # 29 Feb 2025 does not
        (D(2024, 1, 15), 1, D(2024, 2, 14)),
        (D(2024, 1, 1), 1, D(2024, 1, 31)),
        (D(2024, 3, 31), 1, D(2024, 4, 30)),  # no 31 April: last day of April
        (D(2024, 5, 31), 1, D(2024, 6, 30)),
        (D(2024, 4, 30), 1, D(2024, 5, 29)),
        (D(2024, 2, 29), 1, D(2024, 3, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 28)),  # 29 Feb 2028 exists
        (D(2023, 8, 31), 18, D(2025, 2, 28)),
        (D(2024, 12, 31), 2, D(2025, 2, 28)),
        (D(2024, 11, 15), 2, D(2025, 1, 14)),  # crosses the year
    ],
)
def test_months(start, months, expected):
    assert add_months_deadline(start, months) == expected


def test_years():
    assert add_years_deadline(D(2024, 3, 1), 5) == D(2029, 2, 28)
    assert add_years_deadline(D(2024, 2, 29), 5) == D(2029, 2, 28)
    assert add_years_deadline(D(2023, 6, 15), 5) == D(2028, 6, 14)


def test_days():
    assert add_days_deadline(D(2024, 1, 1), 1) == D(2024, 1, 1)
    assert add_days_deadline(D(2024, 1, 1), 28) == D(2024, 1, 28)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_non_positive_periods_are_refused(bad):
    with pytest.raises(ValueError):
        add_weeks_deadline(D(2024, 1, 1), bad)
    with pytest.raises(ValueError):
        add_months_deadline(D(2024, 1, 1), bad)
    with pytest.raises(ValueError):
        Duration(bad, "days")


def test_generic_deadline():
    start = D(2023, 8, 31)
    assert deadline(start, Duration(10, "days")) == D(2023, 9, 9)
    assert deadline(start, Duration(6, "weeks")) == D(2023, 10, 11)
    assert deadline(start, Duration(6, "months")) == D(2024, 2, 29)
    assert deadline(start, Duration(1, "years")) == D(2024, 8, 30)
    assert str(Duration(1, "weeks")) == "1 week"
    assert str(Duration(8, "weeks")) == "8 weeks"
    with pytest.raises(ValueError):
        Duration(1, "fortnights")  # type: ignore[arg-type]


def test_asset_bid_deadlines_full_case():
    dates = AssetBidDates(
        nominated_on=D(2022, 1, 10),
        listed_on=D(2022, 3, 1),
        disposal_notice_on=D(2023, 8, 31),
        bidder_request_on=D(2023, 9, 20),
    )
    assert asset_bid_deadlines(dates) == AssetBidDeadlines(
        decision_due=D(2022, 3, 6),
        listing_expires=D(2027, 2, 28),
        interim_moratorium_end=D(2023, 10, 11),
        full_moratorium_end=D(2024, 2, 29),
        protected_period_end=D(2025, 2, 28),
    )
    assert validate_asset_bid_dates(dates) == []


def test_no_full_moratorium_without_a_timely_request():
    notice = D(2023, 8, 31)
    no_request = asset_bid_deadlines(AssetBidDates(disposal_notice_on=notice))
    assert no_request.interim_moratorium_end == D(2023, 10, 11)
    assert no_request.full_moratorium_end is None
    assert no_request.protected_period_end == D(2025, 2, 28)

    on_last_day = AssetBidDates(disposal_notice_on=notice, bidder_request_on=D(2023, 10, 11))
    assert asset_bid_deadlines(on_last_day).full_moratorium_end == D(2024, 2, 29)

    too_late = AssetBidDates(disposal_notice_on=notice, bidder_request_on=D(2023, 10, 12))
    assert asset_bid_deadlines(too_late).full_moratorium_end is None


def test_nothing_known_yet():
    assert asset_bid_deadlines(AssetBidDates()) == AssetBidDeadlines()
    assert validate_asset_bid_dates(AssetBidDates()) == []


def test_durations_are_configurable():
    durations = ClockDurations(interim_moratorium_weeks=8, full_moratorium_months=9)
    result = asset_bid_deadlines(
        AssetBidDates(disposal_notice_on=D(2024, 1, 1), bidder_request_on=D(2024, 2, 20)),
        durations,
    )
    assert result.interim_moratorium_end == D(2024, 2, 25)
    assert result.full_moratorium_end == D(2024, 9, 30)
    with pytest.raises(ValueError):
        ClockDurations(listing_years=0)


def test_statutory_defaults():
    assert ClockDurations() == ClockDurations(
        nomination_decision_weeks=8,
        listing_years=5,
        interim_moratorium_weeks=6,
        full_moratorium_months=6,
        protected_period_months=18,
    )


def test_validation_messages():
    problems = validate_asset_bid_dates(
        AssetBidDates(
            nominated_on=D(2024, 3, 1),
            listed_on=D(2024, 2, 1),
            disposal_notice_on=D(2024, 1, 1),
            bidder_request_on=D(2023, 12, 1),
        )
    )
    assert len(problems) == 3
    assert (
        "listing date (1 February 2024) is before the nomination date (1 March 2024)"
        in (problems[0])
    )
    assert "notice of disposal (1 January 2024) is before the listing date" in problems[1]
    assert "bidder (1 December 2023) is before the notice of disposal" in problems[2]


def test_validation_request_after_interim_moratorium():
    problems = validate_asset_bid_dates(
        AssetBidDates(disposal_notice_on=D(2023, 8, 31), bidder_request_on=D(2023, 10, 12))
    )
    assert problems == [
        "The request to be treated as a bidder (12 October 2023) is after the interim "
        "moratorium's last day (11 October 2023), so it does not start the full moratorium."
    ]


def test_validation_request_without_notice_and_notice_after_listing_expired():
    assert (
        "no notice of disposal"
        in validate_asset_bid_dates(AssetBidDates(bidder_request_on=D(2024, 1, 1)))[0]
    )
    expired = validate_asset_bid_dates(
        AssetBidDates(listed_on=D(2018, 1, 1), disposal_notice_on=D(2023, 1, 1))
    )
    assert expired and "after the listing expired (31 December 2022)" in expired[0]


def test_service_bids():
    assert service_bid_deadlines(D(2024, 5, 31), Duration(3, "months")).decision_due == D(
        2024, 8, 30
    )
    assert service_bid_deadlines(D(2024, 5, 1), Duration(90, "days")).decision_due == D(2024, 7, 29)
    assert validate_service_bid_dates(D(2024, 5, 1), D(2024, 4, 1), D(2024, 6, 30)) == []
    assert (
        "before the authority's window opens"
        in validate_service_bid_dates(D(2024, 3, 1), D(2024, 4, 1))[0]
    )
    assert (
        "after the authority's window closed"
        in validate_service_bid_dates(D(2024, 7, 1), None, D(2024, 6, 30))[0]
    )


def test_reminder_dates():
    due = D(2024, 2, 29)
    assert reminder_dates(due) == [D(2024, 2, 15), D(2024, 2, 26)]
    assert reminder_dates(due, (3, 14, 3, 0)) == [D(2024, 2, 15), D(2024, 2, 26), due]
    assert reminder_dates(due, not_before=D(2024, 2, 20)) == [D(2024, 2, 26)]
    assert reminder_dates(due, ()) == []
    with pytest.raises(ValueError):
        reminder_dates(due, (-1,))


@given(dates, st.integers(min_value=1, max_value=600))
def test_month_deadline_properties(start, months):
    end = add_months_deadline(start, months)
    assert end >= start
    # The period always ends in the month `months` later, or the last day of the one before.
    target_month = (start.month - 1 + months) % 12 + 1
    assert end.month == target_month or (
        start.day == 1 and (end + timedelta(days=1)).month == target_month
    )


@given(dates, dates, st.sampled_from(["days", "weeks", "months", "years"]), st.integers(1, 60))
def test_deadline_is_monotonic_in_start(a, b, unit, amount):
    early, late = sorted((a, b))
    duration = Duration(amount, unit)
    assert deadline(early, duration) <= deadline(late, duration)
    assert deadline(early, duration) >= early


@given(dates, st.integers(min_value=1, max_value=520))
def test_week_deadline_is_a_whole_number_of_weeks_less_one_day(start, weeks):
    end = add_weeks_deadline(start, weeks)
    assert (end - start).days == 7 * weeks - 1


@given(dates, dates, dates, dates)
def test_deadlines_and_validation_never_raise(a, b, c, d):
    dates_ = AssetBidDates(a, b, c, d)
    result = asset_bid_deadlines(dates_)
    problems = validate_asset_bid_dates(dates_)
    if result.full_moratorium_end is None:
        assert any("bidder" in p for p in problems)
