"""Dates typed into forms (or sent to the API): ISO dates within years that make sense.

Python takes 0001-01-01 to 9999-12-31, and a date at either end overflows as soon as a day
is added to it or it is turned into a timestamp; none is a date anyone here means (a
deposit received, a bursary, a bid's nomination). One range serves every reader, the same
as /listen's from and to.
"""

from __future__ import annotations

from datetime import date, datetime

from groundswell.core.forms import FieldReader

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
RANGE_HELP = f"Enter a date between {EARLIEST.year} and {LATEST.year}."


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def iso_or_blank(day: date | None) -> str:
    """'2024-08-31', or '' for no date: a CSV cell, or a form field's value."""
    return day.isoformat() if day else ""


def read_date(
    fields: FieldReader,
    name: str,
    *,
    help: str,
    required: bool = False,
    latest: tuple[date, str] | None = None,
) -> date | None:
    """The date in `name` (None when empty), with `help` or RANGE_HELP at the field if bad.

    `latest` is an earlier last day than LATEST, with its own message (e.g. not in the future).
    """
    value = fields.raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            fields.errors[name] = help
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            fields.errors[name] = help
            return None
    if latest is not None and day > latest[0]:
        fields.errors[name] = latest[1]
        return None
    if not in_range(day):
        fields.errors[name] = RANGE_HELP
        return None
    return day


def filter_day(raw: str, name: str, errors: dict[str, str]) -> date | None:
    """A page filter's date (None when blank); a bad one adds its message to `errors`."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD, for example 2026-03-31."
        return None
    if not in_range(day):
        errors[name] = RANGE_HELP
        return None
    return day
