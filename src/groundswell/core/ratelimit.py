"""Fixed-window rate limits kept in the database, shared by every worker process."""

from __future__ import annotations

from datetime import timedelta

from groundswell.core.clock import now
from groundswell.core.tables import RateLimitCounter

# One statement, so two processes counting at the same moment never lose a hit.
_UPSERT = """
INSERT INTO rate_limit_counter (bucket, window_epoch, hits) VALUES ({}, {}, 1)
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN rate_limit_counter.window_epoch < excluded.window_epoch
                THEN 1 ELSE rate_limit_counter.hits + 1 END,
    window_epoch = excluded.window_epoch
RETURNING hits
"""


def _window_epoch(window: timedelta) -> int:
    seconds = int(window.total_seconds())
    epoch = int(now().timestamp())
    return epoch - epoch % seconds


async def hit(bucket: str, *, limit: int, window: timedelta) -> bool:
    """Count one hit in `bucket`; True while the bucket is within its limit."""
    rows = await RateLimitCounter.raw(_UPSERT, bucket, _window_epoch(window))
    return bool(rows[0]["hits"] <= limit)


async def is_limited(bucket: str, *, limit: int, window: timedelta) -> bool:
    """Whether `bucket` has used up its limit in the current window, without counting a hit."""
    row = (
        await RateLimitCounter.select(RateLimitCounter.window_epoch, RateLimitCounter.hits)
        .where(RateLimitCounter.bucket == bucket)
        .first()
    )
    return row is not None and row["window_epoch"] >= _window_epoch(window) and row["hits"] >= limit


async def reset(bucket: str) -> None:
    await RateLimitCounter.delete().where(RateLimitCounter.bucket == bucket)
