"""Statutory clocks for Community Right to Bid and Community Right to Challenge.

Pure date arithmetic, no I/O. The rule, from DESIGN.md "Statutory clocks": a period includes
its start date, and its deadline is the last day of the period.

* N days   -> start + N days - 1 day
* N weeks  -> start + N weeks - 1 day (6 weeks from 31 August -> 11 October)
* N months -> the day before the same day of the month N months later, or, where that day
  does not exist, the last day of that month (6 months from 31 August -> the last day of
  February, 28th or 29th)
* N years  -> N x 12 months

Deadlines are calendar days: nothing moves for weekends or bank holidays. Durations are
configuration (``ClockDurations``) with the current statutory defaults, because the law
changes.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = [
    "AssetBidDates",
    "AssetBidDeadlines",
    "ClockDurations",
    "DateProblem",
    "Duration",
    "DurationUnit",
    "ServiceBidDeadlines",
    "add_days_deadline",
    "add_months_deadline",
    "add_weeks_deadline",
    "add_years_deadline",
    "asset_bid_date_problems",
    "asset_bid_deadlines",
    "deadline",
    "human_date",
    "month_and_year",
    "reminder_dates",
    "service_bid_date_problems",
    "service_bid_deadlines",
    "validate_asset_bid_dates",
    "validate_service_bid_dates",
]

DurationUnit = Literal["days", "weeks", "months", "years"]
_ONE_DAY = timedelta(days=1)
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _require_positive(amount: int, unit: str) -> None:
    # A zero-length period would end the day before it starts.
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValueError(f"a period of {unit} must be a whole number of at least 1")


def add_days_deadline(start: date, days: int) -> date:
    """Last day of a period of ``days`` days starting on (and including) ``start``."""
    _require_positive(days, "days")
    return start + timedelta(days=days) - _ONE_DAY


def add_weeks_deadline(start: date, weeks: int) -> date:
    """Last day of a period of ``weeks`` weeks starting on (and including) ``start``."""
    _require_positive(weeks, "weeks")
    return start + timedelta(weeks=weeks) - _ONE_DAY


def add_months_deadline(start: date, months: int) -> date:
    """Last day of a period of ``months`` months starting on (and including) ``start``."""
    _require_positive(months, "months")
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    if start.day > last_day:
        return date(year, month, last_day)
    return date(year, month, start.day) - _ONE_DAY


def add_years_deadline(start: date, years: int) -> date:
    """Last day of a period of ``years`` years: the months rule with 12 x ``years`` months."""
    _require_positive(years, "years")
    return add_months_deadline(start, years * 12)


@dataclass(frozen=True, slots=True)
class Duration:
    """A period as the authority or the statute states it, e.g. ``Duration(8, "weeks")``."""

    amount: int
    unit: DurationUnit

    def __post_init__(self) -> None:
        if self.unit not in ("days", "weeks", "months", "years"):
            raise ValueError(f"unknown duration unit {self.unit!r}")
        _require_positive(self.amount, self.unit)

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


def deadline(start: date, duration: Duration) -> date:
    """Last day of ``duration`` starting on (and including) ``start``."""
    if duration.unit == "days":
        return add_days_deadline(start, duration.amount)
    if duration.unit == "weeks":
        return add_weeks_deadline(start, duration.amount)
    if duration.unit == "months":
        return add_months_deadline(start, duration.amount)
    return add_years_deadline(start, duration.amount)


@dataclass(frozen=True, slots=True)
class ClockDurations:
    """Statutory periods (Localism Act 2011 and the Assets of Community Value regulations).

    Defaults are the law as written at the time; a programme can override them.
    """

    nomination_decision_weeks: int = 8
    listing_years: int = 5
    interim_moratorium_weeks: int = 6
    full_moratorium_months: int = 6
    protected_period_months: int = 18

    def __post_init__(self) -> None:
        _require_positive(self.nomination_decision_weeks, "weeks")
        _require_positive(self.listing_years, "years")
        _require_positive(self.interim_moratorium_weeks, "weeks")
        _require_positive(self.full_moratorium_months, "months")
        _require_positive(self.protected_period_months, "months")


STATUTORY = ClockDurations()


@dataclass(frozen=True, slots=True)
class AssetBidDates:
    """What has happened so far on an asset of community value; None = not yet (or unknown)."""

    nominated_on: date | None = None
    listed_on: date | None = None
    disposal_notice_on: date | None = None
    bidder_request_on: date | None = None


@dataclass(frozen=True, slots=True)
class AssetBidDeadlines:
    """Last days of each period; None until the date it runs from is known.

    ``full_moratorium_end`` is None unless a community interest group asked to be treated as
    a bidder within the interim moratorium: without that request the owner may sell once the
    interim moratorium ends.
    """

    decision_due: date | None = None
    listing_expires: date | None = None
    interim_moratorium_end: date | None = None
    full_moratorium_end: date | None = None
    protected_period_end: date | None = None


def asset_bid_deadlines(
    dates: AssetBidDates, durations: ClockDurations = STATUTORY
) -> AssetBidDeadlines:
    """The Right to Bid deadlines that follow from ``dates``.

    The moratoria and the protected period all run from the owner's notice of disposal.
    """
    decision_due = listing_expires = None
    interim_end = full_end = protected_end = None
    if dates.nominated_on is not None:
        decision_due = add_weeks_deadline(dates.nominated_on, durations.nomination_decision_weeks)
    if dates.listed_on is not None:
        listing_expires = add_years_deadline(dates.listed_on, durations.listing_years)
    notice = dates.disposal_notice_on
    if notice is not None:
        interim_end = add_weeks_deadline(notice, durations.interim_moratorium_weeks)
        protected_end = add_months_deadline(notice, durations.protected_period_months)
        request = dates.bidder_request_on
        if request is not None and notice <= request <= interim_end:
            full_end = add_months_deadline(notice, durations.full_moratorium_months)
    return AssetBidDeadlines(
        decision_due=decision_due,
        listing_expires=listing_expires,
        interim_moratorium_end=interim_end,
        full_moratorium_end=full_end,
        protected_period_end=protected_end,
    )


@dataclass(frozen=True, slots=True)
class DateProblem:
    """A problem with the order of dates, and the date (field) the person should look at."""

    field: str
    message: str


def asset_bid_date_problems(
    dates: AssetBidDates, durations: ClockDurations = STATUTORY
) -> list[DateProblem]:
    """Problems with the order of ``dates``, each naming the field that is out of order.

    Missing dates are not problems: a bid is recorded as it happens.
    """
    problems: list[DateProblem] = []
    nominated, listed = dates.nominated_on, dates.listed_on
    notice, request = dates.disposal_notice_on, dates.bidder_request_on
    if nominated is not None and listed is not None and listed < nominated:
        problems.append(
            DateProblem(
                "listed_on",
                f"The listing date ({_human(listed)}) is before the nomination date "
                f"({_human(nominated)}): an asset is listed only after it is nominated.",
            )
        )
    if listed is not None and notice is not None:
        if notice < listed:
            problems.append(
                DateProblem(
                    "disposal_notice_on",
                    f"The notice of disposal ({_human(notice)}) is before the listing date "
                    f"({_human(listed)}): only a listed asset's owner gives notice.",
                )
            )
        else:
            expires = add_years_deadline(listed, durations.listing_years)
            if notice > expires:
                problems.append(
                    DateProblem(
                        "disposal_notice_on",
                        f"The notice of disposal ({_human(notice)}) is after the listing "
                        f"expired ({_human(expires)}): no moratorium applies to an expired "
                        "listing.",
                    )
                )
    if request is not None:
        if notice is None:
            problems.append(
                DateProblem(
                    "bidder_request_on",
                    f"A request to be treated as a bidder ({_human(request)}) is recorded "
                    "but no notice of disposal: enter the notice date.",
                )
            )
        elif request < notice:
            problems.append(
                DateProblem(
                    "bidder_request_on",
                    f"The request to be treated as a bidder ({_human(request)}) is before the "
                    f"notice of disposal ({_human(notice)}): it must come after the notice.",
                )
            )
        else:
            interim_end = add_weeks_deadline(notice, durations.interim_moratorium_weeks)
            if request > interim_end:
                problems.append(
                    DateProblem(
                        "bidder_request_on",
                        f"The request to be treated as a bidder ({_human(request)}) is after "
                        f"the interim moratorium's last day ({_human(interim_end)}), so it "
                        "does not start the full moratorium.",
                    )
                )
    return problems


def validate_asset_bid_dates(
    dates: AssetBidDates, durations: ClockDurations = STATUTORY
) -> list[str]:
    """Problems with the order of ``dates``, as sentences for the person entering them.

    An empty list means the dates are consistent. Missing dates are not problems: a bid is
    recorded as it happens.
    """
    return [problem.message for problem in asset_bid_date_problems(dates, durations)]


@dataclass(frozen=True, slots=True)
class ServiceBidDeadlines:
    """Right to Challenge: the authority's decision is due by ``decision_due``."""

    decision_due: date


