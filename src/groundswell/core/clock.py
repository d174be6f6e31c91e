"""The one source of "now", so tests and simulations can move time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


# People here read GMT or BST off their clocks; times are kept in UTC and shown in this.
UK_TIME = ZoneInfo("Europe/London")


def on_uk_clocks(moment: datetime) -> datetime:
    """`moment` as a UK clock shows it (an aware datetime; a naive one is returned as is)."""
    return moment.astimezone(UK_TIME) if moment.tzinfo is not None else moment


def today() -> date:
    return now().date()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Fix `now()` at `moment` (tests and the demo's past rounds)."""
    global _now
    previous = _now
    _now = lambda: moment  # noqa: E731
    try:
        yield
    finally:
        _now = previous
