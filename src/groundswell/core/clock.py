"""The one source of "now", so tests and simulations can move time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


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