def service_bid_deadlines(eoi_on: date, decision_period: Duration) -> ServiceBidDeadlines:
    """Deadlines after an expression of interest received on ``eoi_on``.

    ``decision_period`` is whatever the authority has published; the statute sets none.
    """
    return ServiceBidDeadlines(decision_due=deadline(eoi_on, decision_period))


def service_bid_date_problems(
    eoi_on: date | None,
    window_opens: date | None = None,
    window_closes: date | None = None,
) -> list[DateProblem]:
    """Problems with the authority's window and an expression of interest's date, by field."""
    problems: list[DateProblem] = []
    if window_opens is not None and window_closes is not None and window_closes < window_opens:
        problems.append(
            DateProblem(
                "window_closes_on",
                f"The window closes ({_human(window_closes)}) before it opens "
                f"({_human(window_opens)}).",
            )
        )
    if eoi_on is not None and window_opens is not None and eoi_on < window_opens:
        problems.append(
            DateProblem(
                "eoi_on",
                f"The expression of interest ({_human(eoi_on)}) is before the authority's "
                f"window opens ({_human(window_opens)}).",
            )
        )
    if eoi_on is not None and window_closes is not None and eoi_on > window_closes:
        problems.append(
            DateProblem(
                "eoi_on",
                f"The expression of interest ({_human(eoi_on)}) is after the authority's "
                f"window closed ({_human(window_closes)}).",
            )
        )
    return problems


def validate_service_bid_dates(
    eoi_on: date,
    window_opens: date | None = None,
    window_closes: date | None = None,
) -> list[str]:
    """Problems with an expression of interest's date against the authority's window, if any."""
    return [p.message for p in service_bid_date_problems(eoi_on, window_opens, window_closes)]


def reminder_dates(
    deadline: date,
    days_before: Iterable[int] = (14, 3),
    *,
    not_before: date | None = None,
) -> list[date]:
    """Dates to remind people of ``deadline``, earliest first, without duplicates.

    ``not_before`` (usually today) drops reminders that are already in the past, so a bid
    entered late does not send a burst of stale reminders.
    """
    dates: set[date] = set()
    for days in days_before:
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError("days_before must be whole numbers of days, 0 or more")
        reminder = deadline - timedelta(days=days)
        if not_before is None or reminder >= not_before:
            dates.add(reminder)
    return sorted(dates)


def human_date(day: date) -> str:
    """A date as people write it ("11 October 2023"), whatever the server's locale."""
    return _human(day)


def _human(day: date) -> str:
    # Not strftime: month names must not depend on the server's locale.
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def month_and_year(day: date) -> str:
    """'September 2026'."""
    return f"{_MONTH_NAMES[day.month - 1]} {day.year}"
