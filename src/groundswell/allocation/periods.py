"""Calendar periods of a pool's cadence: months, or quarters starting January, April, July
and October. A period includes its first and last days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from groundswell.funders.states import Cadence


@dataclass(frozen=True, order=True, slots=True)
class Period:
    start: date
    end: date  # inclusive

    def label(self) -> str:
        if self.start.month == self.end.month:
            return f"{self.start:%B %Y}"
        return f"{self.start:%b}–{self.end:%b %Y}"

    def in_words(self) -> str:
        """For prose and exports people read aloud: "September 2026", "July to September
        2026", "December 2026 to February 2027"."""
        if (self.start.year, self.start.month) == (self.end.year, self.end.month):
            return f"{self.start:%B %Y}"
        if self.start.year == self.end.year:
            return f"{self.start:%B} to {self.end:%B %Y}"
        return f"{self.start:%B %Y} to {self.end:%B %Y}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def _months(cadence: Cadence | str) -> int:
    return 1 if Cadence(cadence) is Cadence.MONTHLY else 3


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_containing(day: date, cadence: Cadence | str) -> Period:
    months = _months(cadence)
    start = date(day.year, (day.month - 1) // months * months + 1, 1)
    return Period(start, _add_months(start, months) - timedelta(days=1))


def previous_period(period: Period, cadence: Cadence | str) -> Period:
    return period_containing(period.start - timedelta(days=1), cadence)


def next_period(period: Period, cadence: Cadence | str) -> Period:
    return period_containing(period.end + timedelta(days=1), cadence)
