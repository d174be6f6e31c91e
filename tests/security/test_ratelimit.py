"""The limiter itself: places are taken in one statement, so concurrent callers never get
more than the limit, and a place given back can be taken again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from groundswell.core import ratelimit
from groundswell.core.tables import RateLimitCounter

WINDOW = timedelta(minutes=15)


async def _hits(bucket: str) -> int:
    row = await RateLimitCounter.select().where(RateLimitCounter.bucket == bucket).first()
    return 0 if row is None else int(row["hits"])


async def test_concurrent_reservations_never_exceed_the_limit() -> None:
    taken = await asyncio.gather(
        *[ratelimit.reserve("race", limit=7, window=WINDOW) for _ in range(40)]
    )
    granted = [r for r in taken if r is not None]
    assert len(granted) == 7
    assert await _hits("race") == 7  # refused attempts take nothing
    await ratelimit.give_back(granted[0])
    assert await ratelimit.reserve("race", limit=7, window=WINDOW) is not None
    assert await ratelimit.reserve("race", limit=7, window=WINDOW) is None


async def test_a_place_given_back_in_a_later_window_changes_nothing() -> None:
    from groundswell.core.clock import frozen_at, now

    start = now()
    with frozen_at(start):
        old = await ratelimit.reserve("later", limit=2, window=WINDOW)
    assert old is not None
    with frozen_at(start + WINDOW):
        assert await ratelimit.reserve("later", limit=2, window=WINDOW) is not None
        await ratelimit.give_back(old)
        assert await _hits("later") == 1


def test_source_keys() -> None:
    key = ratelimit.source_key
    assert key("203.0.113.9") == "203.0.113.9"
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:203.0.113.9") == "203.0.113.9"
    assert key("testclient") == "testclient" and key("") == "unknown"


async def test_hit_many_counts_each_bucket_as_hit_does_and_starts_a_new_window_afresh() -> None:
    from groundswell.core.clock import frozen_at, now

    start = now()
    long_bucket = "sms:phone:" + "x" * 400  # stored shortened, answered under its own name
    with frozen_at(start):
        await ratelimit.hit("a", limit=2, window=WINDOW)
        assert await ratelimit.hit_many(["a", "b", long_bucket], limit=2, window=WINDOW) == {
            "a": True,
            "b": True,
            long_bucket: True,
        }
        assert await ratelimit.hit_many(["a", "b"], limit=2, window=WINDOW) == {
            "a": False,  # its third hit this window
            "b": True,
        }
        assert await _hits("a") == 3  # refused hits count too
    with frozen_at(start + WINDOW):
        assert await ratelimit.hit_many(["a"], limit=2, window=WINDOW) == {"a": True}
        assert await _hits("a") == 1
    assert await ratelimit.hit_many([], limit=2, window=WINDOW) == {}


async def test_hit_many_refuses_a_bucket_twice() -> None:
    with pytest.raises(ValueError):
        await ratelimit.hit_many(["same", "same"], limit=2, window=WINDOW)
    assert await _hits("same") == 0
